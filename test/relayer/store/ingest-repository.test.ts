import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BlockHeader } from "../../../relayer/src/chains/index.js";
import type { VaultEvent, ChainEvent } from "../../../relayer/src/domain/vault-events.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { createIngestRepository, type BlockRangeCommit, type IngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { crashingAfter } from "../ingest/harness.js";
import { storeEngines } from "../support/engines.js";

const CHAIN = "local";
const VAULT = `0x${"55".repeat(20)}`;
const PAYER = `0x${"11".repeat(20)}`;
const PAYEE = `0x${"22".repeat(20)}`;
const TOKEN = `0x${"44".repeat(20)}`;
const HOLDER = "relayer-a";
const escrowId = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
/** Fork "a" and fork "b" give the same block number different hashes. */
const hashOf = (n: number, fork = "a") => `0x${fork.repeat(8)}${n.toString(16).padStart(56, "0")}`;
const header = (n: number, fork = "a"): BlockHeader => ({ number: n, hash: hashOf(n, fork), parentHash: hashOf(n - 1, fork), timestamp: 1_000 + n });

const opened = (id: string, amount = 1_000n, deadline = 5_000n): VaultEvent => ({
  name: "EscrowOpened",
  escrowId: id,
  payer: PAYER,
  payee: PAYEE,
  token: TOKEN,
  arbiter: `0x${"00".repeat(20)}`,
  amount,
  payBy: 9_000n,
  deadline,
  feeBps: 0,
  timeoutAction: "release",
  merchantReference: `0x${"00".repeat(32)}`,
});

function record(event: VaultEvent, blockNumber: number, logIndex: number, fork = "a"): ChainEvent {
  const subjectId = "escrowId" in event ? event.escrowId : "invoiceId" in event ? event.invoiceId : "payout";
  return { chain: CHAIN, blockNumber, blockHash: hashOf(blockNumber, fork), blockTimestamp: 1_000 + blockNumber, txHash: `0x${"ee".repeat(31)}${logIndex.toString(16).padStart(2, "0")}`, logIndex, subjectId, event };
}

function range(expectedCursor: number | null, to: number, events: ChainEvent[], fork = "a"): BlockRangeCommit {
  const blocks = [header(to, fork), ...events.map((e) => header(e.blockNumber, fork))];
  return { chain: CHAIN, vault: VAULT, formatAddress: (hex) => hex, holder: HOLDER, expectedCursor, toBlock: header(to, fork), blocks, events, reorgWindowBlocks: 64 };
}

/** Empties every table but the migration log. */
export async function truncateAll(db: Db): Promise<void> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
  );
  await db.exec(`TRUNCATE ${tables.map((t) => `"${t.table_name}"`).join(", ")} CASCADE`);
}

const engines = storeEngines();


