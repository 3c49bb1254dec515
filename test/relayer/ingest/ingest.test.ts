import { Contract, getAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toVaultEscrow } from "../../../relayer/src/domain/escrow.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { EscrowVault__factory } from "../../../typechain-types/index.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";
import { postgresAvailable, startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { crashingAfter, drain, makeIngester, type TestIngester } from "./harness.js";

const CONFIRMATIONS = 2;
const DAY_SECONDS = 86_400;

let node: HardhatNode;
let pg: ThrowawayPostgres | undefined;

beforeAll(async () => {
  if (!postgresAvailable()) throw new Error("PostgreSQL binaries missing: apt-get install postgresql (CI installs it)");
  [node, pg] = await Promise.all([startHardhatNode(), startThrowawayPostgres()]);
});
afterAll(async () => {
  await node?.stop();
  await pg?.stop();
});

const engines = [
  { name: "pglite", open: () => openDb({ dataDir: "memory://" }) },
  { name: "postgres", open: () => openDb({ databaseUrl: pg!.url }) },
] as const;

async function freshDb(open: () => Promise<Db>): Promise<Db> {
  const db = await open();
  if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await migrate(db);
  return db;
}

describe.each(engines)("ingestion on $name against a Hardhat node", ({ open }) => {
  let db: Db;
  let fx: VaultFixture;
  let t: TestIngester;
  beforeAll(async () => {
    db = await freshDb(open);
    fx = await deployVaultFixture(node);
    await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_1', 'Shop')`);
    await db.query(`INSERT INTO merchant_addresses (chain, address, merchant_id) VALUES ('local', $1, 'mer_1')`, [(await fx.merchant.getAddress()).toLowerCase()]);
    t = makeIngester({ db, rpcUrl: node.url, chain: { vault: fx.vault, startBlock: fx.deployBlock, confirmations: CONFIRMATIONS } });
  });
  afterAll(async () => {
    await t?.reader.close();
    await db?.close();
  });

  /** Confirms what was just mined and ingests it. */
  async function confirmAndIngest() {
    await fx.mine(CONFIRMATIONS);
    return drain(t.ingester);
  }
  const escrowOf = async (id: string) => toVaultEscrow((await t.store.getEscrow("local", id))!);
  const vault = () => new Contract(fx.vault, EscrowVault__factory.abi, fx.provider);

  it("derives every escrow lifecycle from real payments, and the projection is the struct the vault accepts", async () => {
    const arbiter = await fx.arbiter.getAddress();
    const released = await fx.payInvoice({ arbiter });
    const refunded = await fx.payInvoice();
    const resolved = await fx.payInvoice({ arbiter });
    const timedOut = await fx.payInvoice({ holdPeriod: DAY_SECONDS });
    const settled = await fx.payInvoice({ holdPeriod: 0 });
    const cancelled = await fx.cancelInvoice();
    const stillOpen = await fx.payInvoice({ holdPeriod: 30 * DAY_SECONDS });
    await confirmAndIngest();
    expect(await t.store.getEscrow("local", released.invoiceId)).toMatchObject({ status: "open", remaining: 1_000_000n, arbiter: arbiter.toLowerCase() });

    // Each action passes back the struct rebuilt from the projection: the vault checks it against its hash.
    await fx.send(fx.payer, "release", released.invoiceId, await escrowOf(released.invoiceId), 400_000n);
    await fx.send(fx.merchant, "refund", refunded.invoiceId, await escrowOf(refunded.invoiceId), 1_000_000n);
    await fx.send(fx.payer, "dispute", resolved.invoiceId, await escrowOf(resolved.invoiceId));
    const newDeadline = (await escrowOf(timedOut.invoiceId)).deadline + 60n;
    await fx.send(fx.merchant, "extendDeadline", timedOut.invoiceId, await escrowOf(timedOut.invoiceId), newDeadline);
    await confirmAndIngest();
    expect(await t.store.getEscrow("local", resolved.invoiceId)).toMatchObject({ status: "disputed" });

    await fx.send(fx.payer, "release", released.invoiceId, await escrowOf(released.invoiceId), 600_000n);
    await fx.send(fx.arbiter, "resolve", resolved.invoiceId, await escrowOf(resolved.invoiceId), 700_000n);
    await node.rpc("evm_increaseTime", [DAY_SECONDS + 120]);
    await fx.send(fx.payer, "executeTimeout", timedOut.invoiceId, await escrowOf(timedOut.invoiceId));
    const ticks = await confirmAndIngest();

    const get = (id: string) => t.store.getEscrow("local", id);
    expect(await get(released.invoiceId)).toMatchObject({ status: "released", remaining: 0n, releasedAmount: 1_000_000n, dueAt: null });
    expect(await get(refunded.invoiceId)).toMatchObject({ status: "refunded", refundedAmount: 1_000_000n });
    expect(await get(resolved.invoiceId)).toMatchObject({ status: "resolved", releasedAmount: 700_000n, refundedAmount: 300_000n });
    expect(await get(timedOut.invoiceId)).toMatchObject({ status: "timed_out", deadline: newDeadline, releasedAmount: 1_000_000n });
    expect(await get(settled.invoiceId)).toBeUndefined();
    const open = await get(stillOpen.invoiceId);
    expect(open).toMatchObject({ status: "open" });
    expect(await vault().getFunction("escrowHashOf")(stillOpen.invoiceId)).toBe(await vault().getFunction("hashEscrow")(toVaultEscrow(open!)));

    const types = async (id: string) => (await t.store.listDomainEvents("local", id)).map((e) => `${e.sequence}:${e.type}`);
    expect(await types(released.invoiceId)).toEqual(["1:invoice.paid", "2:escrow.released", "3:escrow.released"]);
    expect(await types(refunded.invoiceId)).toEqual(["1:invoice.paid", "2:escrow.refunded"]);
    expect(await types(resolved.invoiceId)).toEqual(["1:invoice.paid", "2:escrow.disputed", "3:escrow.resolved"]);
    expect(await types(timedOut.invoiceId)).toEqual(["1:invoice.paid", "2:escrow.extended", "3:escrow.timeout_executed"]);
    expect(await types(settled.invoiceId)).toEqual(["1:invoice.paid"]);
    expect(await types(cancelled.invoiceId)).toEqual(["1:invoice.cancelled"]);
    const all = await t.store.listDomainEvents("local");
    expect(new Set(all.map((e) => e.merchantId))).toEqual(new Set(["mer_1"]));
    expect(all.find((e) => e.subjectId === settled.invoiceId)!.payload).toMatchObject({ settlement: "direct", amount: "1000000", vault: getAddress(fx.vault) });

    const head = await t.reader.getHeadBlockNumber("latest");
    expect(ticks.at(-1)).toEqual({ kind: "idle", head, lastBlock: head - CONFIRMATIONS });
    expect((await t.ctx.metrics.ingestLagBlocks.get()).values[0]).toMatchObject({ labels: { chain: "local" }, value: CONFIRMATIONS });
    expect((await t.store.listDueEscrows("local", BigInt(await fx.latestTimestamp()), 10)).map((e) => e.escrowId)).toEqual([]);
  });

  it("replaces blocks that were confirmed and ingested, corrects the projection and reverts what was undone", async () => {
    const escrow = await fx.payInvoice({ arbiter: await fx.arbiter.getAddress() });
    await confirmAndIngest();
    const snapshot = await node.rpc<string>("evm_snapshot");
    const forkPoint = await t.reader.getHeadBlockNumber("latest");

    // Fork A: the payer releases everything; deeper than the confirmations, so it is ingested.
    await fx.send(fx.payer, "release", escrow.invoiceId, await escrowOf(escrow.invoiceId), 1_000_000n);
    await fx.mine(3);
    await confirmAndIngest();
    const released = await t.store.listDomainEvents("local", escrow.invoiceId);
    expect(released.map((e) => e.type)).toEqual(["invoice.paid", "escrow.released"]);
    expect(await t.store.getEscrow("local", escrow.invoiceId)).toMatchObject({ status: "released" });

    // Fork B replaces every block after the fork point: a dispute instead of the release, on a longer chain.
    await node.rpc("evm_revert", [snapshot]);
    // The projection says "released" until the ingester sees fork B; the vault's struct is the opening one.
    await fx.send(fx.payer, "dispute", escrow.invoiceId, escrow.escrow);
    await fx.mine(8);
    const ticks = await confirmAndIngest();

    // The ancestor is the newest remembered block (range end or event block) that fork B kept.
    const reorg = ticks.find((r) => r.kind === "reorg");
    if (reorg?.kind !== "reorg") throw new Error("no reorg detected");
    expect(reorg.ancestor.number).toBeLessThanOrEqual(forkPoint);
    expect((await t.reader.getBlock(reorg.ancestor.number)).hash).toBe(reorg.ancestor.hash);
    expect(await t.store.getEscrow("local", escrow.invoiceId)).toMatchObject({ status: "disputed", remaining: 1_000_000n, releasedAmount: 0n });
    const events = await t.store.listDomainEvents("local", escrow.invoiceId);
    expect(events.map((e) => `${e.sequence}:${e.type}`)).toEqual(["1:invoice.paid", "2:escrow.released", "3:event.reverted", "4:escrow.disputed"]);
    expect(events[2]!.payload).toMatchObject({ revertedEventId: released[1]!.id, revertedType: "escrow.released", escrow: { status: "open" } });
    expect((await t.ctx.metrics.ingestReorgs.get()).values[0]?.value).toBe(1);

  });

  it("a tick that crashes inside its transaction writes nothing, and the retry derives each event once", async () => {
    const paid = await fx.payInvoice();
    await fx.mine(CONFIRMATIONS);
    const cursorBefore = await t.store.getCursor("local");
    const crashingDb = crashingAfter(db, /INSERT INTO chain_events/);
    const crashing = makeIngester({ db, rpcUrl: node.url, holder: t.ingester.holder, store: createIngestRepository(crashingDb), chain: { vault: fx.vault, startBlock: fx.deployBlock, confirmations: CONFIRMATIONS } });
    await expect(drain(crashing.ingester)).rejects.toThrow("process died after the raw-event insert");
    expect(await t.store.getCursor("local")).toEqual(cursorBefore);
    expect(await t.store.listDomainEvents("local", paid.invoiceId)).toEqual([]);
    expect(await t.store.getEscrow("local", paid.invoiceId)).toBeUndefined();
    await crashing.reader.close();

    await drain(t.ingester);
    await drain(t.ingester);
    expect((await t.store.listDomainEvents("local", paid.invoiceId)).map((e) => e.type)).toEqual(["invoice.paid"]);
    expect(await t.store.getEscrow("local", paid.invoiceId)).toMatchObject({ status: "open" });
  });
});

describe("two ingesters on one PostgreSQL", () => {
  it("only the lease holder ingests, a follower takes over after the lease lapses, and nothing is derived twice", async () => {
    const setup = await freshDb(() => openDb({ databaseUrl: pg!.url }));
    // Two pools: two relayer processes as far as PostgreSQL can tell.
    const [dbA, dbB] = await Promise.all([openDb({ databaseUrl: pg!.url }), openDb({ databaseUrl: pg!.url })]);
    const closers: (() => Promise<void>)[] = [() => setup.close(), () => dbA.close(), () => dbB.close()];
    try {
      const fx = await deployVaultFixture(node);
      const chain = { vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0, leaseTtlMs: 3_000 };
      const a = makeIngester({ db: dbA, rpcUrl: node.url, holder: "relayer-a", chain });
      const b = makeIngester({ db: dbB, rpcUrl: node.url, holder: "relayer-b", chain });
      closers.push(() => a.reader.close(), () => b.reader.close());
      const paid = [];
      for (let i = 0; i < 3; i++) paid.push(await fx.payInvoice());
      const [ticksA, ticksB] = await Promise.all([drain(a.ingester), drain(b.ingester)]);
      const kinds = [ticksA, ticksB].map((ticks) => new Set(ticks.map((r) => r.kind)));
      // Exactly one of them did the work; the other was a follower throughout.
      expect(kinds.filter((k) => k.has("follower")).length).toBe(1);
      const [leader, follower] = kinds[0]!.has("follower") ? [b, a] : [a, b];
      expect(await follower.ingester.tick()).toEqual({ kind: "follower" });

      // The leader stops renewing (a crash); once its lease lapses the follower continues from the cursor.
      for (let i = 0; i < 3; i++) paid.push(await fx.payInvoice());
      let took = false;
      const deadline = Date.now() + 15_000;
      while (!took && Date.now() < deadline) {
        took = (await follower.ingester.tick()).kind !== "follower";
        if (!took) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(took).toBe(true);
      await drain(follower.ingester);
      expect(await leader.ingester.tick()).toEqual({ kind: "follower" });

      const events = await follower.store.listDomainEvents("local");
      expect(events.filter((e) => e.type === "invoice.paid").map((e) => e.subjectId).sort()).toEqual(paid.map((p) => p.invoiceId).sort());
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      const rawCount = await setup.query<{ n: string }>(`SELECT count(*) AS n FROM chain_events`);
      expect(Number(rawCount[0]!.n)).toBe(6);
    } finally {
      await Promise.all(closers.map((close) => close()));
    }
  });
});
