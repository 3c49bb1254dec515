/**
 * Row shapes of the webhook tables and their mapping from SQL rows, shared by the webhooks
 * repository and its callers.
 */

export type EndpointStatus = "enabled" | "disabled";
export type DisabledReason = "manual" | "gone" | "failing";
export type DeliveryStatus = "pending" | "delivering" | "succeeded" | "failed" | "dead";

export interface WebhookEndpointRow {
  id: string;
  merchantId: string;
  url: string;
  description: string;
  /** null: every event type. */
  eventTypes: string[] | null;
  status: EndpointStatus;
  disabledReason: DisabledReason | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
}

export interface WebhookDeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
  leasedBy: string | null;
  firstFailureAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  succeededAt: Date | null;
  redeliveredAt: Date | null;
  createdAt: Date;
}

export interface WebhookAttemptRow {
  id: string;
  deliveryId: string;
  attemptNumber: number;
  trigger: "schedule" | "manual";
  workerId: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  durationMs: number;
  outcome: string;
  error: string | null;
  startedAt: Date;
}

/** A delivery this process holds the lease on, with what it needs to send it. */
export interface LeasedDelivery {
  id: string;
  attemptCount: number;
  redeliveredAt: Date | null;
  endpoint: { id: string; merchantId: string; url: string };
  event: { id: string; type: string; createdAt: Date; payload: unknown };
  /** Live secrets, newest first. */
  secrets: string[];
}

/** A domain event the webhooks module itself emits (endpoint.disabled, endpoint.test). */
export interface OwnDomainEvent {
  id: string;
  merchantId: string;
  type: string;
  subjectId: string;
  payload: unknown;
}

/** The `chain` column of domain events that no chain caused. */
export const RELAYER_CHAIN = "relayer";

export type Row = Record<string, unknown>;

export const ENDPOINT_COLUMNS = `id, merchant_id, url, description, event_types, status, disabled_reason, disabled_at, failing_since, created_at`;
export const DELIVERY_COLUMNS = `d.id, d.event_id, e.type AS event_type, d.endpoint_id, d.status, d.attempt_count, d.next_attempt_at,
  d.lease_until, d.leased_by, d.first_failure_at, d.last_status_code, d.last_error, d.succeeded_at, d.redelivered_at, d.created_at`;

export const toEndpoint = (r: Row): WebhookEndpointRow => ({
  id: r.id as string,
  merchantId: r.merchant_id as string,
  url: r.url as string,
  description: r.description as string,
  eventTypes: (r.event_types as string[] | null) ?? null,
  status: r.status as EndpointStatus,
  disabledReason: (r.disabled_reason as DisabledReason | null) ?? null,
  disabledAt: (r.disabled_at as Date | null) ?? null,
  failingSince: (r.failing_since as Date | null) ?? null,
  createdAt: r.created_at as Date,
});

export const toDelivery = (r: Row): WebhookDeliveryRow => ({
  id: r.id as string,
  eventId: r.event_id as string,
  eventType: r.event_type as string,
  endpointId: r.endpoint_id as string,
  status: r.status as DeliveryStatus,
  attemptCount: Number(r.attempt_count),
  nextAttemptAt: (r.next_attempt_at as Date | null) ?? null,
  leaseUntil: (r.lease_until as Date | null) ?? null,
  leasedBy: (r.leased_by as string | null) ?? null,
  firstFailureAt: (r.first_failure_at as Date | null) ?? null,
  lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
  lastError: (r.last_error as string | null) ?? null,
  succeededAt: (r.succeeded_at as Date | null) ?? null,
  redeliveredAt: (r.redelivered_at as Date | null) ?? null,
  createdAt: r.created_at as Date,
});

export const toAttempt = (r: Row): WebhookAttemptRow => ({
  id: r.id as string,
  deliveryId: r.delivery_id as string,
  attemptNumber: Number(r.attempt_number),
  trigger: r.trigger as "schedule" | "manual",
  workerId: r.worker_id as string,
  url: r.url as string,
  requestHeaders: r.request_headers as Record<string, string>,
  requestBody: r.request_body as string,
  responseStatus: r.response_status === null ? null : Number(r.response_status),
  responseHeaders: (r.response_headers as Record<string, string> | null) ?? null,
  responseBody: (r.response_body as string | null) ?? null,
  durationMs: Number(r.duration_ms),
  outcome: r.outcome as string,
  error: (r.error as string | null) ?? null,
  startedAt: r.started_at as Date,
});

// ---- endpoints and secrets ----
