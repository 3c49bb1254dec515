import type { Db } from "./db.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";
import {
  type EndpointStatus,
  type DisabledReason,
  type DeliveryStatus,
  type WebhookEndpointRow,
  type WebhookDeliveryRow,
  type WebhookAttemptRow,
  type LeasedDelivery,
  type OwnDomainEvent,
  RELAYER_CHAIN,
  ENDPOINT_COLUMNS,
  DELIVERY_COLUMNS,
  toEndpoint,
  toDelivery,
  toAttempt,
} from "./webhooks-rows.js";

/**
 * SQL for webhooks: endpoints and secrets, the fan-out of domain events into deliveries, delivery
 * leases (FOR UPDATE SKIP LOCKED plus lease_until, so a crashed process's lease runs out) and the
 * attempt log. Callers pass every timestamp: the dispatcher's clock, not the database's, decides
 * what is due, so tests can move time.
 */

export * from "./webhooks-rows.js";

export async function insertEndpoint(
  db: Db,
  input: { id: string; merchantId: string; url: string; description: string; eventTypes: string[] | null; secret: string; now: Date },
): Promise<WebhookEndpointRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query(
      `INSERT INTO webhook_endpoints (id, merchant_id, url, description, event_types, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ENDPOINT_COLUMNS}`,
      [input.id, input.merchantId, input.url, input.description, input.eventTypes, input.now],
    );
    await tx.query(`INSERT INTO webhook_endpoint_secrets (endpoint_id, secret, created_at) VALUES ($1, $2, $3)`, [input.id, input.secret, input.now]);
    return toEndpoint(row!);
  });
}

export async function getEndpoint(db: Db, endpointId: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1`, [endpointId]);
  return row && toEndpoint(row);
}

export async function listEndpoints(db: Db, merchantId: string): Promise<WebhookEndpointRow[]> {
  const rows = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = $1 ORDER BY created_at, id`, [merchantId]);
  return rows.map(toEndpoint);
}

export async function enableEndpoint(db: Db, endpointId: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.query(
    `UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL, disabled_at = NULL, failing_since = NULL
     WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
    [endpointId],
  );
  return row && toEndpoint(row);
}

/**
 * Disables an enabled endpoint, ends its outstanding deliveries (bulk redelivery brings them back)
 * and, in the same transaction, emits `notice` (endpoint.disabled) for the merchant's other
 * endpoints. Returns false when the endpoint was already disabled.
 */
export async function disableEndpoint(
  db: Db,
  input: { endpointId: string; reason: DisabledReason; now: Date; notice?: OwnDomainEvent },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const updated = await tx.query(
      `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at = $3
       WHERE id = $1 AND status = 'enabled' RETURNING id`,
      [input.endpointId, input.reason, input.now],
    );
    if (updated.length === 0) return false;
    await tx.query(
      `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, last_error = 'endpoint disabled'
       WHERE endpoint_id = $1 AND status IN ('pending', 'failed')`,
      [input.endpointId],
    );
    if (input.notice) await insertOwnDomainEvent(tx, input.notice, input.now);
    return true;
  });
}

/** Adds `secret` as the newest; older live secrets keep signing until `previousExpireAt` at most. */
export async function rotateSecret(db: Db, input: { endpointId: string; secret: string; now: Date; previousExpireAt: Date }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE webhook_endpoint_secrets SET expires_at = LEAST(COALESCE(expires_at, $2), $2)
       WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $3)`,
      [input.endpointId, input.previousExpireAt, input.now],
    );
    await tx.query(`INSERT INTO webhook_endpoint_secrets (endpoint_id, secret, created_at) VALUES ($1, $2, $3)`, [input.endpointId, input.secret, input.now]);
  });
}

/** Live secrets per endpoint, newest first. */
export async function liveSecrets(db: Db, endpointIds: readonly string[], now: Date): Promise<Map<string, string[]>> {
  const rows = await db.query<{ endpoint_id: string; secret: string }>(
    `SELECT endpoint_id, secret FROM webhook_endpoint_secrets
     WHERE endpoint_id = ANY($1) AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at DESC, id DESC`,
    [[...endpointIds], now],
  );
  const byEndpoint = new Map<string, string[]>();
  for (const row of rows) byEndpoint.set(row.endpoint_id, [...(byEndpoint.get(row.endpoint_id) ?? []), row.secret]);
  return byEndpoint;
}

// ---- domain events, fan-out and leases ----

