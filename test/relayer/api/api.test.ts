import { TypedDataEncoder, verifyTypedData, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireInvoices } from "../../../relayer/src/merchants/index.js";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { invoiceBody, startApi, TOKEN, VAULT, type ApiHarness } from "./support.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(async () => {
  await h?.close();
});

const PAYER = `0x${"11".repeat(20)}`;
const ARBITER = `0x${"33".repeat(20)}`;

describe("merchant and API keys", () => {
  it("GET /v1/merchant shows the merchant whose key signed the request", async () => {
    const res = await h.call("GET", "/v1/merchant");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: h.merchant.id, name: "Shop" });
    expect(res.json.chains.map((c: { chain: string; signer: string }) => [c.chain, c.signer])).toEqual([
      ["local", "merchant_key"],
      ["tron", "merchant_key"],
    ]);
    expect(res.json.chains[1].merchantAddress).toMatch(/^T/);
  });

  it("an external payout address makes the generated key a signer to register with setInvoiceSigner", async () => {
    const other = await h.newMerchant([{ chain: "local", payoutAddress: PAYER }]);
    const res = await h.call("GET", "/v1/merchant", { key: other.key });
    expect(res.json.chains[0]).toMatchObject({ chain: "local", merchantAddress: "0x1111111111111111111111111111111111111111", signer: "registered_signer" });
    expect(res.json.chains[0].registerSigner).toMatchObject({ method: "setInvoiceSigner", args: [res.json.chains[0].registerSigner.args[0]] });
    expect(res.json.chains[0].registerSigner.data).toMatch(/^0x/);
  });

  it("creates, lists and revokes API keys; a revoked key is refused at once", async () => {
    const created = await h.call("POST", "/v1/api-keys", { body: { description: "ci" } });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^sk_test_[0-9a-f]{64}$/);
    expect((await h.call("GET", "/v1/merchant", { key: created.json.key })).status).toBe(200);
    const list = await h.call("GET", "/v1/api-keys");
    expect(JSON.stringify(list.json)).not.toContain(created.json.key);
    expect(list.json.items.map((k: { id: string }) => k.id)).toContain(created.json.id);
    const revoked = await h.call("POST", `/v1/api-keys/${created.json.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    const refused = await h.call("GET", "/v1/merchant", { key: created.json.key });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("authentication", () => {
  it.each([
    ["missing", null, {}],
    ["not a bearer token", null, { authorization: "Basic dXNlcjpwYXNz" }],
    ["malformed key", "sk_live_nothex", {}],
    ["unknown key of the right shape", `sk_live_${"0".repeat(64)}`, {}],
    ["right lookup, wrong secret", "WRONG_SECRET", {}],
    ["absurdly long", `sk_live_${"a".repeat(5000)}`, {}],
  ])("401 problem when the key is %s", async (_name, key, headers) => {
    const presented = key === "WRONG_SECRET" ? `${h.merchant.key.slice(0, 24)}${"f".repeat(48)}` : key;
    const res = await h.call("GET", "/v1/invoices", { key: presented, headers });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ status: 401, title: expect.any(String), instance: "/v1/invoices" });
  });

  it("another merchant's invoice is not found (404), not forbidden", async () => {
    const created = await h.call("POST", "/v1/invoices", { body: invoiceBody({ merchantReference: "private" }) });
    const stranger = await h.newMerchant();
    const res = await h.call("GET", `/v1/invoices/${created.json.id}`, { key: stranger.key });
    expect(res.status).toBe(404);
    const list = await h.call("GET", "/v1/invoices", { key: stranger.key });
    expect(list.json.items).toEqual([]);
  });
});

describe("POST /v1/invoices", () => {
  it("returns the signed invoice whose id is the vault's EIP-712 digest and whose signature recovers to the merchant", async () => {
    const res = await h.call("POST", "/v1/invoices", { body: invoiceBody({ arbiter: ARBITER, metadata: { cart: "42" } }) });
    expect(res.status).toBe(201);
    const { domain, types, invoice, signature } = res.json.signed;
    expect(domain).toEqual({ name: "EscrowVault", version: "1", chainId: 31337, verifyingContract: VAULT });
    expect(TypedDataEncoder.hash(domain, types, invoice)).toBe(res.json.id);
    const merchant = (await h.call("GET", "/v1/merchant")).json.chains[0].merchantAddress;
    expect(verifyTypedData(domain, types, invoice, signature)).toBe(merchant);
    expect(res.json).toMatchObject({
      status: "created",
      amount: "25000000",
      arbiter: "0x3333333333333333333333333333333333333333",
      merchantReference: "order-1",
      metadata: { cart: "42" },
      checkoutUrl: `https://pay.example.com/pay/${res.json.id}`,
    });
    expect(invoice.merchantReference).toBe("0x1c9e2e3076787f0e967b0efcdee9de6d66cb1c57913677a142848630eda0ed09");
    expect(res.json.payment.steps.map((s: { method: string }) => s.method)).toEqual(["approve", "payInvoice"]);
    expect(res.json.payment.steps[0].data.slice(0, 10)).toBe("0x095ea7b3");
  });

  it("shows TRON addresses in base58 and signs with the masked chain id", async () => {
    const res = await h.call("POST", "/v1/invoices", { body: invoiceBody({ chain: "tron", token: "TGjgvdTWWrybVLaVeFqSyVqJQWjxqRYbaK" }) });
    expect(res.status).toBe(201);
    expect(res.json.token).toBe("TGjgvdTWWrybVLaVeFqSyVqJQWjxqRYbaK");
    expect(res.json.vault).toMatch(/^T/);
    expect(res.json.signed.domain.chainId).toBe(Number(728126428n & 0xffffffffn));
    expect(res.json.signed.invoice.token).toMatch(/^0x[0-9a-f]{40}$/);
  });

  it("writes invoice.created as sequence 1, and ingestion numbers the payment 2 and makes the invoice paid", async () => {
    const res = await h.call("POST", "/v1/invoices", { body: invoiceBody({ merchantReference: "seq" }) });
    const second = await h.call("POST", "/v1/invoices", { body: invoiceBody({ merchantReference: "seq-2" }) });
    const id: string = res.json.id;
    const merchant: string = res.json.signed.invoice.merchant;
    const ingest = createIngestRepository(h.db);
    expect((await ingest.listDomainEvents("local", id)).map((e) => [e.type, e.sequence, e.merchantId])).toEqual([["invoice.created", 1, h.merchant.id]]);
    await ingest.takeLease("local", "t", 60_000);
    const block = { number: 5, hash: `0x${"ab".repeat(32)}`, parentHash: `0x${"aa".repeat(32)}`, timestamp: 1_000 };
    const opened = (escrowId: string, logIndex: number) => ({
      chain: "local",
      blockNumber: 5,
      blockHash: block.hash,
      blockTimestamp: 1_000,
      txHash: `0x${"ee".repeat(32)}`,
      logIndex,
      subjectId: escrowId,
      event: {
        name: "EscrowOpened" as const,
        escrowId,
        payer: PAYER,
        payee: merchant,
        token: TOKEN,
        arbiter: `0x${"00".repeat(20)}`,
        amount: 25_000_000n,
        payBy: BigInt(res.json.payBy),
        deadline: 90_000n,
        feeBps: 0,
        timeoutAction: "release" as const,
        merchantReference: res.json.signed.invoice.merchantReference,
      },
    });
    await ingest.commitBlockRange({
      chain: "local",
      vault: VAULT,
      formatAddress: (hex) => hex,
      holder: "t",
      expectedCursor: null,
      toBlock: block,
      blocks: [block],
      reorgWindowBlocks: 64,
      events: [opened(id, 0), opened(second.json.id, 1)],
    });
    expect((await ingest.listDomainEvents("local", id)).map((e) => [e.type, e.sequence])).toEqual([
      ["invoice.created", 1],
      ["invoice.paid", 2],
    ]);
    const paid = await h.call("GET", `/v1/invoices/${id}`);
    expect(paid.json).toMatchObject({ status: "paid", escrow: { escrowId: id, status: "open", amount: "25000000" } });
    const escrow = await h.call("GET", `/v1/escrows/${id}`);
    expect(escrow.json).toMatchObject({ object: "escrow", chain: "local", status: "open", payer: "0x1111111111111111111111111111111111111111" });
    const ids = (path: string) => h.call("GET", path).then((r) => r.json.items.map((e: { escrowId: string }) => e.escrowId));
    // Same block: the keyset orders by escrow id, descending.
    const newestFirst = [id, second.json.id as string].sort().reverse();
    expect(await ids("/v1/escrows?status=open&chain=local")).toEqual(newestFirst);
    const firstPage = await h.call("GET", "/v1/escrows?limit=1");
    expect(firstPage.json.items.map((e: { escrowId: string }) => e.escrowId)).toEqual([newestFirst[0]]);
    const secondPage = await h.call("GET", `/v1/escrows?limit=1&cursor=${firstPage.json.nextCursor}`);
    expect(secondPage.json.items.map((e: { escrowId: string }) => e.escrowId)).toEqual([newestFirst[1]]);
    expect(secondPage.json.nextCursor).toBeNull();
    expect(await ids("/v1/escrows?createdFrom=1970-01-01T00:16:40Z&createdTo=1970-01-01T00:16:41Z")).toHaveLength(2);
    expect(await ids("/v1/escrows?createdTo=1970-01-01T00:16:40Z")).toEqual([]);
    expect((await h.call("GET", "/v1/escrows?status=released")).json.items).toEqual([]);
    const stranger = await h.newMerchant();
    expect((await h.call("GET", `/v1/escrows/${id}`, { key: stranger.key })).status).toBe(404);
    // A paid invoice never expires, however late the chain is.
    expect(await expireInvoices(h.ctx, "local", 10n ** 12n)).toBeGreaterThanOrEqual(0);
    expect((await h.call("GET", `/v1/invoices/${id}`)).json.status).toBe("paid");
  });

  it("expireInvoices() marks an unpaid invoice expired once chain time passes payBy, with invoice.expired as its next event", async () => {
    const m = await h.newMerchant();
    const payBy = BigInt(Math.floor(Date.now() / 1000) + 10 * 86_400);
    const res = await h.call("POST", "/v1/invoices", { key: m.key, body: invoiceBody({ merchantReference: "late", chain: "tron", token: "TGjgvdTWWrybVLaVeFqSyVqJQWjxqRYbaK", expiresIn: undefined, payBy: Number(payBy) }) });
    await expireInvoices(h.ctx, "tron", payBy); // expires other tests' earlier invoices, not this one: payable through payBy itself
    expect((await h.call("GET", `/v1/invoices/${res.json.id}`, { key: m.key })).json.status).toBe("created");
    expect(await expireInvoices(h.ctx, "tron", payBy + 1n)).toBe(1);
    expect(await expireInvoices(h.ctx, "tron", payBy + 2n)).toBe(0);
    expect((await h.call("GET", `/v1/invoices/${res.json.id}`, { key: m.key })).json).toMatchObject({ status: "expired", expiredAt: expect.any(String) });
    const events = await createIngestRepository(h.db).listDomainEvents("tron", res.json.id);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ["invoice.created", 1],
      ["invoice.expired", 2],
    ]);
    expect((await h.call("GET", "/v1/invoices?status=expired", { key: m.key })).json.items.map((i: { id: string }) => i.id)).toEqual([res.json.id]);
  });
});

