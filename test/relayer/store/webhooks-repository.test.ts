import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import {
  completeAttempt,
  completeAttempts,
  disableEndpoint,
  fanOutEvents,
  getDelivery,
  insertEndpoint,
  leaseDueDeliveries,
  listAttempts,
  listDeliveries,
  liveSecrets,
  redeliver,
  redeliverFailedSince,
  rotateSecret,
  type AttemptLogEntry,
} from "../../../relayer/src/store/webhooks-repository.js";
import { storeEngines } from "../support/engines.js";
import { insertDomainEvent, insertMerchant, resetTables } from "../webhooks/support.js";

/** The webhooks repository on both engines: embedded PGlite and a throwaway PostgreSQL cluster. */

const engines = storeEngines();

const t0 = new Date("2026-11-22T00:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function attempt(deliveryId: string, workerId: string, overrides: Partial<AttemptLogEntry> = {}): AttemptLogEntry {
  return {
    deliveryId,
    attemptNumber: 1,
    trigger: "schedule",
    workerId,
    url: "https://example.com/hook",
    requestHeaders: { "webhook-id": "evt_x" },
    requestBody: "{}",
    responseStatus: 500,
    responseHeaders: { "content-type": "text/plain" },
    responseBody: "boom",
    durationMs: 12,
    outcome: "http_error",
    error: "HTTP 500",
    startedAt: t0,
    ...overrides,
  };
}