/** `fannedOutAt`: set when the caller creates the event's deliveries itself. */
async function insertOwnDomainEvent(tx: Db, event: OwnDomainEvent, now: Date, fannedOutAt: Date | null = null): Promise<void> {
  await tx.query(
    // Like chain events, the payload repeats its per-subject sequence for receivers to order by.
    `INSERT INTO domain_events (id, merchant_id, type, chain, subject_id, sequence, payload, created_at, fanned_out_at)
     SELECT $1, $2, $3, $4, $5, s.next, $6::jsonb || jsonb_build_object('sequence', s.next), $7, $8
     FROM (SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM domain_events WHERE chain = $4 AND subject_id = $5) s`,
    [event.id, event.merchantId, event.type, RELAYER_CHAIN, event.subjectId, JSON.stringify(event.payload), now, fannedOutAt],
  );
}

/**
 * Turns up to `limit` domain events that have no deliveries yet into one delivery per matching
 * endpoint of their merchant. Disabled endpoints get a `dead` delivery, so bulk redelivery after
 * re-enabling covers what happened meanwhile. Returns how many events were fanned out.
 */
export async function fanOutEvents(db: Db, input: { now: Date; limit: number }): Promise<number> {
  return db.transaction(async (tx) => {
    const events = await tx.query<{ id: string }>(
      `SELECT id FROM domain_events WHERE fanned_out_at IS NULL
       ORDER BY outbox_position LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [input.limit],
    );
    if (events.length === 0) return 0;
    const ids = events.map((e) => e.id);
    // The unique (event_id, endpoint_id) makes a second fan-out of the same event a no-op even if
    // two processes raced past the marker.
    await tx.query(
      `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, next_attempt_at, last_error, created_at)
       SELECT 'dlv_' || replace(gen_random_uuid()::text, '-', ''), e.id, w.id,
              CASE WHEN w.status = 'enabled' THEN 'pending' ELSE 'dead' END,
              CASE WHEN w.status = 'enabled' THEN $2::timestamptz END,
              CASE WHEN w.status = 'enabled' THEN NULL ELSE 'endpoint disabled' END,
              $2
       FROM domain_events e JOIN webhook_endpoints w ON w.merchant_id = e.merchant_id
       WHERE e.id = ANY($1) AND (w.event_types IS NULL OR e.type = ANY(w.event_types))
       ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
      [ids, input.now],
    );
    await tx.query(`UPDATE domain_events SET fanned_out_at = $2 WHERE id = ANY($1)`, [ids, input.now]);
    return ids.length;
  });
}

/** Emits an event for one endpoint only (a test event), already fanned out to it and due now. */
export async function insertEndpointOnlyEvent(db: Db, input: { event: OwnDomainEvent; endpointId: string; deliveryId: string; now: Date }): Promise<void> {
  await db.transaction(async (tx) => {
    await insertOwnDomainEvent(tx, input.event, input.now, input.now);
    await tx.query(
      `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, next_attempt_at, created_at) VALUES ($1, $2, $3, 'pending', $4, $4)`,
      [input.deliveryId, input.event.id, input.endpointId, input.now],
    );
  });
}

/**
 * Leases up to `limit` due deliveries to `workerId` until `leaseUntil`. Rows another transaction is
 * leasing are skipped, not waited for; a lease whose holder died becomes due again when it runs out.
 */
export async function leaseDueDeliveries(
  db: Db,
  input: { now: Date; leaseUntil: Date; workerId: string; limit: number },
): Promise<LeasedDelivery[]> {
  const rows = await db.query(
    `WITH due AS (
       SELECT id FROM webhook_deliveries
       WHERE (status IN ('pending', 'failed') AND next_attempt_at <= $1) OR (status = 'delivering' AND lease_until <= $1)
       ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
     ), leased AS (
       UPDATE webhook_deliveries d SET status = 'delivering', lease_until = $2, leased_by = $3
       FROM due WHERE d.id = due.id
       RETURNING d.id, d.attempt_count, d.redelivered_at, d.endpoint_id, d.event_id
     )
     SELECT l.id, l.attempt_count, l.redelivered_at, w.id AS endpoint_id, w.merchant_id, w.url,
            e.id AS event_id, e.type, e.created_at AS event_created_at, e.payload
     FROM leased l JOIN webhook_endpoints w ON w.id = l.endpoint_id JOIN domain_events e ON e.id = l.event_id`,
    [input.now, input.leaseUntil, input.workerId, input.limit],
  );
  const secrets = await liveSecrets(db, [...new Set(rows.map((r) => r.endpoint_id as string))], input.now);
  return rows.map((r) => ({
    id: r.id as string,
    attemptCount: Number(r.attempt_count),
    redeliveredAt: (r.redelivered_at as Date | null) ?? null,
    endpoint: { id: r.endpoint_id as string, merchantId: r.merchant_id as string, url: r.url as string },
    event: { id: r.event_id as string, type: r.type as string, createdAt: r.event_created_at as Date, payload: r.payload },
    secrets: secrets.get(r.endpoint_id as string) ?? [],
  }));
}

