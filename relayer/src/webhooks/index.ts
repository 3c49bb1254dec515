import { randomBytes } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { hostname } from "node:os";
import type { Context } from "../common/context.js";
import { createGroupCommit } from "../common/group-commit.js";
import {
  completeAttempts,
  disableEndpoint,
  fanOutEvents,
  leaseDueDeliveries,
  type AttemptOutcomeRow,
  type CompleteAttemptInput,
  type DisabledReason,
  type LeasedDelivery,
} from "../store/webhooks-repository.js";
import { REQUEST_TIMEOUT_MS, sendWebhook, type SendResult } from "./http-sender.js";
import { decideRetry, shouldDisableEndpoint, type RetryDecision } from "./retry-policy.js";
import { signedRequest } from "./signer.js";
import { createSsrfGuard } from "./ssrf-guard.js";
import { newEventId } from "./ids.js";

export { createWebhookEndpoints, WEBHOOK_EVENT_TYPES, WebhookNotFoundError, type WebhookEndpoints } from "./endpoints.js";
export { createWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions, type ReceivedWebhook } from "./receiver.js";
export { SsrfRefusedError } from "./ssrf-guard.js";

/**
 * The webhook dispatcher: fans new domain events (the outbox) out into one delivery per endpoint,
 * leases due deliveries, sends them signed, and records every attempt. Any number of dispatchers
 * can share one PostgreSQL: leases keep them off each other's deliveries.
 */

/** Domain events fanned out per round. */
const FAN_OUT_BATCH = 1_000;
/** Deliveries in flight at once: each waits on its receiver, so these overlap, not compete for CPU. */
const DELIVERY_CONCURRENCY = 64;
/** Most attempts recorded in one transaction by the group commit. */
const RECORD_BATCH = 256;
/** Extra lease time beyond the request timeout, for signing and the database round trips. */
const LEASE_MARGIN_MS = 30_000;
/** How long `run()` waits for work when nothing is due and nobody wakes it. */
const POLL_INTERVAL_MS = 1_000;
/** Idle keep-alive sockets are closed after this: below the 5 s Node servers keep them, so we close first. */
const KEEP_ALIVE_IDLE_MS = 4_000;

export interface WebhookDispatcherOptions {
  /** Names this process in leases and the attempt log. Default: `<hostname>:<pid>:<random>`. */
  workerId?: string;
  /** Lets webhooks reach loopback, private and link-local addresses; development only. Default: false. */
  allowPrivateNetworks?: boolean;
  /** Per-request timeout. Default: 15000 (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Deliveries in flight at once (and leased per `tick()`). Default: 64. */
  batchSize?: number;
  /** Longest idle wait in `run()` when nothing is due and `wake()` is not called. Default: 1000. */
  pollIntervalMs?: number;
  /** The time source for schedules and leases. Default: `() => new Date()`. */
  clock?: () => Date;
  /** Jitter source in [0, 1). Default: Math.random. */
  random?: () => number;
}

export interface TickResult {
  fannedOut: number;
  attempted: number;
  succeeded: number;
  failed: number;
}

export interface WebhookDispatcher {
  /** One round: fan out new events, then send the deliveries that are due and wait for them. */
  tick(): Promise<TickResult>;
  /**
   * Sends continuously until `ctx.signal` aborts: keeps up to `batchSize` deliveries in flight,
   * leasing more as each finishes, then finishes the ones in flight.
   */
  run(): Promise<void>;
  /** New events are in the outbox (ingestion committed): look now instead of at the next poll. */
  wake(): void;
}