describe.each(engines)("webhooks repository on $name", ({ open }) => {
  let db: Db;
  let merchantId: string;

  beforeAll(async () => {
    db = await open();
    if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    await migrate(db);
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    await resetTables(db);
    merchantId = await insertMerchant(db);
  });

  const endpoint = (id: string, extra: { eventTypes?: string[] } = {}) =>
    insertEndpoint(db, { id, merchantId, url: `https://example.com/${id}`, description: "", eventTypes: extra.eventTypes ?? null, secret: `whsec_${id}`, now: t0 });

  it("fans each domain event out once, per matching endpoint, with a dead row for a disabled one", async () => {
    await endpoint("ep_all");
    await endpoint("ep_paid", { eventTypes: ["invoice.paid"] });
    await endpoint("ep_off");
    await disableEndpoint(db, { endpointId: "ep_off", reason: "manual", now: t0 });
    const paid = await insertDomainEvent(db, { merchantId, type: "invoice.paid" });
    const released = await insertDomainEvent(db, { merchantId, type: "escrow.released" });
    await insertDomainEvent(db, { merchantId: null });

    expect(await fanOutEvents(db, { now: t0, limit: 100 })).toBe(3);
    expect(await fanOutEvents(db, { now: t0, limit: 100 })).toBe(0);
    const rows = await db.query<{ event_id: string; endpoint_id: string; status: string }>(
      "SELECT event_id, endpoint_id, status FROM webhook_deliveries ORDER BY endpoint_id, event_id",
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { event_id: paid, endpoint_id: "ep_all", status: "pending" },
        { event_id: released, endpoint_id: "ep_all", status: "pending" },
        { event_id: paid, endpoint_id: "ep_paid", status: "pending" },
        { event_id: paid, endpoint_id: "ep_off", status: "dead" },
        { event_id: released, endpoint_id: "ep_off", status: "dead" },
      ]),
    );
    expect(rows).toHaveLength(5);
  });

  it("leases a due delivery to one worker until its lease runs out", async () => {
    await endpoint("ep_1");
    const eventId = await insertDomainEvent(db, { merchantId, payload: { sequence: 1 } });
    await fanOutEvents(db, { now: t0, limit: 10 });

    const first = await leaseDueDeliveries(db, { now: t0, leaseUntil: at(60), workerId: "a", limit: 10 });
    expect(first).toEqual([
      expect.objectContaining({ attemptCount: 0, endpoint: { id: "ep_1", merchantId, url: "https://example.com/ep_1" }, secrets: ["whsec_ep_1"] }),
    ]);
    expect(first[0]!.event).toMatchObject({ id: eventId, type: "invoice.paid", payload: { sequence: 1 } });
    expect(await leaseDueDeliveries(db, { now: at(59), leaseUntil: at(120), workerId: "b", limit: 10 })).toEqual([]);
    // Worker a crashed: after lease_until, b takes the delivery over, and a's late result is ignored.
    const taken = await leaseDueDeliveries(db, { now: at(60), leaseUntil: at(120), workerId: "b", limit: 10 });
    expect(taken.map((d) => d.id)).toEqual([first[0]!.id]);
    const late = await completeAttempt(db, { attempt: attempt(first[0]!.id, "a"), endpointId: "ep_1", status: "failed", nextAttemptAt: at(65), now: at(61) });
    expect(late.leaseHeld).toBe(false);
    expect(await getDelivery(db, first[0]!.id)).toMatchObject({ status: "delivering", leasedBy: "b", attemptCount: 0 });
    const done = await completeAttempt(db, {
      attempt: attempt(first[0]!.id, "b", { responseStatus: 200, outcome: "succeeded", error: null }),
      endpointId: "ep_1",
      status: "succeeded",
      nextAttemptAt: null,
      now: at(62),
    });
    expect(done).toEqual({ leaseHeld: true, endpointStatus: "enabled", failingSince: null });
    expect(await getDelivery(db, first[0]!.id)).toMatchObject({ status: "succeeded", attemptCount: 1, succeededAt: at(62), leasedBy: null, leaseUntil: null });
    expect((await listAttempts(db, first[0]!.id)).map((a) => a.workerId)).toEqual(["a", "b"]);
  });

  it("concurrent leases never hand out the same delivery twice", async () => {
    await endpoint("ep_1");
    for (let i = 0; i < 30; i++) await insertDomainEvent(db, { merchantId });
    await fanOutEvents(db, { now: t0, limit: 100 });
    const other = db.kind === "postgres" ? await open() : db;
    try {
      const batches = await Promise.all(
        ["a", "b", "c"].map((workerId, i) => leaseDueDeliveries(i === 1 ? other : db, { now: t0, leaseUntil: at(60), workerId, limit: 12 })),
      );
      const ids = batches.flat().map((d) => d.id);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    } finally {
      if (other !== db) await other.close();
    }
  });

  it("records failures on the delivery and the endpoint's health, and a success clears it", async () => {
    await endpoint("ep_1");
    await insertDomainEvent(db, { merchantId });
    await fanOutEvents(db, { now: t0, limit: 10 });
    const [leased] = await leaseDueDeliveries(db, { now: t0, leaseUntil: at(60), workerId: "a", limit: 1 });
    const failed = await completeAttempt(db, { attempt: attempt(leased!.id, "a"), endpointId: "ep_1", status: "failed", nextAttemptAt: at(5), now: at(1) });
    expect(failed).toEqual({ leaseHeld: true, endpointStatus: "enabled", failingSince: at(1) });
    expect(await getDelivery(db, leased!.id)).toMatchObject({ status: "failed", attemptCount: 1, nextAttemptAt: at(5), firstFailureAt: at(1), lastStatusCode: 500, lastError: "HTTP 500" });
    expect(await leaseDueDeliveries(db, { now: at(4), leaseUntil: at(60), workerId: "a", limit: 1 })).toEqual([]);
    const [again] = await leaseDueDeliveries(db, { now: at(5), leaseUntil: at(60), workerId: "a", limit: 1 });
    expect(again).toMatchObject({ id: leased!.id, attemptCount: 1 });
    const ok = await completeAttempt(db, {
      attempt: attempt(leased!.id, "a", { attemptNumber: 2, responseStatus: 204, outcome: "succeeded", error: null }),
      endpointId: "ep_1",
      status: "succeeded",
      nextAttemptAt: null,
      now: at(6),
    });
    expect(ok.failingSince).toBeNull();
    const log = await listAttempts(db, leased!.id);
    expect(log.map((a) => [a.attemptNumber, a.responseStatus, a.outcome])).toEqual([
      [1, 500, "http_error"],
      [2, 204, "succeeded"],
    ]);
    expect(log[0]).toMatchObject({ requestHeaders: { "webhook-id": "evt_x" }, responseHeaders: { "content-type": "text/plain" }, responseBody: "boom", durationMs: 12 });
  });

  it("completeAttempts() records a batch in finishing order: each endpoint's health is what one-by-one would give", async () => {
    await endpoint("ep_1");
    await endpoint("ep_2");
    for (let i = 0; i < 3; i++) await insertDomainEvent(db, { merchantId });
    await fanOutEvents(db, { now: t0, limit: 10 });
    const leased = await leaseDueDeliveries(db, { now: t0, leaseUntil: at(60), workerId: "a", limit: 10 });
    const on = (endpointId: string) => leased.filter((d) => d.endpoint.id === endpointId).map((d) => d.id);
    const [d1, d2, d3] = on("ep_1");
    const [e1, e2] = on("ep_2");
    const ok = { responseStatus: 200, outcome: "succeeded", error: null };
    const results = await completeAttempts(db, [
      { attempt: attempt(d1!, "a"), endpointId: "ep_1", status: "failed", nextAttemptAt: at(10), now: at(1) },
      { attempt: attempt(d2!, "a", ok), endpointId: "ep_1", status: "succeeded", nextAttemptAt: null, now: at(2) },
      { attempt: attempt(d3!, "a"), endpointId: "ep_1", status: "failed", nextAttemptAt: at(10), now: at(3) },
      { attempt: attempt(e1!, "a"), endpointId: "ep_2", status: "failed", nextAttemptAt: at(10), now: at(4) },
      { attempt: attempt(e2!, "b"), endpointId: "ep_2", status: "failed", nextAttemptAt: at(10), now: at(5) },
    ]);
    // ep_1 failed again after its success at 2 s: failing since 3 s. ep_2 never succeeded: since its first failure.
    expect(results.map((r) => [r.leaseHeld, r.failingSince])).toEqual([
      [true, at(3)],
      [true, at(3)],
      [true, at(3)],
      [true, at(4)],
      [false, at(4)], // worker b never held e2's lease: its attempt is logged, the delivery is untouched
    ]);
    expect(await getDelivery(db, d2!)).toMatchObject({ status: "succeeded", attemptCount: 1, succeededAt: at(2) });
    expect(await getDelivery(db, d3!)).toMatchObject({ status: "failed", attemptCount: 1, firstFailureAt: at(3), nextAttemptAt: at(10) });
    expect(await getDelivery(db, e2!)).toMatchObject({ status: "delivering", leasedBy: "a", attemptCount: 0 });
    expect((await listAttempts(db, e2!)).map((a) => a.workerId)).toEqual(["b"]);
    expect(await completeAttempts(db, [])).toEqual([]);
  });

  it("disableEndpoint() ends outstanding deliveries and emits the notice once", async () => {
    await endpoint("ep_1");
    await insertDomainEvent(db, { merchantId });
    await fanOutEvents(db, { now: t0, limit: 10 });
    const notice = { id: "evt_notice", merchantId, type: "endpoint.disabled", subjectId: "ep_1", payload: { endpointId: "ep_1", reason: "gone" } };
    expect(await disableEndpoint(db, { endpointId: "ep_1", reason: "gone", now: t0, notice })).toBe(true);
    expect(await disableEndpoint(db, { endpointId: "ep_1", reason: "gone", now: t0, notice: { ...notice, id: "evt_notice2" } })).toBe(false);
    expect((await listDeliveries(db, { endpointId: "ep_1", limit: 10 })).map((d) => [d.status, d.lastError])).toEqual([["dead", "endpoint disabled"]]);
    const events = await db.query("SELECT id, merchant_id, type, chain, subject_id, sequence, payload FROM domain_events WHERE type = 'endpoint.disabled'");
    expect(events).toEqual([
      { id: "evt_notice", merchant_id: merchantId, type: "endpoint.disabled", chain: "relayer", subject_id: "ep_1", sequence: 1, payload: { endpointId: "ep_1", reason: "gone", sequence: 1 } },
    ]);
  });

  it("rotateSecret() keeps old secrets live until the grace period ends", async () => {
    await endpoint("ep_1");
    await rotateSecret(db, { endpointId: "ep_1", secret: "whsec_two", now: at(10), previousExpireAt: at(100) });
    expect((await liveSecrets(db, ["ep_1"], at(50))).get("ep_1")).toEqual(["whsec_two", "whsec_ep_1"]);
    await rotateSecret(db, { endpointId: "ep_1", secret: "whsec_three", now: at(20), previousExpireAt: at(200) });
    // A second rotation never extends an earlier secret's expiry.
    expect((await liveSecrets(db, ["ep_1"], at(150))).get("ep_1")).toEqual(["whsec_three", "whsec_two"]);
    expect((await liveSecrets(db, ["ep_1"], at(200))).get("ep_1")).toEqual(["whsec_three"]);
  });

  it("redeliver() and redeliverFailedSince() reset the schedule of the chosen deliveries", async () => {
    await endpoint("ep_1");
    for (let i = 0; i < 3; i++) await insertDomainEvent(db, { merchantId });
    await fanOutEvents(db, { now: t0, limit: 10 });
    const leased = await leaseDueDeliveries(db, { now: t0, leaseUntil: at(60), workerId: "a", limit: 10 });
    const [a, b, c] = leased.map((d) => d.id) as [string, string, string];
    await completeAttempt(db, { attempt: attempt(a, "a"), endpointId: "ep_1", status: "dead", nextAttemptAt: null, now: at(1) });
    await completeAttempt(db, { attempt: attempt(b, "a"), endpointId: "ep_1", status: "failed", nextAttemptAt: at(3600), now: at(1) });
    expect(await redeliver(db, { deliveryId: c, now: at(2) })).toBe(false); // still being sent
    await completeAttempt(db, { attempt: attempt(c, "a", { outcome: "succeeded" }), endpointId: "ep_1", status: "succeeded", nextAttemptAt: null, now: at(1) });

    expect(await redeliverFailedSince(db, { endpointId: "ep_1", since: at(1), now: at(2) })).toBe(0);
    expect(await redeliverFailedSince(db, { endpointId: "ep_1", since: t0, now: at(2) })).toBe(2);
    expect(await getDelivery(db, a)).toMatchObject({ status: "pending", attemptCount: 0, nextAttemptAt: at(2), redeliveredAt: at(2), firstFailureAt: null });
    expect(await redeliver(db, { deliveryId: c, now: at(3) })).toBe(true);
    expect((await leaseDueDeliveries(db, { now: at(3), leaseUntil: at(60), workerId: "a", limit: 10 })).map((d) => d.id).sort()).toEqual([a, b, c].sort());
  });

  it("listDeliveries() pages newest first and filters by status", async () => {
    await endpoint("ep_1");
    for (let i = 0; i < 5; i++) {
      await insertDomainEvent(db, { merchantId });
      await fanOutEvents(db, { now: at(i), limit: 10 });
    }
    const page1 = await listDeliveries(db, { endpointId: "ep_1", limit: 2 });
    const last = page1[page1.length - 1]!;
    const page2 = await listDeliveries(db, { endpointId: "ep_1", limit: 10, before: { createdAt: last.createdAt, id: last.id } });
    expect(page1.map((d) => d.createdAt)).toEqual([at(4), at(3)]);
    expect(page2.map((d) => d.createdAt)).toEqual([at(2), at(1), at(0)]);
    expect(await listDeliveries(db, { endpointId: "ep_1", limit: 10, status: "succeeded" })).toEqual([]);
    expect(page1[0]!.eventType).toBe("invoice.paid");
  });
});
