import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Context } from "../../../relayer/src/common/context.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { getEndpoint, listAttempts, listDeliveries } from "../../../relayer/src/store/webhooks-repository.js";
import { createWebhookDispatcher, createWebhookEndpoints, type WebhookDispatcherOptions } from "../../../relayer/src/webhooks/index.js";
import { RETRY_DELAYS_MS } from "../../../relayer/src/webhooks/retry-policy.js";
import {
  insertDomainEvent,
  insertMerchant,
  movableClock,
  openMigratedDb,
  resetTables,
  startRecordingServer,
  testContext,
  unusedPort,
  type RecordingServer,
} from "./support.js";

const DAY_MS = 24 * 3600 * 1000;

describe("webhook dispatcher", () => {
  let db: Db;
  let ctx: Context;
  let merchantId: string;
  let clock: ReturnType<typeof movableClock>;
  const servers: RecordingServer[] = [];

  beforeAll(async () => {
    db = await openMigratedDb();
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    await resetTables(db);
    ctx = testContext(db);
    merchantId = await insertMerchant(db);
    clock = movableClock();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const server = async (...args: Parameters<typeof startRecordingServer>) => {
    const started = await startRecordingServer(...args);
    servers.push(started);
    return started;
  };
  const endpoints = () => createWebhookEndpoints(ctx, { allowPrivateNetworks: true, clock: clock.now });
  const dispatcher = (options: WebhookDispatcherOptions = {}) =>
    createWebhookDispatcher(ctx, { allowPrivateNetworks: true, clock: clock.now, random: () => 0.5, ...options });
  const deliveriesOf = (endpointId: string) => listDeliveries(db, { endpointId, limit: 100 });

  it("delivers a domain event with Standard Webhooks headers the official verifier accepts", async () => {
    const receiver = await server();
    const { endpoint, secret } = await endpoints().add({ merchantId, url: receiver.url });
    const eventId = await insertDomainEvent(db, { merchantId, payload: { invoiceId: "0x01", sequence: 1 }, createdAt: new Date("2026-11-22T10:00:00Z") });

    expect(await dispatcher().tick()).toEqual({ fannedOut: 1, attempted: 1, succeeded: 1, failed: 0 });

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.headers["webhook-id"]).toBe(eventId);
    expect(request.headers["content-type"]).toBe("application/json");
    const verified = new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    expect(verified).toEqual({ type: "invoice.paid", timestamp: "2026-11-22T10:00:00.000Z", data: { invoiceId: "0x01", sequence: 1 } });
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ eventId, status: "succeeded", attemptCount: 1, lastStatusCode: 200, leasedBy: null });
    const [attempt] = await listAttempts(db, delivery!.id);
    expect(attempt).toMatchObject({ attemptNumber: 1, trigger: "schedule", outcome: "succeeded", responseStatus: 200, responseBody: "ok", requestBody: request.body, error: null });
    expect(attempt!.requestHeaders["webhook-signature"]).toBe(request.headers["webhook-signature"]);
    expect(JSON.stringify(attempt)).not.toContain(secret.slice(6));
    const metric = await ctx.metrics.deliveries.get();
    expect(metric.values).toEqual([expect.objectContaining({ labels: { outcome: "succeeded" }, value: 1 })]);
    expect((await ctx.metrics.deliveryLatency.get()).values.find((v) => v.metricName?.endsWith("_count"))?.value).toBe(1);
    // Nothing is sent twice: the event is fanned out once and the delivery is done.
    expect(await dispatcher().tick()).toEqual({ fannedOut: 0, attempted: 0, succeeded: 0, failed: 0 });
  });

  it("retries a 500 on the schedule, then gives up", async () => {
    const receiver = await server((_req, res) => void res.writeHead(500).end("boom"));
    const { endpoint } = await endpoints().add({ merchantId, url: receiver.url });
    await insertDomainEvent(db, { merchantId });
    const d = dispatcher();
    const start = clock.now().getTime();
    await d.tick();
    const sentAt = [0];
    for (const delay of RETRY_DELAYS_MS) {
      clock.advance(delay - 1);
      expect((await d.tick()).attempted, "not due a millisecond early").toBe(0);
      clock.advance(1);
      expect((await d.tick()).attempted).toBe(1);
      sentAt.push(clock.now().getTime() - start);
    }
    expect(receiver.requests).toHaveLength(10);
    expect(sentAt.slice(1).map((t, i) => t - sentAt[i]!)).toEqual(RETRY_DELAYS_MS);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: "dead", attemptCount: 10, lastStatusCode: 500, nextAttemptAt: null });
    expect((await listAttempts(db, delivery!.id)).map((a) => a.attemptNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    clock.advance(DAY_MS);
    expect((await d.tick()).attempted).toBe(0);
  });

  it("honours Retry-After on a 429", async () => {
    const receiver = await server((_req, res) => void res.writeHead(429, { "retry-after": "120" }).end());
    const { endpoint } = await endpoints().add({ merchantId, url: receiver.url });
    await insertDomainEvent(db, { merchantId });
    const d = dispatcher();
    await d.tick();
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery!.nextAttemptAt!.getTime() - clock.now().getTime()).toBe(120_000);
    clock.advance(60_000);
    expect((await d.tick()).attempted).toBe(0);
    clock.advance(60_000);
    expect((await d.tick()).attempted).toBe(1);
  });

  it("disables the endpoint on 410 Gone and tells the merchant's other endpoints", async () => {
    const gone = await server((_req, res) => void res.writeHead(410).end());
    const other = await server();
    const { endpoint } = await endpoints().add({ merchantId, url: gone.url });
    const { endpoint: otherEndpoint } = await endpoints().add({ merchantId, url: other.url, eventTypes: ["endpoint.disabled"] });
    await insertDomainEvent(db, { merchantId });
    await insertDomainEvent(db, { merchantId });
    const d = dispatcher({ batchSize: 1 });
    await d.tick();
    expect(await getEndpoint(db, endpoint.id)).toMatchObject({ status: "disabled", disabledReason: "gone" });
    // The second event's delivery ends without being sent; the notice goes to the other endpoint.
    for (let i = 0; i < 5; i++) await d.tick();
    expect(gone.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(1);
    const notice = JSON.parse(other.requests[0]!.body) as { type: string; data: Record<string, unknown> };
    expect(notice).toMatchObject({ type: "endpoint.disabled", data: { endpointId: endpoint.id, reason: "gone", url: gone.url } });
    expect((await deliveriesOf(endpoint.id)).map((x) => x.status).sort()).toEqual(["dead", "dead", "dead"]);
    expect((await deliveriesOf(otherEndpoint.id)).map((x) => x.status)).toEqual(["succeeded"]);
  });

  it("times out a slow response and retries", async () => {
    const receiver = await server((_req, res) => {
      setTimeout(() => res.writeHead(200).end(), 2000).unref();
    });
    const { endpoint } = await endpoints().add({ merchantId, url: receiver.url });
    await insertDomainEvent(db, { merchantId });
    expect(await dispatcher({ requestTimeoutMs: 200 }).tick()).toMatchObject({ attempted: 1, failed: 1 });
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: "failed", lastError: "No complete response within 200 ms" });
    const [attempt] = await listAttempts(db, delivery!.id);
    expect(attempt).toMatchObject({ outcome: "timeout", responseStatus: null });
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(150);
    expect(attempt!.durationMs).toBeLessThan(1500);
  });

  it("counts a 302 as a failure and does not follow it", async () => {
    const target = await server();
    const redirecting = await server((_req, res) => void res.writeHead(302, { location: target.url }).end());
    const { endpoint } = await endpoints().add({ merchantId, url: redirecting.url });
    await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: "failed", lastStatusCode: 302, lastError: "HTTP 302" });
    expect((await listAttempts(db, delivery!.id))[0]).toMatchObject({ outcome: "redirect", responseHeaders: expect.objectContaining({ location: target.url }) });
  });

  it("delivers everything exactly once per webhook-id to a receiver that was down for a while", async () => {
    const port = await unusedPort();
    const { endpoint } = await endpoints().add({ merchantId, url: `http://127.0.0.1:${port}/hook` });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await insertDomainEvent(db, { merchantId }));
    const d = dispatcher({ batchSize: 4 });
    for (let i = 0; i < 3; i++) await d.tick();
    expect((await deliveriesOf(endpoint.id)).map((x) => x.status)).toEqual(Array(6).fill("failed"));
    expect((await listAttempts(db, (await deliveriesOf(endpoint.id))[0]!.id))[0]).toMatchObject({ outcome: "network_error" });

    const receiver = await server(undefined, port);
    for (let round = 0; round < 6 && (await deliveriesOf(endpoint.id)).some((x) => x.status !== "succeeded"); round++) {
      clock.advance(RETRY_DELAYS_MS[round]! * 1.1);
      await d.tick();
      await d.tick();
    }
    const received = receiver.requests.map((r) => r.headers["webhook-id"]);
    expect([...received].sort()).toEqual([...ids].sort());
    expect((await deliveriesOf(endpoint.id)).map((x) => x.status)).toEqual(Array(6).fill("succeeded"));
  });

  it("refuses a loopback endpoint when private networks are not allowed", async () => {
    const receiver = await server();
    const { endpoint } = await endpoints().add({ merchantId, url: receiver.url });
    await insertDomainEvent(db, { merchantId });
    expect(await dispatcher({ allowPrivateNetworks: false }).tick()).toMatchObject({ attempted: 1, failed: 1 });
    expect(receiver.requests).toHaveLength(0);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect((await listAttempts(db, delivery!.id))[0]).toMatchObject({ outcome: "refused", error: expect.stringMatching(/loopback/) });
  });

  it("disables an endpoint that has failed for 5 days and emits endpoint.disabled", async () => {
    const receiver = await server((_req, res) => void res.writeHead(503).end());
    const { endpoint } = await endpoints().add({ merchantId, url: receiver.url });
    const d = dispatcher();
    await insertDomainEvent(db, { merchantId });
    await d.tick();
    clock.advance(4 * DAY_MS);
    await insertDomainEvent(db, { merchantId });
    await d.tick();
    expect(await getEndpoint(db, endpoint.id)).toMatchObject({ status: "enabled" });
    clock.advance(DAY_MS);
    await insertDomainEvent(db, { merchantId });
    await d.tick();
    expect(await getEndpoint(db, endpoint.id)).toMatchObject({ status: "disabled", disabledReason: "failing" });
    const notices = await db.query<{ merchant_id: string; payload: { reason: string } }>("SELECT merchant_id, payload FROM domain_events WHERE type = 'endpoint.disabled'");
    expect(notices).toEqual([{ merchant_id: merchantId, payload: expect.objectContaining({ endpointId: endpoint.id, reason: "failing" }) }]);
  });

  it("run() sends at once when woken, without waiting for the poll interval", async () => {
    const receiver = await server();
    await endpoints().add({ merchantId, url: receiver.url });
    const controller = new AbortController();
    const dispatcher = createWebhookDispatcher({ ...ctx, signal: controller.signal }, { allowPrivateNetworks: true, pollIntervalMs: 60_000 });
    const running = dispatcher.run();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100)); // the first round found nothing and sleeps
      await insertDomainEvent(db, { merchantId });
      dispatcher.wake();
      for (let i = 0; i < 300 && receiver.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(receiver.requests).toHaveLength(1);
    } finally {
      controller.abort();
      await running;
    }
  });

  it("run() keeps batchSize deliveries in flight over reused connections and logs every attempt", async () => {
    let active = 0;
    let mostActive = 0;
    const receiver = await server(async (_req, res) => {
      active += 1;
      mostActive = Math.max(mostActive, active);
      await new Promise((resolve) => setTimeout(resolve, 30));
      active -= 1;
      res.writeHead(200).end("ok");
    });
    const { endpoint } = await endpoints().add({ merchantId, url: receiver.url });
    for (let i = 0; i < 40; i++) await insertDomainEvent(db, { merchantId });
    const controller = new AbortController();
    const running = createWebhookDispatcher({ ...ctx, signal: controller.signal }, { allowPrivateNetworks: true, batchSize: 6, pollIntervalMs: 20 }).run();
    for (let i = 0; i < 1000 && receiver.requests.length < 40; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await running;
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size).toBe(40);
    expect(mostActive).toBe(6);
    // Keep-alive: each of the (at most 6) sockets carried several requests.
    expect(receiver.connections()).toBeLessThanOrEqual(6);
    const deliveries = await listDeliveries(db, { endpointId: endpoint.id, limit: 100 });
    expect(deliveries.map((d) => [d.status, d.attemptCount])).toEqual(Array.from({ length: 40 }, () => ["succeeded", 1]));
    const attempts = await db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_attempts");
    expect(Number(attempts[0]!.n)).toBe(40);
  });

  it("run() keeps delivering until the signal aborts", async () => {
    const receiver = await server();
    await endpoints().add({ merchantId, url: receiver.url });
    await insertDomainEvent(db, { merchantId });
    const controller = new AbortController();
    const running = createWebhookDispatcher({ ...ctx, signal: controller.signal }, { allowPrivateNetworks: true, pollIntervalMs: 20 }).run();
    for (let i = 0; i < 200 && receiver.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await running;
    expect(receiver.requests).toHaveLength(1);
  });
});