export function createWebhookDispatcher(ctx: Context, options: WebhookDispatcherOptions = {}): WebhookDispatcher {
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? Math.random;
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const concurrency = options.batchSize ?? DELIVERY_CONCURRENCY;
  const guard = createSsrfGuard({ allowPrivateNetworks: options.allowPrivateNetworks ?? false });
  // Reused sockets were each opened to an address the guard checked (its lookup pins the connection).
  const agentOptions = { keepAlive: true, maxSockets: concurrency, timeout: KEEP_ALIVE_IDLE_MS };
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  const logger = ctx.logger.child({ module: "webhooks", worker_id: workerId });
  const recorder = createGroupCommit<CompleteAttemptInput, AttemptOutcomeRow>((inputs) => completeAttempts(ctx.db, inputs), RECORD_BATCH);

  const disable = async (delivery: LeasedDelivery, reason: DisabledReason, failingSince: Date | null, now: Date) => {
    const endpointId = delivery.endpoint.id;
    const disabled = await disableEndpoint(ctx.db, {
      endpointId,
      reason,
      now,
      notice: {
        id: newEventId(),
        merchantId: delivery.endpoint.merchantId,
        type: "endpoint.disabled",
        subjectId: endpointId,
        payload: { endpointId, url: delivery.endpoint.url, reason, disabledAt: now.toISOString(), failingSince: failingSince?.toISOString() ?? null },
      },
    });
    if (disabled) logger.warn({ endpoint_id: endpointId, merchant_id: delivery.endpoint.merchantId, reason }, "Disabled webhook endpoint");
  };

  const deliver = async (delivery: LeasedDelivery): Promise<boolean> => {
    const startedAt = clock();
    const attemptNumber = delivery.attemptCount + 1;
    const message = { id: delivery.event.id, type: delivery.event.type, occurredAt: delivery.event.createdAt, data: delivery.event.payload };
    const { headers, body } = signedRequest(message, delivery.secrets, startedAt);
    if (attemptNumber === 1 && delivery.redeliveredAt === null) {
      ctx.metrics.deliveryLatency.observe(Math.max(0, startedAt.getTime() - delivery.event.createdAt.getTime()) / 1000);
    }
    const result: SendResult = await sendWebhook({ url: delivery.endpoint.url, headers, body, guard, timeoutMs, agents });
    const now = clock();
    const decision: RetryDecision = decideRetry({ outcome: result.outcome, attemptCount: attemptNumber, now, retryAfter: result.retryAfter, random });
    const status = decision.action === "done" ? "succeeded" : decision.action === "retry" ? "failed" : "dead";
    const health = await recorder.submit({
      endpointId: delivery.endpoint.id,
      status,
      nextAttemptAt: decision.action === "retry" ? decision.at : null,
      now,
      attempt: {
        deliveryId: delivery.id,
        attemptNumber,
        trigger: delivery.redeliveredAt === null ? "schedule" : "manual",
        workerId,
        url: delivery.endpoint.url,
        requestHeaders: headers,
        requestBody: body,
        responseStatus: result.status ?? null,
        responseHeaders: result.responseHeaders ?? null,
        responseBody: result.responseBody ?? null,
        durationMs: result.durationMs,
        outcome: result.outcome,
        error: result.error ?? (result.status !== undefined && status !== "succeeded" ? `HTTP ${result.status}` : null),
        startedAt,
      },
    });
    ctx.metrics.deliveries.inc({ outcome: result.outcome });
    logger.info(
      {
        delivery_id: delivery.id,
        event_id: delivery.event.id,
        endpoint_id: delivery.endpoint.id,
        attempt: attemptNumber,
        outcome: result.outcome,
        status_code: result.status,
        duration_ms: result.durationMs,
        next_attempt_at: decision.action === "retry" ? decision.at.toISOString() : undefined,
        lease_lost: health.leaseHeld ? undefined : true,
      },
      status === "succeeded" ? "Delivered webhook" : "Webhook attempt failed",
    );
    if (health.endpointStatus === "enabled") {
      if (decision.action === "disable_endpoint") await disable(delivery, "gone", health.failingSince, now);
      else if (status !== "succeeded" && shouldDisableEndpoint(health.failingSince, now)) await disable(delivery, "failing", health.failingSince, now);
    }
    return status === "succeeded";
  };

  const deliverSafely = (delivery: LeasedDelivery): Promise<boolean> =>
    deliver(delivery).catch((error: unknown) => {
      // The lease runs out and another round retries; nothing is lost.
      logger.error({ delivery_id: delivery.id, err: error }, "Webhook delivery crashed; its lease will expire and it will be retried");
      return false;
    });

  /** Fans out new events, then leases up to `limit` due deliveries. */
  const fanOutAndLease = async (limit: number): Promise<{ fannedOut: number; leased: LeasedDelivery[] }> => {
    const fannedOut = await fanOutEvents(ctx.db, { now: clock(), limit: FAN_OUT_BATCH });
    if (limit === 0) return { fannedOut, leased: [] };
    const now = clock();
    const leaseUntil = new Date(now.getTime() + timeoutMs + LEASE_MARGIN_MS);
    return { fannedOut, leased: await leaseDueDeliveries(ctx.db, { now, leaseUntil, workerId, limit }) };
  };

  const tick = async (): Promise<TickResult> => {
    const { fannedOut, leased } = await fanOutAndLease(concurrency);
    const succeeded = (await Promise.all(leased.map(deliverSafely))).filter(Boolean).length;
    return { fannedOut, attempted: leased.length, succeeded, failed: leased.length - succeeded };
  };

  let wakeUp: (() => void) | null = null;
  let wokenEarly = false;
  const wake = () => {
    wokenEarly = true;
    wakeUp?.();
  };
  /** Until one of `pending` settles, `wake()`, abort, or `ms` pass. */
  const waitForWork = async (pending: Iterable<Promise<unknown>>, ms: number): Promise<void> => {
    if (wokenEarly) return;
    await Promise.race([...pending, new Promise<void>((resolve) => (wakeUp = resolve)), sleep(ms, ctx.signal)]);
    wakeUp = null;
  };

  const run = async (): Promise<void> => {
    logger.info({ allow_private_networks: options.allowPrivateNetworks ?? false, concurrency }, "Webhook dispatcher started");
    const inFlight = new Set<Promise<boolean>>();
    while (!ctx.signal.aborted) {
      wokenEarly = false;
      let progressed = false;
      try {
        const { fannedOut, leased } = await fanOutAndLease(concurrency - inFlight.size);
        for (const delivery of leased) {
          const sending = deliverSafely(delivery).finally(() => inFlight.delete(sending));
          inFlight.add(sending);
        }
        progressed = fannedOut > 0 || leased.length > 0;
      } catch (error) {
        logger.error({ err: error }, "Webhook dispatcher round failed; retrying after the poll interval");
      }
      // Full: wait for a free slot. Idle: wait for a slot, a wake-up or the poll interval.
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      else if (!progressed) await waitForWork(inFlight, options.pollIntervalMs ?? POLL_INTERVAL_MS);
    }
    await Promise.allSettled(inFlight);
    await recorder.drain();
    agents.http.destroy();
    agents.https.destroy();
    logger.info("Webhook dispatcher stopped");
  };

  return { tick, run, wake };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
