import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Context } from "../../../relayer/src/common/context.js";
import { NonRetryableUserError } from "../../../relayer/src/common/errors.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { createWebhookDispatcher, createWebhookEndpoints, SsrfRefusedError, WebhookNotFoundError } from "../../../relayer/src/webhooks/index.js";
import { sign } from "../../../relayer/src/webhooks/signer.js";
import { insertDomainEvent, insertMerchant, movableClock, openMigratedDb, resetTables, startRecordingServer, testContext, type RecordingServer } from "./support.js";

const HOUR_MS = 3600 * 1000;

describe("webhook endpoints service", () => {
  let db: Db;
  let ctx: Context;
  let merchantId: string;
  let clock: ReturnType<typeof movableClock>;
  let receiver: RecordingServer;
  let status = 200;

  beforeAll(async () => {
    db = await openMigratedDb();
    receiver = await startRecordingServer((_req, res) => void res.writeHead(status).end());
  });

  afterAll(async () => {
    await receiver.close();
    await db.close();
  });

  beforeEach(async () => {
    await resetTables(db);
    ctx = testContext(db);
    merchantId = await insertMerchant(db);
    clock = movableClock();
    receiver.requests.length = 0;
    status = 200;
  });

  const service = () => createWebhookEndpoints(ctx, { allowPrivateNetworks: true, clock: clock.now });
  const dispatcher = () => createWebhookDispatcher(ctx, { allowPrivateNetworks: true, clock: clock.now, random: () => 0.5 });

  it("add() returns the whsec_ secret once; list() and get() never show it", async () => {
    const { endpoint, secret } = await service().add({ merchantId, url: receiver.url, description: "orders", eventTypes: ["invoice.paid"] });
    expect(secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ merchantId, url: receiver.url, description: "orders", eventTypes: ["invoice.paid"], status: "enabled" });
    expect(await service().list(merchantId)).toEqual([endpoint]);
    expect(JSON.stringify(await service().get(merchantId, endpoint.id))).not.toContain(secret);
  });

  it("add() refuses private URLs unless allowed, unknown event types, and other merchants see nothing", async () => {
    const strict = createWebhookEndpoints(ctx, { clock: clock.now });
    await expect(strict.add({ merchantId, url: "http://169.254.169.254/latest" })).rejects.toThrow(SsrfRefusedError);
    await expect(strict.add({ merchantId, url: "http://[::1]:8080/" })).rejects.toThrow(SsrfRefusedError);
    await expect(service().add({ merchantId, url: receiver.url, eventTypes: ["invoice.paied"] })).rejects.toThrow("Unknown webhook event types: invoice.paied");
    const { endpoint } = await service().add({ merchantId, url: receiver.url });
    const stranger = await insertMerchant(db);
    await expect(service().get(stranger, endpoint.id)).rejects.toThrow(WebhookNotFoundError);
    await expect(service().disable(stranger, endpoint.id)).rejects.toThrow(WebhookNotFoundError);
    expect(await service().list(stranger)).toEqual([]);
  });

  it("only subscribed event types are delivered", async () => {
    await service().add({ merchantId, url: receiver.url, eventTypes: ["escrow.released"] });
    await insertDomainEvent(db, { merchantId, type: "invoice.paid" });
    const released = await insertDomainEvent(db, { merchantId, type: "escrow.released" });
    await dispatcher().tick();
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([released]);
  });

  it("rotateSecret() signs with old and new secrets until the old one expires", async () => {
    const { endpoint, secret: oldSecret } = await service().add({ merchantId, url: receiver.url });
    const { secret: newSecret, previousExpiresAt } = await service().rotateSecret(merchantId, endpoint.id);
    expect(previousExpiresAt.getTime() - clock.now().getTime()).toBe(24 * HOUR_MS);
    await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    const during = receiver.requests[0]!;
    expect((during.headers["webhook-signature"] as string).split(" ")).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) expect(() => new Webhook(secret).verify(during.body, during.headers as Record<string, string>)).not.toThrow();

    // After the grace period only the new secret signs. The timestamp is then a day ahead of real
    // time, so the check is by hand rather than through the verifier's replay window.
    clock.advance(24 * HOUR_MS);
    await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    const after = receiver.requests[1]!;
    expect((after.headers["webhook-signature"] as string).split(" ")).toHaveLength(1);
    const ts = Number(after.headers["webhook-timestamp"]);
    expect(after.headers["webhook-signature"]).toBe(sign(newSecret, after.headers["webhook-id"] as string, ts, after.body));
  });

  it("disable() stops deliveries; enable() resumes new ones and redeliverFailed() catches up", async () => {
    const { endpoint } = await service().add({ merchantId, url: receiver.url });
    const disabled = await service().disable(merchantId, endpoint.id);
    expect(disabled).toMatchObject({ status: "disabled", disabledReason: "manual" });
    const missed = await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    expect(receiver.requests).toHaveLength(0);
    await expect(service().redeliverFailed(merchantId, endpoint.id, new Date(0))).rejects.toThrow(NonRetryableUserError);

    expect(await service().enable(merchantId, endpoint.id)).toMatchObject({ status: "enabled", disabledReason: null, failingSince: null });
    const fresh = await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([fresh]);
    expect(await service().redeliverFailed(merchantId, endpoint.id, new Date(clock.now().getTime() - HOUR_MS))).toBe(1);
    await dispatcher().tick();
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([fresh, missed]);
  });

  it("redeliver() sends one delivery again now and logs the attempt as manual", async () => {
    const { endpoint } = await service().add({ merchantId, url: receiver.url });
    const eventId = await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    const [delivery] = await service().listDeliveries(merchantId, endpoint.id);
    expect(delivery).toMatchObject({ eventId, status: "succeeded" });
    const queued = await service().redeliver(merchantId, delivery!.id);
    expect(queued).toMatchObject({ status: "pending", attemptCount: 0 });
    await dispatcher().tick();
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([eventId, eventId]);
    const { attempts } = await service().getDelivery(merchantId, delivery!.id);
    expect(attempts.map((a) => a.trigger)).toEqual(["schedule", "manual"]);
    await expect(service().redeliver(await insertMerchant(db), delivery!.id)).rejects.toThrow(WebhookNotFoundError);
  });

  it("redeliverFailed() resends only failed and dead deliveries since the given time", async () => {
    const { endpoint } = await service().add({ merchantId, url: receiver.url });
    status = 500;
    const old = await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    clock.advance(2 * HOUR_MS);
    const since = clock.now();
    const recent = [await insertDomainEvent(db, { merchantId }), await insertDomainEvent(db, { merchantId })];
    await dispatcher().tick();
    status = 200;
    const ok = await insertDomainEvent(db, { merchantId });
    await dispatcher().tick();
    receiver.requests.length = 0;

    expect(await service().redeliverFailed(merchantId, endpoint.id, since)).toBe(2);
    await dispatcher().tick();
    expect(receiver.requests.map((r) => r.headers["webhook-id"]).sort()).toEqual([...recent].sort());
    const byEvent = new Map((await service().listDeliveries(merchantId, endpoint.id)).map((d) => [d.eventId, d.status]));
    expect(byEvent.get(ok)).toBe("succeeded");
    expect(byEvent.get(old)).toBe("failed");
  });

  it("sendTest() delivers an endpoint.test event to that endpoint only", async () => {
    const { endpoint } = await service().add({ merchantId, url: receiver.url });
    const other = await startRecordingServer();
    try {
      await service().add({ merchantId, url: other.url });
      const { eventId, deliveryId } = await service().sendTest(merchantId, endpoint.id);
      await dispatcher().tick();
      expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([eventId]);
      expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ type: "endpoint.test", data: { endpointId: endpoint.id } });
      expect(other.requests).toHaveLength(0);
      expect((await service().getDelivery(merchantId, deliveryId)).delivery.status).toBe("succeeded");
    } finally {
      await other.close();
    }
  });
});
