import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonRetryableUserError } from "../../../relayer/src/common/errors.js";
import { openDb } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { enqueueSignedAction } from "../../../relayer/src/timeouts/index.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode } from "../support/hardhat-node.js";
import { postgresAvailable, startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { makeHarness, passTime, signAction, tickUntilSettled, USED, vaultOf } from "./support.js";

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

describe("two drivers on one PostgreSQL", () => {
  it("send exactly one transaction per escrow, with the same key or with two keys", async () => {
    const fx = await deployVaultFixture(node);
    const [db1, db2] = [await openDb({ databaseUrl: pg!.url }), await openDb({ databaseUrl: pg!.url })];
    try {
      await db1.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      await migrate(db1);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await fx.payInvoice({ holdPeriod: 100 })).invoiceId);
      await passTime(node, 110);
      const [a, b, c] = [makeHarness(node, fx, db1, 9), makeHarness(node, fx, db2, 9), makeHarness(node, fx, db2, 8)];
      await a.ingest();
      const drivers = [a.driver({ holder: "a" }), b.driver({ holder: "b" }), c.driver({ holder: "c" })];
      const nonces = await Promise.all([a.minedNonce(), c.minedNonce()]);
      for (let round = 0; round < 3; round++) await Promise.all(drivers.map((d) => d.tick()));
      const rows = await tickUntilSettled(a, drivers[0]!);
      await tickUntilSettled(c, drivers[2]!);

      const timeouts = (await a.journal()).filter((r) => r.kind === "timeouts");
      expect(timeouts).toHaveLength(1);
      expect(rows.flatMap((r) => (r.outcome as { executed?: string[] } | null)?.executed ?? []).sort()).toEqual([...ids].sort());
      const sent = (await a.minedNonce()) - nonces[0]! + ((await c.minedNonce()) - nonces[1]!);
      expect(sent).toBe(1);
    } finally {
      await db1.close();
      await db2.close();
    }
  });
});

describe("signed actions", () => {
  it("a valid payer-signed release is queued, sent and mined; bad ones are refused before queueing", async () => {
    const fx = await deployVaultFixture(node);
    const db = await openDb({ dataDir: "memory://" });
    try {
      await migrate(db);
      const h = makeHarness(node, fx, db);
      const { invoiceId } = await fx.payInvoice({ holdPeriod: 86_400 });
      await h.ingest();
      const driver = h.driver();
      await driver.tick(); // registers the chain's signing domain
      const validBefore = BigInt((await fx.latestTimestamp()) + 3_600);
      const payer = (await fx.payer.getAddress()).toLowerCase();
      const fields = { escrowId: invoiceId, amount: 1_000_000n, nonce: 7n, validBefore };
      const request = (signer: string, signature: string) => ({
        chain: "local",
        escrowId: invoiceId,
        action: "release" as const,
        amount: 1_000_000n,
        authorization: { signer, nonce: 7n, validBefore, signature },
      });

      const byMerchant = await signAction(fx, fx.merchant, "Release", fields);
      await expect(enqueueSignedAction(h.ctx, request(payer, byMerchant))).rejects.toThrow(/signature was made by .* not by/);
      const merchant = (await fx.merchant.getAddress()).toLowerCase();
      const wrongParty = enqueueSignedAction(h.ctx, request(merchant, byMerchant));
      await expect(wrongParty).rejects.toBeInstanceOf(NonRetryableUserError);
      await expect(wrongParty).rejects.toThrow(/may not release/);
      expect(await db.query(`SELECT id FROM signed_actions`)).toEqual([]);

      const { actionId } = await enqueueSignedAction(h.ctx, request(payer, await signAction(fx, fx.payer, "Release", fields)));
      const rows = await tickUntilSettled(h, driver);

      expect(rows.map((r) => [r.kind, r.state])).toEqual([["signed_action", "confirmed"]]);
      expect(await h.store.getAction(actionId)).toMatchObject({ state: "done", txId: rows[0]!.id });
      expect(await vaultOf(fx).getFunction("escrowHashOf")(invoiceId)).toBe(USED);
    } finally {
      await db.close();
    }
  });
});
