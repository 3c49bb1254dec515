import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { parseConfig } from "../../../relayer/src/config.js";
import { createInvoices, createMerchants, expireInvoices, invoiceChains, openSecret, sealSecret } from "../../../relayer/src/merchants/index.js";
import { apiKeyLookup, apiKeyMatches, generateApiKey } from "../../../relayer/src/merchants/keys.js";
import { claimIdempotencyKey, completeIdempotencyKey, pruneIdempotencyKeys, releaseIdempotencyKey } from "../../../relayer/src/store/api-repository.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { storeEngines } from "../support/engines.js";

const VAULT = `0x${"55".repeat(20)}`;
const TOKEN = `0x${"44".repeat(20)}`;
const config = parseConfig({ chains: [{ name: "local", kind: "evm", rpcUrl: "http://127.0.0.1:1", vaultAddress: VAULT, startBlock: 0 }] }, {});
const chains = invoiceChains(config, { local: 31337n });

describe("signing-key encryption", () => {
  const master = randomBytes(32);
  it("round-trips under the same master key and merchant", () => {
    const sealed = sealSecret(master, "0xsecret", "mer_1");
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain("secret");
    expect(openSecret(master, sealed, "mer_1")).toBe("0xsecret");
  });
  it("uses a fresh nonce every time", () => {
    expect(sealSecret(master, "same", "mer_1")).not.toBe(sealSecret(master, "same", "mer_1"));
  });
  it("fails with another master key, another merchant id, or a flipped byte", () => {
    const sealed = sealSecret(master, "0xsecret", "mer_1");
    expect(() => openSecret(randomBytes(32), sealed, "mer_1")).toThrow("Could not decrypt");
    expect(() => openSecret(master, sealed, "mer_2")).toThrow("Could not decrypt");
    const parts = sealed.split(".");
    const body = Buffer.from(parts[2]!, "base64url");
    body[0] = body[0]! ^ 1;
    expect(() => openSecret(master, [parts[0], parts[1], body.toString("base64url"), parts[3]].join("."), "mer_1")).toThrow("Could not decrypt");
  });
});

describe("API keys", () => {
  it("are sk_live_/sk_test_ with a lookup prefix and match only their own hash", () => {
    const live = generateApiKey("live");
    expect(live.key).toMatch(/^sk_live_[0-9a-f]{64}$/);
    expect(live.key.startsWith(live.lookup)).toBe(true);
    expect(apiKeyLookup(live.key)).toBe(live.lookup);
    expect(apiKeyMatches(live.key, live.secretHash)).toBe(true);
    expect(apiKeyMatches(generateApiKey("live").key, live.secretHash)).toBe(false);
    expect(generateApiKey("test").key).toMatch(/^sk_test_/);
    expect(apiKeyLookup("sk_live_short")).toBeUndefined();
  });
});

const engines = storeEngines();


