import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../relayer/src/store/db.js";
import { createWebhookDispatcher, createWebhookEndpoints } from "../../../relayer/src/webhooks/index.js";
import { postgresAvailable, startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { insertDomainEvent, insertMerchant, openMigratedDb, startRecordingServer, testContext } from "./support.js";

const EVENTS = 150;
const MAX_ROUNDS = 200;

describe("two dispatchers on one PostgreSQL", () => {
  let pg: ThrowawayPostgres;
  let dbs: Db[] = [];

  beforeAll(async () => {
    if (!postgresAvailable()) throw new Error("PostgreSQL binaries missing: apt-get install postgresql (CI installs it)");
    pg = await startThrowawayPostgres();
  });

  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    await pg?.stop();
  });

  it("never send the same delivery at the same time, and everything arrives exactly once", async () => {
    // Each dispatcher has its own pool, as two relayer processes would.
    dbs = [await openMigratedDb(pg.url), await openMigratedDb(pg.url)];
    const [first, second] = dbs as [Db, Db];
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    const sentBy = new Map<string, number>();
    const receiver = await startRecordingServer(async (req, res) => {
      // One delivery is one (webhook-id, endpoint) pair; the two endpoints differ by path.
      const id = `${String(req.headers["webhook-id"])} ${req.url}`;
      if (inFlight.has(id)) overlaps.push(id);
      inFlight.add(id);
      sentBy.set(id, (sentBy.get(id) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 8)));
      inFlight.delete(id);
      res.writeHead(200).end();
    });
    try {
      const merchantId = await insertMerchant(first);
      const endpoints = createWebhookEndpoints(testContext(first), { allowPrivateNetworks: true });
      await endpoints.add({ merchantId, url: receiver.url });
      await endpoints.add({ merchantId, url: receiver.url.replace("/hook", "/second") });
      const ids: string[] = [];
      for (let i = 0; i < EVENTS; i++) ids.push(await insertDomainEvent(first, { merchantId }));

      const dispatchers = [first, second].map((db, i) =>
        createWebhookDispatcher(testContext(db), { allowPrivateNetworks: true, batchSize: 8, workerId: `worker-${i}` }),
      );
      const attemptedBy = [0, 0];
      const drain = async (index: number) => {
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const result = await dispatchers[index]!.tick();
          attemptedBy[index]! += result.attempted;
          if (result.attempted === 0 && result.fannedOut === 0 && receiver.requests.length >= 2 * EVENTS) return;
        }
      };
      await Promise.all([drain(0), drain(1)]);

      expect(overlaps).toEqual([]);
      expect(receiver.requests).toHaveLength(2 * EVENTS);
      for (const id of ids) expect(receiver.requests.filter((r) => r.headers["webhook-id"] === id).map((r) => r.url).sort()).toEqual(["/hook", "/second"]);
      // Both processes did a share of the work.
      expect(attemptedBy[0]).toBeGreaterThan(0);
      expect(attemptedBy[1]).toBeGreaterThan(0);
      const [{ count }] = (await first.query<{ count: string }>("SELECT count(*)::text AS count FROM webhook_deliveries WHERE status = 'succeeded'")) as [{ count: string }];
      expect(Number(count)).toBe(2 * EVENTS);
      const workers = await first.query<{ worker_id: string }>("SELECT DISTINCT worker_id FROM webhook_attempts ORDER BY worker_id");
      expect(workers.map((w) => w.worker_id)).toEqual(["worker-0", "worker-1"]);
    } finally {
      await receiver.close();
    }
  });
});