export type AttemptLogEntry = Omit<WebhookAttemptRow, "id">;

export interface CompleteAttemptInput {
  attempt: AttemptLogEntry;
  endpointId: string;
  /** The delivery's state after this attempt. */
  status: "succeeded" | "failed" | "dead";
  nextAttemptAt: Date | null;
  now: Date;
}

export interface AttemptOutcomeRow {
  leaseHeld: boolean;
  endpointStatus: EndpointStatus;
  failingSince: Date | null;
}

/**
 * Logs an attempt and, if this worker still holds the lease, moves the delivery on; updates the
 * endpoint's health (a success clears `failing_since`). Returns the endpoint's health afterwards.
 */
export async function completeAttempt(db: Db, input: CompleteAttemptInput): Promise<AttemptOutcomeRow> {
  return (await completeAttempts(db, [input]))[0]!;
}

const ATTEMPT_COLUMNS = {
  delivery_id: "text",
  attempt_number: "integer",
  trigger: "text",
  worker_id: "text",
  url: "text",
  request_headers: "jsonb",
  request_body: "text",
  response_status: "integer",
  response_headers: "jsonb",
  response_body: "text",
  duration_ms: "integer",
  outcome: "text",
  error: "text",
  started_at: "timestamptz",
} as const;
const DELIVERY_UPDATE_COLUMNS = {
  delivery_id: "text",
  worker_id: "text",
  status: "text",
  next_attempt_at: "timestamptz",
  response_status: "integer",
  error: "text",
  now: "timestamptz",
} as const;
const HEALTH_COLUMNS = { endpoint_id: "text", reset: "boolean", failing_since: "timestamptz" } as const;

/**
 * `completeAttempt` for many attempts, in the order they finished, in one transaction of four or
 * five statements however many there are: the dispatcher's group commit writes through this.
 */
export async function completeAttempts(db: Db, inputs: readonly CompleteAttemptInput[]): Promise<AttemptOutcomeRow[]> {
  if (inputs.length === 0) return [];
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO webhook_attempts (${Object.keys(ATTEMPT_COLUMNS).join(", ")})
       SELECT ${Object.keys(ATTEMPT_COLUMNS).join(", ")} FROM ${recordsetFrom("$1", ATTEMPT_COLUMNS)} ORDER BY ordinality`,
      [recordsetJson(inputs.map(({ attempt: a }) => ({
        delivery_id: a.deliveryId, attempt_number: a.attemptNumber, trigger: a.trigger, worker_id: a.workerId, url: a.url,
        request_headers: a.requestHeaders, request_body: a.requestBody, response_status: a.responseStatus,
        response_headers: a.responseHeaders, response_body: a.responseBody, duration_ms: a.durationMs, outcome: a.outcome,
        error: a.error, started_at: a.startedAt,
      })))],
    );
    const held = await tx.query<{ id: string }>(
      `UPDATE webhook_deliveries d SET status = x.status, attempt_count = d.attempt_count + 1, next_attempt_at = x.next_attempt_at,
         lease_until = NULL, leased_by = NULL, last_status_code = x.response_status, last_error = x.error,
         succeeded_at = CASE WHEN x.status = 'succeeded' THEN x.now ELSE d.succeeded_at END,
         first_failure_at = CASE WHEN x.status = 'succeeded' THEN d.first_failure_at ELSE COALESCE(d.first_failure_at, x.now) END
       FROM ${recordsetFrom("$1", DELIVERY_UPDATE_COLUMNS)}
       WHERE d.id = x.delivery_id AND d.leased_by = x.worker_id AND d.status = 'delivering' RETURNING d.id`,
      [recordsetJson(inputs.map(({ attempt: a, status, nextAttemptAt, now }) => ({
        delivery_id: a.deliveryId, worker_id: a.workerId, status, next_attempt_at: nextAttemptAt, response_status: a.responseStatus, error: a.error, now,
      })))],
    );
    const endpoints = await tx.query<{ id: string; status: EndpointStatus; failing_since: Date | null }>(
      `UPDATE webhook_endpoints e SET failing_since = CASE WHEN x.reset THEN x.failing_since ELSE COALESCE(e.failing_since, x.failing_since) END
       FROM ${recordsetFrom("$1", HEALTH_COLUMNS)} WHERE e.id = x.endpoint_id RETURNING e.id, e.status, e.failing_since`,
      [recordsetJson(endpointHealth(inputs))],
    );
    const health = new Map(endpoints.map((e) => [e.id, e]));
    // An endpoint disabled while these attempts were in flight gets no further automatic tries.
    const onDisabled = inputs.filter((i) => health.get(i.endpointId)?.status !== "enabled").map((i) => i.attempt.deliveryId);
    if (onDisabled.length > 0) {
      await tx.query(`UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = ANY($1) AND status = 'failed'`, [onDisabled]);
    }
    const heldIds = new Set(held.map((row) => row.id));
    return inputs.map((input) => {
      const endpoint = health.get(input.endpointId);
      return { leaseHeld: heldIds.has(input.attempt.deliveryId), endpointStatus: endpoint?.status ?? "disabled", failingSince: endpoint?.failing_since ?? null };
    });
  });
}

/**
 * Each endpoint's health after a batch, replayed in finishing order: a success resets
 * `failing_since`; the first failure after the last success (or after the stored value) sets it.
 */
function endpointHealth(inputs: readonly CompleteAttemptInput[]): { endpoint_id: string; reset: boolean; failing_since: Date | null }[] {
  const byEndpoint = new Map<string, { endpoint_id: string; reset: boolean; failing_since: Date | null }>();
  for (const input of inputs) {
    const state = byEndpoint.get(input.endpointId) ?? { endpoint_id: input.endpointId, reset: false, failing_since: null };
    if (input.status === "succeeded") {
      state.reset = true;
      state.failing_since = null;
    } else {
      state.failing_since ??= input.now;
    }
    byEndpoint.set(input.endpointId, state);
  }
  return [...byEndpoint.values()];
}

// ---- the delivery log and redelivery ----

export async function getDelivery(db: Db, deliveryId: string): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await db.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN domain_events e ON e.id = d.event_id WHERE d.id = $1`, [deliveryId]);
  return row && toDelivery(row);
}