describe.each(engines)("merchant and invoice repositories on $name", ({ open }) => {
  let db: Db;
  const master = randomBytes(32);
  const ctx = () => ({ db, logger: silentLogger() });
  beforeAll(async () => {
    db = await open();
    if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it("stores the signing key only encrypted: the row never holds the key and another master key cannot open it", async () => {
    const merchants = createMerchants(ctx(), { masterKey: master, chains });
    const merchant = await merchants.create({ name: "Shop", chains: [{ chain: "local" }] });
    const [row] = await db.query<{ address: string; encrypted_key: string }>(`SELECT * FROM merchant_signing_keys WHERE merchant_id = $1`, [merchant.id]);
    const privateKey = openSecret(master, row!.encrypted_key, merchant.id);
    expect(new Wallet(privateKey).address.toLowerCase()).toBe(row!.address);
    const dump = JSON.stringify(await db.query(`SELECT * FROM merchant_signing_keys`));
    expect(dump).not.toContain(privateKey.slice(2));
    expect(() => openSecret(randomBytes(32), row!.encrypted_key, merchant.id)).toThrow();
    const invoices = createInvoices(ctx(), { masterKey: randomBytes(32), chains, publicUrl: "http://x" });
    await expect(invoices.create(merchant.id, { chain: "local", token: TOKEN, amount: "1", expiresIn: 600, holdPeriod: 0, timeoutAction: "release", merchantReference: "r" })).rejects.toThrow("Could not decrypt");
    expect(await db.query(`SELECT * FROM merchant_addresses WHERE merchant_id = $1`, [merchant.id])).toEqual([{ chain: "local", address: row!.address, merchant_id: merchant.id }]);
  });

  it("keeps API keys hashed; authenticate() accepts the key and refuses it once revoked", async () => {
    const merchants = createMerchants(ctx(), { masterKey: master, chains });
    const merchant = await merchants.create({ name: "Keys", chains: [{ chain: "local" }] });
    const created = await merchants.createApiKey(merchant.id);
    expect(JSON.stringify(await db.query(`SELECT * FROM api_keys`))).not.toContain(created.key);
    expect(await merchants.authenticate(created.key)).toEqual({ merchantId: merchant.id, keyId: created.id, mode: "live" });
    await merchants.revokeApiKey(merchant.id, created.id);
    expect(await merchants.authenticate(created.key)).toBeNull();
    await expect(merchants.revokeApiKey(merchant.id, created.id)).rejects.toThrow("not found");
  });

  it("claims an idempotency key once, replays its completion, and frees it after a server failure", async () => {
    const merchants = createMerchants(ctx(), { masterKey: master, chains });
    const { id } = await merchants.create({ name: "Idem", chains: [{ chain: "local" }] });
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "k", requestHash: "h1" })).toEqual({ state: "claimed" });
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "k", requestHash: "h1" })).toEqual({ state: "in_progress", requestHash: "h1" });
    await releaseIdempotencyKey(db, { merchantId: id, key: "k" });
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "k", requestHash: "h2" })).toEqual({ state: "claimed" });
    await completeIdempotencyKey(db, { merchantId: id, key: "k", statusCode: 201, body: { ok: true } });
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "k", requestHash: "h2" })).toEqual({ state: "completed", requestHash: "h2", statusCode: 201, body: { ok: true } });
    // A claim left unfinished by a dead process is taken over after the stale period, a finished one never.
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "dead", requestHash: "h3" })).toEqual({ state: "claimed" });
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "dead", requestHash: "h3", staleAfterMs: 0 })).toEqual({ state: "claimed" });
    expect((await claimIdempotencyKey(db, { merchantId: id, key: "k", requestHash: "h2", staleAfterMs: 0 })).state).toBe("completed");
    expect(await pruneIdempotencyKeys(db, new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(2);
    expect(await claimIdempotencyKey(db, { merchantId: id, key: "k", requestHash: "h9" })).toEqual({ state: "claimed" });
  });

  it("derives settled and cancelled from live ingestion events and undoes them on event.reverted", async () => {
    const merchants = createMerchants(ctx(), { masterKey: master, chains });
    const merchant = await merchants.create({ name: "Status", chains: [{ chain: "local" }] });
    const invoices = createInvoices(ctx(), { masterKey: master, chains, publicUrl: "http://x" });
    const make = (ref: string) => invoices.create(merchant.id, { chain: "local", token: TOKEN, amount: "5", expiresIn: 600, holdPeriod: 0, timeoutAction: "refund", merchantReference: ref });
    const settled = (await make("direct")).id as string;
    const cancelled = (await make("cancel")).id as string;
    const insert = (id: string, subject: string, type: string, sequence: number, payload: object) =>
      db.query(`INSERT INTO domain_events (id, merchant_id, type, chain, subject_id, sequence, payload) VALUES ($1, $2, $3, 'local', $4, $5, $6)`, [id, merchant.id, type, subject, sequence, JSON.stringify(payload)]);
    await insert("evt_paid", settled, "invoice.paid", 2, { settlement: "direct" });
    await insert("evt_cancel", cancelled, "invoice.cancelled", 2, {});
    expect((await invoices.get(merchant.id, settled)).status).toBe("settled");
    expect((await invoices.get(merchant.id, cancelled)).status).toBe("cancelled");
    await insert("evt_rev", cancelled, "event.reverted", 3, { revertedEventId: "evt_cancel" });
    expect((await invoices.get(merchant.id, cancelled)).status).toBe("created");
    // Expiry skips the settled invoice (paid) and expires the one whose cancellation was reverted.
    expect(await expireInvoices(ctx(), "local", 10n ** 11n)).toBe(1);
    expect((await invoices.get(merchant.id, cancelled)).status).toBe("expired");
    expect((await createIngestRepository(db).listDomainEvents("local", cancelled)).map((e) => [e.type, e.sequence])).toEqual([
      ["invoice.created", 1],
      ["invoice.cancelled", 2],
      ["event.reverted", 3],
      ["invoice.expired", 4],
    ]);
    const page = await invoices.list(merchant.id, { limit: 1 });
    expect(page.items).toHaveLength(1);
    const next = await invoices.list(merchant.id, { limit: 1, cursor: page.nextCursor! });
    expect(next.items.map((i) => i.id)).toEqual([settled]);
    expect(next.nextCursor).toBeNull();
  });
});
