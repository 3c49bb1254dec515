import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChainWriter } from "../../../relayer/src/chains/writer.js";
import { toVaultEscrow } from "../../../relayer/src/domain/escrow.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";
import { makeHarness, passTime, tickUntilSettled, tokenOf, USED, vaultOf, type Harness } from "./support.js";

const HOLD_SECONDS = 100;
const AMOUNT = 1_000_000n;

let node: HardhatNode;
let fx: VaultFixture;
let db: Db;
let h: Harness;

beforeAll(async () => {
  node = await startHardhatNode();
});
afterAll(async () => {
  await node?.stop();
});
beforeEach(async () => {
  fx = await deployVaultFixture(node);
  db = await openDb({ dataDir: "memory://" });
  await migrate(db);
  h = makeHarness(node, fx, db);
});
afterEach(async () => {
  await node.rpc("evm_setAutomine", [true]);
  await node.rpc("evm_mine");
  await db.close();
});

async function openEscrows(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await fx.payInvoice({ amount: AMOUNT, holdPeriod: HOLD_SECONDS })).invoiceId);
  return ids;
}

describe("timeout driver", () => {
  it("tick() closes many due escrows with batched executeTimeouts once chain time passes deadline plus margin", async () => {
    const ids = await openEscrows(7);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    const waiting = await h.driver({ timeoutMarginSeconds: 3_600 }).tick();
    expect(waiting).toMatchObject({ kind: "worked", timeoutTxs: 0 });
    const payeeBefore = (await tokenOf(fx).getFunction("balanceOf")(await fx.merchant.getAddress())) as bigint;
    const nonceBefore = await h.minedNonce();

    const rows = await tickUntilSettled(h, h.driver({ maxBatch: 3 }));

    expect(rows.map((r) => [r.kind, r.state])).toEqual([["timeouts", "confirmed"], ["timeouts", "confirmed"], ["timeouts", "confirmed"]]);
    expect(rows.flatMap((r) => (r.outcome as { executed: string[] }).executed).sort()).toEqual([...ids].sort());
    expect(await h.minedNonce()).toBe(nonceBefore + 3);
    for (const id of ids) expect(await vaultOf(fx).getFunction("escrowHashOf")(id)).toBe(USED);
    expect((await tokenOf(fx).getFunction("balanceOf")(await fx.merchant.getAddress())) - payeeBefore).toBe(AMOUNT * 7n);
    expect((await h.ctx.metrics.txJournal.get()).values.find((v) => v.labels.state === "confirmed")?.value).toBe(3);
  });

  it("tick() skips an escrow its payer released just before the batch, without error", async () => {
    const [released, due] = await openEscrows(2);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    const escrow = toVaultEscrow((await h.store.getEscrow("local", released!))!);
    await fx.send(fx.payer, "release", released, escrow, AMOUNT);

    const rows = await tickUntilSettled(h, h.driver());

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "confirmed", outcome: { executed: [due], skipped: [released] } });
    expect(await vaultOf(fx).getFunction("escrowHashOf")(due)).toBe(USED);
  });

  it("a restart with a signed-not-sent transaction broadcasts the same transaction once", async () => {
    const ids = await openEscrows(2);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    const nonceBefore = await h.minedNonce();
    const crashing: ChainWriter = { ...h.writer, broadcast: async () => Promise.reject(new Error("process killed before broadcast")) };
    await expect(h.driver({}, crashing).tick()).rejects.toThrow("process killed");
    const [signed] = await h.journal();
    expect(signed).toMatchObject({ state: "signed" });
    expect(await h.minedNonce()).toBe(nonceBefore);

    const rows = await tickUntilSettled(h, h.driver());

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: signed!.id, txHash: signed!.txHash, state: "confirmed" });
    expect(await h.minedNonce()).toBe(nonceBefore + 1);
    for (const id of ids) expect(await vaultOf(fx).getFunction("escrowHashOf")(id)).toBe(USED);
  });

  it("a restart with a sent-not-mined transaction sends nothing new and confirms it once mined", async () => {
    await openEscrows(2);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    const nonceBefore = await h.minedNonce();
    await node.rpc("evm_setAutomine", [false]);
    await h.driver().tick();
    expect((await h.journal()).map((r) => r.state)).toEqual(["sent"]);

    const restarted = h.driver();
    await restarted.tick();
    await restarted.tick();
    expect(await h.pendingNonce()).toBe(nonceBefore + 1);
    await node.rpc("evm_mine");
    const rows = await tickUntilSettled(h, restarted);

    expect(rows.map((r) => r.state)).toEqual(["confirmed"]);
    expect(await h.minedNonce()).toBe(nonceBefore + 1);
  });

  it("a stuck transaction is replaced with bumped fees and the old row becomes replaced", async () => {
    const [id] = await openEscrows(1);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    const nonceBefore = await h.minedNonce();
    await node.rpc("evm_setAutomine", [false]);
    let clock = Date.now();
    const low = { kind: "evm" as const, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000n };
    const driver = h.driver({ fees: async () => low, stuckAfterMs: 60_000, now: () => clock });
    await driver.tick();
    clock += 120_000;
    await driver.tick();

    const [old, replacement] = await h.journal();
    expect(old).toMatchObject({ state: "replaced", nonce: replacement!.nonce });
    expect(replacement).toMatchObject({ state: "sent", replacesId: old!.id });
    expect(replacement!.maxFeePerGas! * 1000n).toBeGreaterThanOrEqual(old!.maxFeePerGas! * 1125n);
    expect(replacement!.maxPriorityFeePerGas! * 1000n).toBeGreaterThanOrEqual(old!.maxPriorityFeePerGas! * 1125n);
    await node.rpc("evm_mine");
    const rows = await tickUntilSettled(h, driver);

    expect(rows.map((r) => r.state)).toEqual(["replaced", "confirmed"]);
    expect(await h.minedNonce()).toBe(nonceBefore + 1);
    expect(await vaultOf(fx).getFunction("escrowHashOf")(id)).toBe(USED);
  });

  it("a nonce gap left by a dropped transaction is repaired by sending it again", async () => {
    const [id] = await openEscrows(1);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    const nonceBefore = await h.minedNonce();
    await node.rpc("evm_setAutomine", [false]);
    const driver = h.driver();
    await driver.tick();
    const [sent] = await h.journal();
    await node.rpc("hardhat_dropTransaction", [sent!.txHash]);
    expect(await h.pendingNonce()).toBe(sent!.nonce);

    await driver.tick();
    expect(await h.writer.isKnown(sent!.txHash!)).toBe(true);
    await node.rpc("evm_mine");
    const rows = await tickUntilSettled(h, driver);

    expect(rows.map((r) => [r.id, r.state])).toEqual([[sent!.id, "confirmed"]]);
    expect(await h.minedNonce()).toBe(nonceBefore + 1);
    expect(await vaultOf(fx).getFunction("escrowHashOf")(id)).toBe(USED);
  });

  it("resyncs the nonce when the operator key was used outside the relayer", async () => {
    await openEscrows(1);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();
    await tickUntilSettled(h, h.driver());
    const operator = (await fx.provider.getSigner(9)) as unknown as { sendTransaction(tx: object): Promise<{ wait(): Promise<unknown> }> };
    await (await operator.sendTransaction({ to: h.writer.address, value: 0n })).wait();
    const [later] = await openEscrows(1);
    await passTime(node, HOLD_SECONDS + 10);
    await h.ingest();

    const rows = await tickUntilSettled(h, h.driver());

    expect(rows.map((r) => r.state)).toEqual(["confirmed", "confirmed"]);
    expect(rows[1]!.nonce).toBe(rows[0]!.nonce! + 2);
    expect(await vaultOf(fx).getFunction("escrowHashOf")(later)).toBe(USED);
  });
});