/** Newest first; pass the last row's (createdAt, id) as `before` for the next page. */
export async function listDeliveries(
  db: Db,
  input: { endpointId: string; status?: DeliveryStatus; limit: number; before?: { createdAt: Date; id: string } },
): Promise<WebhookDeliveryRow[]> {
  const rows = await db.query(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN domain_events e ON e.id = d.event_id
     WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)
       AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3, $4::text))
     ORDER BY d.created_at DESC, d.id DESC LIMIT $5`,
    [input.endpointId, input.status ?? null, input.before?.createdAt ?? null, input.before?.id ?? "", input.limit],
  );
  return rows.map(toDelivery);
}

export async function listAttempts(db: Db, deliveryId: string): Promise<WebhookAttemptRow[]> {
  const rows = await db.query(
    `SELECT id::text AS id, delivery_id, attempt_number, trigger, worker_id, url, request_headers, request_body, response_status,
            response_headers, response_body, duration_ms, outcome, error, started_at
     FROM webhook_attempts WHERE delivery_id = $1 ORDER BY webhook_attempts.id`,
    [deliveryId],
  );
  return rows.map(toAttempt);
}

/** Makes a delivery due now with a fresh retry schedule, unless a worker is sending it right now. */
export async function redeliver(db: Db, input: { deliveryId: string; now: Date }): Promise<boolean> {
  const rows = await db.query(
    `UPDATE webhook_deliveries SET status = 'pending', attempt_count = 0, next_attempt_at = $2, first_failure_at = NULL,
       redelivered_at = $2, lease_until = NULL, leased_by = NULL
     WHERE id = $1 AND status <> 'delivering' RETURNING id`,
    [input.deliveryId, input.now],
  );
  return rows.length > 0;
}

/** Redelivers every failed or dead delivery of an endpoint created at or after `since`. */
export async function redeliverFailedSince(db: Db, input: { endpointId: string; since: Date; now: Date }): Promise<number> {
  const rows = await db.query(
    `UPDATE webhook_deliveries SET status = 'pending', attempt_count = 0, next_attempt_at = $3, first_failure_at = NULL,
       redelivered_at = $3, lease_until = NULL, leased_by = NULL
     WHERE endpoint_id = $1 AND status IN ('failed', 'dead') AND created_at >= $2 RETURNING id`,
    [input.endpointId, input.since, input.now],
  );
  return rows.length;
}
