import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../relayer/src/store/db.js";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { expireLeasesOfGoneProcess } from "../../../relayer/src/store/leases.js";
import { createTimeoutsRepository } from "../../../relayer/src/store/timeouts-repository.js";
import { fanOutEvents, insertEndpoint, leaseDueDeliveries } from "../../../relayer/src/store/webhooks-repository.js";
import { insertDomainEvent, insertMerchant, openMigratedDb } from "../webhooks/support.js";

/** What a restarted PGlite relayer does first: take over the leases its killed predecessor held. */
describe("expireLeasesOfGoneProcess", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openMigratedDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it("frees every ingestion, sender and delivery lease so a new process takes them at once", async () => {
    const ingest = createIngestRepository(db);
    const timeouts = createTimeoutsRepository(db);
    const merchantId = await insertMerchant(db);
    await insertEndpoint(db, { id: "ep_1", merchantId, url: "https://example.com/hook", description: "", eventTypes: null, secret: "whsec_x", now: new Date() });
    await insertDomainEvent(db, { merchantId });
    await fanOutEvents(db, { now: new Date(), limit: 10 });
    const hour = 3_600_000;
    expect(await ingest.takeLease("local", "dead-process", hour)).toBe(true);
    expect(await timeouts.takeSenderLease("local", "0xoperator", "dead-process", hour)).toBe(true);
    const leased = await leaseDueDeliveries(db, { now: new Date(), leaseUntil: new Date(Date.now() + hour), workerId: "dead-process", limit: 10 });
    expect(leased).toHaveLength(1);
    // Before: the new process must wait an hour for each of them.
    expect(await ingest.takeLease("local", "new-process", hour)).toBe(false);
    expect(await leaseDueDeliveries(db, { now: new Date(), leaseUntil: new Date(Date.now() + hour), workerId: "new-process", limit: 10 })).toEqual([]);

    expect(await expireLeasesOfGoneProcess(db)).toEqual({ ingest: 1, senders: 1, deliveries: 1 });

    expect(await ingest.takeLease("local", "new-process", hour)).toBe(true);
    expect(await timeouts.takeSenderLease("local", "0xoperator", "new-process", hour)).toBe(true);
    expect((await leaseDueDeliveries(db, { now: new Date(), leaseUntil: new Date(Date.now() + hour), workerId: "new-process", limit: 10 })).map((d) => d.id)).toEqual([leased[0]!.id]);
    expect(await expireLeasesOfGoneProcess(db)).toEqual({ ingest: 1, senders: 1, deliveries: 1 });
  });
});