describe("listing", () => {
  it("pages newest first with an opaque cursor and filters by status, chain and creation time", async () => {
    const m = await h.newMerchant();
    const before = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.call("POST", "/v1/invoices", { key: m.key, body: invoiceBody({ merchantReference: `p${i}`, chain: i === 4 ? "tron" : "local", token: i === 4 ? "TGjgvdTWWrybVLaVeFqSyVqJQWjxqRYbaK" : TOKEN }) })).json.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const res: { json: { items: { id: string }[]; nextCursor: string | null } } = await h.call("GET", `/v1/invoices?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: m.key });
      seen.push(...res.json.items.map((i) => i.id));
      cursor = res.json.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await h.call("GET", "/v1/invoices?chain=tron", { key: m.key })).json.items.map((i: { id: string }) => i.id)).toEqual([ids[4]]);
    expect((await h.call("GET", "/v1/invoices?status=paid,settled", { key: m.key })).json.items).toEqual([]);
    expect((await h.call("GET", `/v1/invoices?status=created&createdFrom=${encodeURIComponent(before)}`, { key: m.key })).json.items).toHaveLength(5);
    expect((await h.call("GET", `/v1/invoices?createdTo=${encodeURIComponent(before)}`, { key: m.key })).json.items).toEqual([]);
  });
});

describe("idempotency", () => {
  it("replays the stored response for the same key and body, and refuses the key with another body (422)", async () => {
    const headers = { "idempotency-key": "order-77-create" };
    const first = await h.call("POST", "/v1/invoices", { headers, body: invoiceBody({ merchantReference: "idem" }) });
    const again = await h.call("POST", "/v1/invoices", { headers, body: invoiceBody({ merchantReference: "idem" }) });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const conflicting = await h.call("POST", "/v1/invoices", { headers, body: invoiceBody({ merchantReference: "idem", amount: "1" }) });
    expect(conflicting.status).toBe(422);
    expect(conflicting.json.type).toBe("urn:relayer:problem:idempotency-key-reused");
    const count = await h.db.query<{ n: string }>(`SELECT count(*) AS n FROM invoices WHERE merchant_reference = 'idem'`);
    expect(Number(count[0]!.n)).toBe(1);
  });

  it("keys are per merchant, and a stored client error is replayed too", async () => {
    const other = await h.newMerchant();
    const headers = { "idempotency-key": "shared-key" };
    expect((await h.call("POST", "/v1/invoices", { headers, body: invoiceBody() })).status).toBe(201);
    expect((await h.call("POST", "/v1/invoices", { key: other.key, headers, body: invoiceBody() })).status).toBe(201);
    const bad = invoiceBody({ arbiter: PAYER, payer: PAYER });
    const first = await h.call("POST", "/v1/invoices", { headers: { "idempotency-key": "bad-one" }, body: bad });
    const replay = await h.call("POST", "/v1/invoices", { headers: { "idempotency-key": "bad-one" }, body: bad });
    expect(first.status).toBe(400);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json).toEqual(first.json);
  });
});

describe("webhook endpoints", () => {
  it("add, list, get, disable, enable, rotate, test, deliveries and redelivery go through to the webhooks module", async () => {
    const added = await h.call("POST", "/v1/webhook-endpoints", { body: { url: "https://hooks.example.com/relayer", eventTypes: ["invoice.paid", "endpoint.test"] } });
    expect(added.status).toBe(201);
    expect(added.json.secret).toMatch(/^whsec_/);
    const id: string = added.json.endpoint.id;
    const list = await h.call("GET", "/v1/webhook-endpoints");
    expect(list.json.items.map((e: { id: string }) => e.id)).toEqual([id]);
    expect(JSON.stringify(list.json)).not.toContain(added.json.secret);
    expect((await h.call("GET", `/v1/webhook-endpoints/${id}`)).json).toMatchObject({ id, status: "enabled" });
    expect((await h.call("POST", `/v1/webhook-endpoints/${id}/disable`)).json).toMatchObject({ status: "disabled", disabledReason: "manual" });
    expect((await h.call("POST", `/v1/webhook-endpoints/${id}/test`)).status).toBe(409);
    expect((await h.call("POST", `/v1/webhook-endpoints/${id}/enable`)).json).toMatchObject({ status: "enabled" });
    const rotated = await h.call("POST", `/v1/webhook-endpoints/${id}/rotate-secret`, { body: { graceSeconds: 60 } });
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(added.json.secret);
    const test = await h.call("POST", `/v1/webhook-endpoints/${id}/test`);
    expect(test.json.deliveryId).toMatch(/^dlv_/);
    const deliveries = await h.call("GET", `/v1/webhook-endpoints/${id}/deliveries`);
    expect(deliveries.json.items).toHaveLength(1);
    expect(deliveries.json.items[0]).toMatchObject({ id: test.json.deliveryId, eventType: "endpoint.test", status: "pending", attempts: [] });
    const one = await h.call("GET", `/v1/webhook-deliveries/${test.json.deliveryId}`);
    expect(one.json).toMatchObject({ id: test.json.deliveryId, attempts: [] });
    expect((await h.call("POST", `/v1/webhook-deliveries/${test.json.deliveryId}/redeliver`)).json).toMatchObject({ status: "pending" });
    const bulk = await h.call("POST", `/v1/webhook-endpoints/${id}/redeliver-failed`, { body: { since: "2020-01-01T00:00:00Z" } });
    expect(bulk.json).toEqual({ count: 0 });
    const stranger = await h.newMerchant();
    expect((await h.call("GET", `/v1/webhook-endpoints/${id}`, { key: stranger.key })).status).toBe(404);
    expect((await h.call("GET", `/v1/webhook-deliveries/${test.json.deliveryId}`, { key: stranger.key })).status).toBe(404);
  });

  it("refuses a private-network URL with 422", async () => {
    const res = await h.call("POST", "/v1/webhook-endpoints", { body: { url: "http://127.0.0.1:9/hook" } });
    expect(res.status).toBe(422);
  });
});

describe("operations endpoints", () => {
  it("/healthz, /readyz and /metrics answer without an API key", async () => {
    expect((await h.call("GET", "/healthz", { key: null })).json).toEqual({ status: "ok" });
    expect((await h.call("GET", "/readyz", { key: null })).json).toMatchObject({ status: "ready", checks: { database: "ok", migrations: "ok" } });
    const metrics = await h.call("GET", "/metrics", { key: null });
    expect(metrics.status).toBe(200);
    expect(metrics.json).toContain("relayer_ingest_head_block");
  });

  it("/readyz is 503 when the readiness callback reports ingestion behind", async () => {
    const lagging = await startApi({ db: h.db, api: { readiness: async () => ({ ok: false, details: { ingest: "local: 600 s behind" } }) } });
    try {
      const res = await lagging.call("GET", "/readyz", { key: null });
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ status: "not_ready", checks: { ingest: "local: 600 s behind" } });
    } finally {
      await lagging.close();
    }
  });

  it("rate-limits per API key with a 429 problem", async () => {
    const limited = await startApi({ db: h.db, api: { rateLimit: { limit: 3, windowMs: 60_000 } } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.call("GET", "/v1/invoices")).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const other = await limited.newMerchant();
      expect((await limited.call("GET", "/v1/invoices", { key: other.key })).status).toBe(200);
      const refused = await limited.call("GET", "/v1/invoices");
      expect(refused.json).toMatchObject({ status: 429, type: "urn:relayer:problem:rate-limited" });
      expect(refused.headers.get("ratelimit-policy")).toBeTruthy();
    } finally {
      await limited.close();
    }
  });
});

describe("OpenAPI", () => {
  it("/v1/openapi.json is OpenAPI 3.1 with every route and the request schemas they validate with", async () => {
    const res = await h.call("GET", "/v1/openapi.json", { key: null });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        "POST /v1/invoices",
        "GET /v1/invoices",
        "GET /v1/invoices/{id}",
        "GET /v1/escrows",
        "GET /v1/escrows/{id}",
        "POST /v1/escrows/{id}/release",
        "POST /v1/escrows/{id}/refund",
        "POST /v1/escrows/{id}/dispute",
        "POST /v1/webhook-endpoints",
        "GET /v1/webhook-endpoints",
        "GET /v1/webhook-endpoints/{id}",
        "POST /v1/webhook-endpoints/{id}/disable",
        "POST /v1/webhook-endpoints/{id}/enable",
        "POST /v1/webhook-endpoints/{id}/test",
        "POST /v1/webhook-endpoints/{id}/rotate-secret",
        "GET /v1/webhook-endpoints/{id}/deliveries",
        "POST /v1/webhook-endpoints/{id}/redeliver-failed",
        "GET /v1/webhook-deliveries/{id}",
        "POST /v1/webhook-deliveries/{id}/redeliver",
        "GET /v1/merchant",
        "GET /v1/api-keys",
        "POST /v1/api-keys",
        "POST /v1/api-keys/{id}/revoke",
        "POST /v1/p2p/acceptors",
        "GET /v1/p2p/acceptors",
        "GET /v1/p2p/acceptors/{id}",
        "POST /v1/p2p/acceptors/{id}",
        "POST /v1/p2p/me/online",
        "GET /v1/p2p/blocklist",
        "POST /v1/p2p/blocklist",
        "POST /v1/p2p/blocklist/remove",
        "POST /v1/p2p/orders",
        "GET /v1/p2p/orders",
        "GET /v1/p2p/orders/{id}",
        "POST /v1/p2p/orders/{id}/accept",
        "POST /v1/p2p/orders/{id}/decline",
        "POST /v1/p2p/orders/{id}/mark-paid",
        "POST /v1/p2p/orders/{id}/confirm",
      ].sort(),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["CreateInvoice", "Invoice", "Problem", "Escrow", "WebhookEndpoint", "CreateWebhookEndpoint"]));
    expect(doc.components.schemas.CreateInvoice.required).toEqual(expect.arrayContaining(["chain", "token", "amount", "holdPeriod", "timeoutAction", "merchantReference"]));
    expect(doc.components.schemas.CreateInvoice.additionalProperties).toBe(false);
    expect(doc.paths["/v1/invoices"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CreateInvoice" });
    expect(doc.paths["/v1/escrows/{id}/release"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/SignedPayoutAction" });
    expect(doc.paths["/v1/escrows/{id}/release"].post.responses["202"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/QueuedAction" });
    expect(doc.components.schemas.SignedDisputeAction.required).toEqual(["authorization"]);
    expect(doc.paths["/v1/invoices"].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["status", "chain", "createdFrom", "createdTo", "limit", "cursor"]));
  });
});

// A stray Wallet import keeps the signature check honest: a fresh key never verifies.
it("a signature by another key does not verify as the merchant's", async () => {
  const res = await h.call("POST", "/v1/invoices", { body: invoiceBody() });
  const { domain, types, invoice } = res.json.signed;
  const forged = await Wallet.createRandom().signTypedData(domain, types, invoice);
  expect(verifyTypedData(domain, types, invoice, forged)).not.toBe(res.json.signed.signer);
});

describe("malformed and hostile requests", () => {
  const json = (body: unknown) => ({ body });
  const cases: [string, string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }, number][] = [
    ["bad JSON", "POST", "/v1/invoices", { raw: "{\"chain\": ", headers: { "content-type": "application/json" } }, 400],
    ["a JSON array body", "POST", "/v1/invoices", json([invoiceBody()]), 400],
    ["a JSON string body", "POST", "/v1/invoices", { raw: "\"hello\"", headers: { "content-type": "application/json" } }, 400],
    ["a huge body", "POST", "/v1/invoices", json(invoiceBody({ merchantReference: "x".repeat(200_000) })), 413],
    ["text/plain", "POST", "/v1/invoices", { raw: JSON.stringify(invoiceBody()), headers: { "content-type": "text/plain" } }, 415],
    ["a form body", "POST", "/v1/invoices", { raw: "chain=local", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415],
    ["a latin1 charset", "POST", "/v1/invoices", { raw: "{}", headers: { "content-type": "application/json; charset=latin1" } }, 415],
    ["amount as a number", "POST", "/v1/invoices", json(invoiceBody({ amount: 25 })), 400],
    ["a negative amount", "POST", "/v1/invoices", json(invoiceBody({ amount: "-1" })), 400],
    ["a decimal amount", "POST", "/v1/invoices", json(invoiceBody({ amount: "1.5" })), 400],
    ["an exponent amount", "POST", "/v1/invoices", json(invoiceBody({ amount: "1e6" })), 400],
    ["a zero amount", "POST", "/v1/invoices", json(invoiceBody({ amount: "0" })), 400],
    ["a leading-zero amount", "POST", "/v1/invoices", json(invoiceBody({ amount: "0100" })), 400],
    ["an amount of 2^256", "POST", "/v1/invoices", json(invoiceBody({ amount: (2n ** 256n).toString() })), 400],
    ["an amount of 79 digits", "POST", "/v1/invoices", json(invoiceBody({ amount: "9".repeat(79) })), 400],
    ["holdPeriod as a string", "POST", "/v1/invoices", json(invoiceBody({ holdPeriod: "86400" })), 400],
    ["a fractional holdPeriod", "POST", "/v1/invoices", json(invoiceBody({ holdPeriod: 1.5 })), 400],
    ["a holdPeriod over ten years", "POST", "/v1/invoices", json(invoiceBody({ holdPeriod: 3651 * 86_400 })), 400],
    ["payBy in the past", "POST", "/v1/invoices", json(invoiceBody({ expiresIn: undefined, payBy: 1_000 })), 400],
    ["both payBy and expiresIn", "POST", "/v1/invoices", json(invoiceBody({ payBy: 4_000_000_000 })), 400],
    ["neither payBy nor expiresIn", "POST", "/v1/invoices", json(invoiceBody({ expiresIn: undefined })), 400],
    ["payBy beyond uint48", "POST", "/v1/invoices", json(invoiceBody({ expiresIn: undefined, payBy: 2 ** 53 })), 400],
    ["an unknown timeoutAction", "POST", "/v1/invoices", json(invoiceBody({ timeoutAction: "keep" })), 400],
    ["a short token address", "POST", "/v1/invoices", json(invoiceBody({ token: "0x1234" })), 400],
    ["a non-hex token address", "POST", "/v1/invoices", json(invoiceBody({ token: `0x${"zz".repeat(20)}` })), 400],
    ["a bad EIP-55 checksum", "POST", "/v1/invoices", json(invoiceBody({ token: "0x5FbDB2315678afecb367f032d93F642f64180aA3" })), 400],
    ["a TRON address on an EVM chain", "POST", "/v1/invoices", json(invoiceBody({ token: "TGjgvdTWWrybVLaVeFqSyVqJQWjxqRYbaK" })), 400],
    ["a bad base58 TRON address", "POST", "/v1/invoices", json(invoiceBody({ chain: "tron", token: "TGjgvdTWWrybVLaVeFqSyVqJQWjxqRYbaL" })), 400],
    ["the arbiter as payer", "POST", "/v1/invoices", json(invoiceBody({ arbiter: PAYER, payer: PAYER })), 400],
    ["an unknown chain", "POST", "/v1/invoices", json(invoiceBody({ chain: "mainnet" })), 400],
    ["SQL in the chain name", "POST", "/v1/invoices", json(invoiceBody({ chain: "local'; DROP TABLE invoices; --" })), 400],
    ["HTML in an address", "POST", "/v1/invoices", json(invoiceBody({ payer: "<script>alert(1)</script>" })), 400],
    ["an unknown field", "POST", "/v1/invoices", json({ ...invoiceBody(), admin: true }), 400],
    ["a __proto__ field", "POST", "/v1/invoices", { raw: JSON.stringify(invoiceBody()).replace(/^\{/, '{"__proto__":{"admin":true},'), headers: { "content-type": "application/json" } }, 400],
    ["nested metadata", "POST", "/v1/invoices", json(invoiceBody({ metadata: { a: { b: 1 } } })), 400],
    ["21 metadata keys", "POST", "/v1/invoices", json(invoiceBody({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) })), 400],
    ["a 201-character reference", "POST", "/v1/invoices", json(invoiceBody({ merchantReference: "r".repeat(201) })), 400],
    ["an oversized Idempotency-Key", "POST", "/v1/invoices", { ...json(invoiceBody()), headers: { "idempotency-key": "k".repeat(300) } }, 400],
    ["a traversal invoice id", "GET", "/v1/invoices/..%2F..%2Fetc%2Fpasswd", {}, 400],
    ["a NUL invoice id", "GET", "/v1/invoices/%00", {}, 400],
    ["a broken percent-encoding", "GET", "/v1/invoices/%E0%A4%A", {}, 400],
    ["SQL in an invoice id", "GET", `/v1/invoices/${encodeURIComponent("0x1' OR '1'='1")}`, {}, 400],
    ["a traversal endpoint id", "POST", "/v1/webhook-endpoints/..%2F..%2Fadmin/disable", {}, 400],
    ["an unknown invoice", "GET", `/v1/invoices/0x${"ab".repeat(32)}`, {}, 404],
    ["an unknown endpoint", "GET", `/v1/webhook-endpoints/ep_${"ab".repeat(12)}`, {}, 404],
    ["an unknown route", "GET", "/v1/nothing-here", {}, 404],
    ["a deeper unknown route", "GET", "/v1/invoices/a/b/c", {}, 404],
    ["an unsupported method", "DELETE", "/v1/invoices", {}, 404],
    ["limit=0", "GET", "/v1/invoices?limit=0", {}, 400],
    ["limit=1000", "GET", "/v1/invoices?limit=1000", {}, 400],
    ["limit=abc", "GET", "/v1/invoices?limit=abc", {}, 400],
    ["an unknown status", "GET", "/v1/invoices?status=bogus", {}, 400],
    ["a repeated status", "GET", "/v1/invoices?status=paid&status=created", {}, 400],
    ["a non-ISO date", "GET", "/v1/invoices?createdFrom=yesterday", {}, 400],
    ["an unknown query parameter", "GET", "/v1/invoices?sort=asc", {}, 400],
    ["a forged invoice cursor", "GET", `/v1/invoices?cursor=${Buffer.from("inv:1; DROP TABLE x").toString("base64url")}`, {}, 400],
    ["an HTML cursor", "GET", "/v1/invoices?cursor=%3Cscript%3E", {}, 400],
    ["a forged escrow cursor", "GET", `/v1/escrows?cursor=${Buffer.from('["x",1,2]').toString("base64url")}`, {}, 400],
    ["a forged delivery cursor", "GET", `/v1/webhook-endpoints/ep_${"ab".repeat(12)}/deliveries?cursor=abc`, {}, 400],
    ["a webhook URL that is not http", "POST", "/v1/webhook-endpoints", json({ url: "file:///etc/passwd" }), 400],
    ["an unknown webhook event type", "POST", "/v1/webhook-endpoints", json({ url: "https://hooks.example.com/x", eventTypes: ["everything"] }), 400],
    ["a redeliver-failed without since", "POST", `/v1/webhook-endpoints/ep_${"ab".repeat(12)}/redeliver-failed`, json({}), 400],
  ];

  it.each(cases)("%s → %i problem+json", async (_name, method, path, options, status) => {
    const res = await h.call(method, path, options);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.json).toMatchObject({ type: expect.stringMatching(/^urn:relayer:problem:/), title: expect.any(String), status, detail: expect.any(String), instance: expect.any(String) });
  });

  it("names the offending fields in errors", async () => {
    const res = await h.call("POST", "/v1/invoices", { body: { ...invoiceBody({ amount: "-5" }), extra: 1 } });
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["body.amount", "body"]));
  });

  it("stores SQL and HTML in free text verbatim, as data", async () => {
    const reference = "'; DROP TABLE invoices; -- <script>alert(1)</script>";
    const res = await h.call("POST", "/v1/invoices", { body: invoiceBody({ merchantReference: reference, metadata: { note: "<img src=x onerror=alert(1)>" } }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect((await h.call("GET", `/v1/invoices/${res.json.id}`)).json).toMatchObject({ merchantReference: reference, metadata: { note: "<img src=x onerror=alert(1)>" } });
  });
});
