import { describe, expect, it } from "vitest";
import type { EscrowProjection } from "../../../relayer/src/domain/escrow.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { upsertEscrow } from "../../../relayer/src/store/escrow-rows.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { createTimeoutsRepository } from "../../../relayer/src/store/timeouts-repository.js";
import { storeEngines } from "../support/engines.js";

const engines = storeEngines();

const SENDER = `0x${"99".repeat(20)}`;
function escrow(n: number, dueAt: bigint): EscrowProjection {
  const addr = (b: string) => `0x${b.repeat(20)}`;
  return {
    chain: "local", escrowId: `0x${n.toString(16).padStart(64, "0")}`, vault: addr("aa"), token: addr("11"), payer: addr("22"), payee: addr("33"), arbiter: addr("00"),
    amount: 10n, remaining: 10n, releasedAmount: 0n, refundedAmount: 0n, feeAmount: 0n, deferredAmount: 0n, feeBps: 0, timeoutAction: "release",
    merchantReference: `0x${"00".repeat(32)}`, payBy: 1n, deadline: dueAt, disputedAt: null, disputant: null, status: "open", dueAt,
    openedBlock: n, openedTxHash: `0x${"01".repeat(32)}`, updatedBlock: n, updatedTxHash: `0x${n.toString(16).padStart(64, "0")}`,
  };
}
const signed = (hash: string) => ({ rawTx: "0xraw", txHash: hash, gasLimit: 100n, maxFeePerGas: 8n, maxPriorityFeePerGas: 1n, feeLimitSun: null, expiresAtMs: null });

async function fresh(open: () => Promise<Db>): Promise<Db> {
  const db = await open();
  if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await migrate(db);
  return db;
}

describe.each(engines)("timeouts repository on $name", ({ open }) => {
  it("reserves each escrow version and each nonce for one live transaction", async () => {
    const db = await fresh(open);
    try {
      const store = createTimeoutsRepository(db);
      for (const n of [1, 2, 3]) await upsertEscrow(db, escrow(n, BigInt(100 * n)));
      const due = await store.listDueUnclaimed("local", 250n, 50);
      expect(due.map((e) => e.dueAt)).toEqual([100n, 200n]);
      const subjects = due.map((e) => ({ id: e.escrowId, version: e.updatedTxHash }));
      const tx = { chain: "local", sender: SENDER, kind: "timeouts" as const, to: `0x${"aa".repeat(20)}`, data: "0x", nonce: 0, subjects };
      const first = await store.insertIntended(tx);
      expect(first).toMatchObject({ state: "intended", nonce: 0 });
      expect(await store.insertIntended({ ...tx, nonce: 1 })).toBeNull();
      expect(await store.insertIntended({ ...tx, subjects: [] })).toBeNull();
      expect(await store.listDueUnclaimed("local", 250n, 50)).toEqual([]);
      expect(await store.countDue("local", 250n)).toBe(2);

      await store.markSigned(first!.id, signed("0x01"));
      await store.markSent(first!.id);
      const replacement = await store.replace(first!.id, signed("0x02"));
      expect(replacement).toMatchObject({ state: "signed", nonce: 0, replacesId: first!.id });
      expect((await store.listJournal("local")).map((r) => r.state)).toEqual(["replaced", "signed"]);
      expect(await store.maxLiveNonce("local", SENDER)).toBe(0);

      await store.markFailed(replacement.id, "expired");
      expect((await store.listDueUnclaimed("local", 250n, 50)).length).toBe(2);
      expect(await store.maxLiveNonce("local", SENDER)).toBeNull();
      expect(await store.countByState("local")).toMatchObject({ replaced: 1, failed: 1, sent: 0 });
    } finally {
      await db.close();
    }
  });

  it("gives the sender lease to one holder and claims each queued action once", async () => {
    const db = await fresh(open);
    try {
      const store = createTimeoutsRepository(db);
      expect(await store.takeSenderLease("local", SENDER, "a", 60_000)).toBe(true);
      expect(await store.takeSenderLease("local", SENDER, "b", 60_000)).toBe(false);
      await store.releaseSenderLease("local", SENDER, "a");
      expect(await store.takeSenderLease("local", SENDER, "b", 60_000)).toBe(true);

      const base = { chain: "local", escrowId: "0x01", action: "release" as const, amount: 5n, signer: SENDER, validBefore: 10n, signature: "0x" };
      for (const n of [1n, 2n, 3n]) await store.insertAction({ ...base, id: `act_${n}`, nonce: n });
      await expect(store.insertAction({ ...base, id: "act_dup", nonce: 1n })).rejects.toMatchObject({ code: "23505" });
      const [x, y] = await Promise.all([store.claimActions("local", 2), store.claimActions("local", 2)]);
      expect([...x!, ...y!].map((a) => a.id).sort()).toEqual(["act_1", "act_2", "act_3"]);
      expect(await store.requeueOrphanActions("local")).toBe(3);
    } finally {
      await db.close();
    }
  });
});