describe.each(engines)("ingest repository on $name", ({ open }) => {
  let db: Db;
  let store: IngestRepository;
  // One database per engine (PGlite takes seconds to start on two cores); each test starts empty.
  beforeAll(async () => {
    db = await open();
    if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    await migrate(db);
    store = createIngestRepository(db);
  });
  beforeEach(async () => {
    await truncateAll(db);
    await store.takeLease(CHAIN, HOLDER, 60_000);
  });
  afterAll(async () => {
    await db.close();
  });

  const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

  it("commitBlockRange() writes raw events, projection, routed domain events, blocks and cursor together", async () => {
    await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_1', 'Shop')`);
    await db.query(`INSERT INTO merchant_addresses (chain, address, merchant_id) VALUES ($1, $2, 'mer_1')`, [CHAIN, PAYEE]);
    const id = escrowId(1);
    const result = await store.commitBlockRange(range(null, 20, [record(opened(id), 12, 0), record({ name: "EscrowReleased", escrowId: id, amount: 400n, fee: 0n }, 15, 0)]));
    expect(result.events).toBe(2);
    expect(result.domainEvents.map((e) => [e.type, e.sequence, e.merchantId])).toEqual([
      ["invoice.paid", 1, "mer_1"],
      ["escrow.released", 2, "mer_1"],
    ]);
    expect(result.domainEvents[1]!.payload).toMatchObject({ sequence: 2, amount: "400", blockNumber: 15, escrow: { status: "open", remaining: "600" } });
    expect(await store.getEscrow(CHAIN, id)).toMatchObject({ status: "open", remaining: 600n, releasedAmount: 400n, openedBlock: 12, updatedBlock: 15 });
    expect(await store.getCursor(CHAIN)).toEqual({ blockNumber: 20, blockHash: hashOf(20) });
    expect((await store.getRecentBlocks(CHAIN)).map((b) => b.number)).toEqual([20, 15, 12]);
    expect(await count("chain_events")).toBe(2);
  });

  it("keeps block hashes for the reorg window plus one older anchor", async () => {
    let cursor: number | null = null;
    for (const to of [10, 20, 30, 40]) {
      await store.commitBlockRange({ ...range(cursor, to, []), reorgWindowBlocks: 15 });
      cursor = to;
    }
    expect((await store.getRecentBlocks(CHAIN)).map((b) => b.number)).toEqual([40, 30, 20]);
  });

  it("a crash midway leaves nothing behind and the retry derives everything exactly once", async () => {
    const id = escrowId(2);
    const commit = range(null, 20, [record(opened(id), 12, 0)]);
    const crashing = createIngestRepository(crashingAfter(db, /INSERT INTO chain_events/));
    await expect(crashing.commitBlockRange(commit)).rejects.toThrow("process died");
    for (const table of ["chain_events", "escrows", "domain_events", "chain_blocks", "ingest_cursors"]) expect(await count(table)).toBe(0);

    const retried = await store.commitBlockRange(commit);
    expect(retried.domainEvents).toHaveLength(1);
    // A duplicate delivery of the same range (e.g. a second process) is refused as a whole.
    await expect(store.commitBlockRange(commit)).rejects.toThrow(/cursor moved/);
    expect(await count("chain_events")).toBe(1);
    expect(await count("domain_events")).toBe(1);
    expect(await store.getEscrow(CHAIN, id)).toMatchObject({ status: "open" });
  });

  it("only the lease holder can take, renew and commit; an expired lease can be taken over", async () => {
    expect(await store.takeLease(CHAIN, HOLDER, 60_000)).toBe(true);
    expect(await store.takeLease(CHAIN, "relayer-b", 60_000)).toBe(false);
    await expect(store.commitBlockRange({ ...range(null, 20, [record(opened(escrowId(3)), 12, 0)]), holder: "relayer-b" })).rejects.toThrow(/lease not held/);
    expect(await count("chain_events")).toBe(0);
    await store.releaseLease(CHAIN, HOLDER);
    expect(await store.takeLease(CHAIN, "relayer-b", 60_000)).toBe(true);
    await expect(store.commitBlockRange(range(null, 20, []))).rejects.toThrow(/lease not held/);
  });

  it("rollbackTo() deletes orphaned events, rebuilds projections and emits event.reverted for each derived event", async () => {
    const a = escrowId(4);
    const b = escrowId(5);
    await store.commitBlockRange(range(null, 10, [record(opened(a), 5, 0)]));
    await store.commitBlockRange(range(10, 20, [record({ name: "EscrowReleased", escrowId: a, amount: 1_000n, fee: 0n }, 14, 0), record(opened(b), 16, 0)]));
    expect(await store.getEscrow(CHAIN, a)).toMatchObject({ status: "released" });

    const result = await store.rollbackTo({ chain: CHAIN, vault: VAULT, formatAddress: (h) => h, holder: HOLDER, ancestor: { number: 10, hash: hashOf(10) } });
    expect(result.rawEventsDeleted).toBe(2);
    expect(result.reverted.map((r) => [r.subjectId, r.payload.revertedType, r.sequence])).toEqual(
      expect.arrayContaining([
        [a, "escrow.released", 3],
        [b, "invoice.paid", 2],
      ]),
    );
    expect(result.reverted.find((r) => r.subjectId === a)!.payload).toMatchObject({ escrow: { status: "open", remaining: "1000" }, commonAncestor: { blockNumber: 10 } });
    expect(await store.getEscrow(CHAIN, a)).toMatchObject({ status: "open", remaining: 1_000n, releasedAmount: 0n, dueAt: 5_000n });
    expect(await store.getEscrow(CHAIN, b)).toBeUndefined();
    expect(await store.getCursor(CHAIN)).toEqual({ blockNumber: 10, blockHash: hashOf(10) });

    // The other fork: escrow b opens in a different block; a second rollback reverts nothing twice.
    const other = await store.commitBlockRange(range(10, 21, [record(opened(b), 17, 0, "b")], "b"));
    expect(other.domainEvents.map((e) => [e.type, e.sequence])).toEqual([["invoice.paid", 3]]);
    const again = await store.rollbackTo({ chain: CHAIN, vault: VAULT, formatAddress: (h) => h, holder: HOLDER, ancestor: { number: 10, hash: hashOf(10) } });
    expect(again.reverted.map((r) => r.payload.revertedEventId)).toEqual([other.domainEvents[0]!.id]);
  });

  it("derives a log that comes back after being reverted under a new id", async () => {
    const id = escrowId(6);
    const first = await store.commitBlockRange(range(null, 10, [record(opened(id), 8, 0)]));
    await store.rollbackTo({ chain: CHAIN, vault: VAULT, formatAddress: (h) => h, holder: HOLDER, ancestor: { number: 5, hash: hashOf(5) } });
    const back = await store.commitBlockRange(range(5, 10, [record(opened(id), 8, 0)]));
    expect(back.domainEvents).toHaveLength(1);
    expect(back.domainEvents[0]!.id).not.toBe(first.domainEvents[0]!.id);
    expect(back.domainEvents[0]!.sequence).toBe(3);
    const types = (await store.listDomainEvents(CHAIN, id)).map((e) => `${e.sequence}:${e.type}`);
    expect(types).toEqual(["1:invoice.paid", "2:event.reverted", "3:invoice.paid"]);
  });

  it("lists escrows newest first with cursor pagination and filters, and finds due escrows", async () => {
    await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_2', 'Shop')`);
    await db.query(`INSERT INTO merchant_addresses (chain, address, merchant_id) VALUES ($1, $2, 'mer_2')`, [CHAIN, PAYEE]);
    const events = [1, 2, 3, 4, 5].map((n) => record(opened(escrowId(100 + n), 10n, BigInt(2_000 + n)), n, 0));
    events.push(record({ name: "EscrowRefunded", escrowId: escrowId(103), amount: 10n }, 6, 0));
    await store.commitBlockRange(range(null, 6, events));

    const first = await store.listEscrows({ chain: CHAIN, limit: 2 });
    expect(first.items.map((e) => e.openedBlock)).toEqual([5, 4]);
    const second = await store.listEscrows({ chain: CHAIN, limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.openedBlock)).toEqual([3, 2]);
    const last = await store.listEscrows({ chain: CHAIN, limit: 2, cursor: second.nextCursor! });
    expect(last.items.map((e) => e.openedBlock)).toEqual([1]);
    expect(last.nextCursor).toBeNull();

    expect((await store.listEscrows({ status: "refunded" })).items.map((e) => e.escrowId)).toEqual([escrowId(103)]);
    expect((await store.listEscrows({ merchantId: "mer_2" })).items).toHaveLength(5);
    expect((await store.listEscrows({ merchantId: "mer_other" })).items).toHaveLength(0);

    const due = await store.listDueEscrows(CHAIN, 2_004n, 10);
    expect(due.map((e) => e.escrowId)).toEqual([escrowId(101), escrowId(102)]);
  });
});
