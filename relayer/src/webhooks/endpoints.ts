import type { Context } from "../common/context.js";
import { DEPOSIT_EVENT_TYPES } from "../domain/events.js";
import { ORDER_EVENT_TYPES } from "../domain/p2p-order.js";
import { NonRetryableUserError } from "../common/errors.js";
import {
  disableEndpoint,
  enableEndpoint,
  getDelivery,
  getEndpoint,
  insertEndpoint,
  insertEndpointOnlyEvent,
  listAttempts,
  listDeliveries,
  listEndpoints,
  redeliver,
  redeliverFailedSince,
  rotateSecret,
  type DeliveryStatus,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../store/webhooks-repository.js";
import { newDeliveryId, newEndpointId, newEventId } from "./ids.js";
import { generateSecret } from "./signer.js";
import { createSsrfGuard } from "./ssrf-guard.js";

/**
 * The merchant-facing side of webhooks, called by the HTTP API and the CLI: endpoints, secrets, test
 * events, the delivery log and redelivery. Every call names the merchant, and an endpoint or
 * delivery of another merchant is "not found".
 */

/** How long the previous secret keeps signing after a rotation, so receivers can switch over. */
export const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;
/** Page size cap for the delivery log. */
const MAX_PAGE_SIZE = 100;

/** The event types a merchant can subscribe an endpoint to. */
export const WEBHOOK_EVENT_TYPES = [
  "invoice.created",
  "invoice.paid",
  "invoice.expired",
  "invoice.cancelled",
  "escrow.released",
  "escrow.refunded",
  "escrow.disputed",
  "escrow.resolved",
  "escrow.extended",
  "escrow.timeout_executed",
  "escrow.payout_deferred",
  ...DEPOSIT_EVENT_TYPES,
  "event.reverted",
  ...ORDER_EVENT_TYPES,
  "endpoint.disabled",
  "endpoint.test",
] as const;

export class WebhookNotFoundError extends NonRetryableUserError {
  override name = "WebhookNotFoundError";
}

export interface WebhookEndpoints {
  /** Adds an endpoint; `secret` is shown this once and never returned again. */
  add(input: { merchantId: string; url: string; description?: string; eventTypes?: string[] }): Promise<{ endpoint: WebhookEndpointRow; secret: string }>;
  list(merchantId: string): Promise<WebhookEndpointRow[]>;
  get(merchantId: string, endpointId: string): Promise<WebhookEndpointRow>;
  disable(merchantId: string, endpointId: string): Promise<WebhookEndpointRow>;
  /** Re-enables an endpoint and clears its failure history; use `redeliverFailed` to catch up. */
  enable(merchantId: string, endpointId: string): Promise<WebhookEndpointRow>;
  /** Issues a new secret; the old ones keep signing alongside it until `previousExpiresAt`. */
  rotateSecret(merchantId: string, endpointId: string, options?: { graceMs?: number }): Promise<{ secret: string; previousExpiresAt: Date }>;
  /** Queues an `endpoint.test` event to this endpoint only; the dispatcher sends it on its next tick. */
  sendTest(merchantId: string, endpointId: string): Promise<{ eventId: string; deliveryId: string }>;
  listDeliveries(
    merchantId: string,
    endpointId: string,
    options?: { status?: DeliveryStatus; limit?: number; before?: { createdAt: Date; id: string } },
  ): Promise<WebhookDeliveryRow[]>;
  /** One delivery with its attempt log. */
  getDelivery(merchantId: string, deliveryId: string): Promise<{ delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }>;
  /** Sends one delivery again now, with a fresh retry schedule. */
  redeliver(merchantId: string, deliveryId: string): Promise<WebhookDeliveryRow>;
  /** Sends again every failed or dead delivery of an endpoint since `since`; returns how many. */
  redeliverFailed(merchantId: string, endpointId: string, since: Date): Promise<number>;
}

export function createWebhookEndpoints(
  ctx: Pick<Context, "db" | "logger">,
  options: { allowPrivateNetworks?: boolean; clock?: () => Date } = {},
): WebhookEndpoints {
  const db = ctx.db;
  const clock = options.clock ?? (() => new Date());
  const guard = createSsrfGuard({ allowPrivateNetworks: options.allowPrivateNetworks ?? false });

  const owned = async (merchantId: string, endpointId: string): Promise<WebhookEndpointRow> => {
    const endpoint = await getEndpoint(db, endpointId);
    if (!endpoint || endpoint.merchantId !== merchantId) {
      throw new WebhookNotFoundError(`Webhook endpoint ${endpointId} not found`, { hints: ["List the merchant's endpoints to find its id."] });
    }
    return endpoint;
  };

  const ownedDelivery = async (merchantId: string, deliveryId: string) => {
    const delivery = await getDelivery(db, deliveryId);
    const endpoint = delivery && (await getEndpoint(db, delivery.endpointId));
    if (!delivery || !endpoint || endpoint.merchantId !== merchantId) {
      throw new WebhookNotFoundError(`Webhook delivery ${deliveryId} not found`);
    }
    return { delivery, endpoint };
  };

  const requireEnabled = (endpoint: WebhookEndpointRow) => {
    if (endpoint.status !== "enabled") {
      throw new NonRetryableUserError(`Webhook endpoint ${endpoint.id} is disabled (${endpoint.disabledReason})`, {
        hints: ["Enable the endpoint first, after fixing what made it fail."],
      });
    }
  };

  return {
    async add(input) {
      // The URL's text is checked here for a quick answer; the resolved address is checked at send time.
      guard.checkUrl(input.url);
      const unknown = (input.eventTypes ?? []).filter((type) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type));
      if (unknown.length > 0) {
        throw new NonRetryableUserError(`Unknown webhook event types: ${unknown.join(", ")}`, { hints: [`Choose from ${WEBHOOK_EVENT_TYPES.join(", ")}.`] });
      }
      const secret = generateSecret();
      const endpoint = await insertEndpoint(db, {
        id: newEndpointId(),
        merchantId: input.merchantId,
        url: input.url,
        description: input.description ?? "",
        eventTypes: input.eventTypes && input.eventTypes.length > 0 ? input.eventTypes : null,
        secret,
        now: clock(),
      });
      ctx.logger.info({ endpoint_id: endpoint.id, merchant_id: endpoint.merchantId }, "Added webhook endpoint");
      return { endpoint, secret };
    },

    list: (merchantId) => listEndpoints(db, merchantId),
    get: owned,

    async disable(merchantId, endpointId) {
      await owned(merchantId, endpointId);
      await disableEndpoint(db, { endpointId, reason: "manual", now: clock() });
      return owned(merchantId, endpointId);
    },

    async enable(merchantId, endpointId) {
      await owned(merchantId, endpointId);
      return (await enableEndpoint(db, endpointId))!;
    },

    async rotateSecret(merchantId, endpointId, rotateOptions = {}) {
      await owned(merchantId, endpointId);
      const now = clock();
      const previousExpiresAt = new Date(now.getTime() + (rotateOptions.graceMs ?? ROTATION_GRACE_MS));
      const secret = generateSecret();
      await rotateSecret(db, { endpointId, secret, now, previousExpireAt: previousExpiresAt });
      ctx.logger.info({ endpoint_id: endpointId, previous_expires_at: previousExpiresAt.toISOString() }, "Rotated webhook secret");
      return { secret, previousExpiresAt };
    },

    async sendTest(merchantId, endpointId) {
      requireEnabled(await owned(merchantId, endpointId));
      const now = clock();
      const eventId = newEventId();
      const deliveryId = newDeliveryId();
      await insertEndpointOnlyEvent(db, {
        event: { id: eventId, merchantId, type: "endpoint.test", subjectId: endpointId, payload: { endpointId, sentAt: now.toISOString() } },
        endpointId,
        deliveryId,
        now,
      });
      return { eventId, deliveryId };
    },

    async listDeliveries(merchantId, endpointId, listOptions = {}) {
      await owned(merchantId, endpointId);
      const limit = Math.min(Math.max(listOptions.limit ?? 50, 1), MAX_PAGE_SIZE);
      return listDeliveries(db, { endpointId, limit, ...(listOptions.status ? { status: listOptions.status } : {}), ...(listOptions.before ? { before: listOptions.before } : {}) });
    },

    async getDelivery(merchantId, deliveryId) {
      const { delivery } = await ownedDelivery(merchantId, deliveryId);
      return { delivery, attempts: await listAttempts(db, deliveryId) };
    },

    async redeliver(merchantId, deliveryId) {
      const { endpoint } = await ownedDelivery(merchantId, deliveryId);
      requireEnabled(endpoint);
      if (!(await redeliver(db, { deliveryId, now: clock() }))) {
        throw new NonRetryableUserError(`Webhook delivery ${deliveryId} is being sent right now`, { hints: ["Look at its attempt log in a minute."] });
      }
      return (await getDelivery(db, deliveryId))!;
    },

    async redeliverFailed(merchantId, endpointId, since) {
      requireEnabled(await owned(merchantId, endpointId));
      const count = await redeliverFailedSince(db, { endpointId, since, now: clock() });
      ctx.logger.info({ endpoint_id: endpointId, since: since.toISOString(), count }, "Queued bulk webhook redelivery");
      return count;
    },
  };
}
