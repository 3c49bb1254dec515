import { getAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMatchingEngine } from "../../../relayer/src/p2p/index.js";
import { setFreeBalance } from "../../../relayer/src/store/p2p-acceptors-repository.js";
import { startApi, TOKEN, type ApiHarness } from "./support.js";

const ACCEPTOR_ADDRESS = `0x${"a1".repeat(20)}`;
const BENEFICIARY = `0x${"b2".repeat(20)}`;

const acceptorBody = (overrides: Record<string, unknown> = {}) => ({
  name: "Ana's exchange",
  reference: "acc-ana",
  chain: "local",
  address: ACCEPTOR_ADDRESS,
  minAmount: "1000000",
  maxAmount: "500000000",
  dailyLimit: "5000000000",
  fiatMethods: ["sepa"],
  fiatCurrencies: ["EUR"],
  rates: { EUR: "0.92" },
  online: true,
  ...overrides,
});
const orderBody = (overrides: Record<string, unknown> = {}) => ({
  kind: "deposit",
  chain: "local",
  token: TOKEN,
  amount: "100000000",
  reference: `order-${Math.random().toString(16).slice(2)}`,
  userReference: "user-7",
  beneficiary: BENEFICIARY,
  fiatCurrency: "EUR",
  fiatMethod: "sepa",
  ...overrides,
});

describe("P2P API", () => {
  let api: ApiHarness;
  let acceptor: { id: string; key: string };

  beforeAll(async () => {
    api = await startApi();
    const registered = await api.call("POST", "/v1/p2p/acceptors", { body: acceptorBody() });
    expect(registered.status).toBe(201);
    acceptor = { id: registered.json.acceptor.id, key: registered.json.apiKey };
    await api.db.transaction((tx) => setFreeBalance(tx, { chain: "local", address: ACCEPTOR_ADDRESS, token: TOKEN, freeBalance: 1_000_000_000n }));
  });
  afterAll(async () => {
    await api.close();
  });

  it("registers an acceptor as its own account with an API key, checksummed address and its terms", async () => {
    const got = await api.call("GET", `/v1/p2p/acceptors/${acceptor.id}`, { key: acceptor.key });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      object: "p2p_acceptor",
      id: acceptor.id,
      address: getAddress(ACCEPTOR_ADDRESS),
      minAmount: "1000000",
      maxOpenOrders: 5,
      maxOrdersPerHour: 30,
      online: true,
      autoAccept: false,
      record: { completed: 0, failed: 0 },
      liquidity: [{ token: expect.any(String), freeBalance: "1000000000", reserved: "0", available: "1000000000" }],
    });
    expect(acceptor.key).toMatch(/^sk_test_/);
    const listed = await api.call("GET", "/v1/p2p/acceptors?limit=10");
    expect(listed.json.items.map((a: { id: string }) => a.id)).toEqual([acceptor.id]);
  });

  it("keeps platform and acceptor routes apart with a 403 that says which key to use", async () => {
    const asPlatform = await api.call("POST", "/v1/p2p/me/online", { body: { online: false } });
    expect(asPlatform.status).toBe(403);
    expect(asPlatform.json).toMatchObject({ type: "urn:relayer:problem:forbidden", title: "Forbidden", hints: ["Call it with the key returned when the acceptor was registered."] });
    const asAcceptor = await api.call("POST", "/v1/p2p/orders", { key: acceptor.key, body: orderBody() });
    expect(asAcceptor.status).toBe(403);
    expect(asAcceptor.json.hints).toEqual(["Call it with the platform's key."]);
    const other = await api.newMerchant();
    expect((await api.call("GET", `/v1/p2p/acceptors/${acceptor.id}`, { key: other.key })).status).toBe(404);
  });

  it("answers invalid terms and orders with problem+json naming each field", async () => {
    const bad = await api.call("POST", "/v1/p2p/acceptors", { body: acceptorBody({ reference: "x", minAmount: "1.5", fiatCurrencies: ["euro"], extra: 1 }) });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(["body", "body.fiatCurrencies.0", "body.minAmount"]);
    const noRate = await api.call("POST", "/v1/p2p/acceptors", { body: acceptorBody({ reference: "y", address: `0x${"c3".repeat(20)}`, fiatCurrencies: ["EUR", "USD"] }) });
    expect(noRate.status).toBe(400);
    expect(noRate.json.errors).toEqual([{ path: "body.rates.USD", message: "give a rate for every currency (USD has none)" }]);
    const inverted = await api.call("POST", `/v1/p2p/acceptors/${acceptor.id}`, { body: { minAmount: "900000000" } });
    expect(inverted.json.errors).toEqual([{ path: "body.minAmount", message: "must not exceed maxAmount" }]);
    const badOrder = await api.call("POST", "/v1/p2p/orders", { body: orderBody({ kind: "swap", amount: "0", beneficiary: "0x12" }) });
    expect(badOrder.status).toBe(400);
    expect(badOrder.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(["body.amount", "body.kind"]);
    const badAddress = await api.call("POST", "/v1/p2p/orders", { body: orderBody({ beneficiary: "0x12" }) });
    expect(badAddress.json.errors).toEqual([{ path: "body.beneficiary", message: "must be a 0x-prefixed 20-byte hex address" }]);
  });

  it("runs a deposit through the API: create, match, accept, with the audit trail for the platform only", async () => {
    const created = await api.call("POST", "/v1/p2p/orders", { body: orderBody(), headers: { "idempotency-key": "ord-1" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ object: "p2p_order", status: "created", kind: "deposit", amount: "100000000", acceptor: null });
    const replay = await api.call("POST", "/v1/p2p/orders", { body: orderBody({ reference: created.json.reference }), headers: { "idempotency-key": "ord-2" } });
    expect(replay.status).toBe(409);
    expect(replay.json.hints[0]).toMatch(/use a new reference/);
    const early = await api.call("POST", `/v1/p2p/orders/${created.json.id}/mark-paid`, { body: {} });
    expect(early.status).toBe(409);
    expect(early.json).toMatchObject({ type: "urn:relayer:problem:order-state-conflict", hints: ["Mark an order paid once it is reserved, and only once."] });

    await createMatchingEngine(api.ctx, { seed: 1 }).matchBatch();
    const mine = await api.call("GET", "/v1/p2p/orders?status=matched", { key: acceptor.key });
    expect(mine.json.items).toHaveLength(1);
    expect(mine.json.items[0]).toMatchObject({ id: created.json.id, status: "matched", fiat: { currency: "EUR", method: "sepa", amount: "92.00" } });
    expect(mine.json.items[0].audit).toBeUndefined();
    const accepted = await api.call("POST", `/v1/p2p/orders/${created.json.id}/accept`, { key: acceptor.key, body: {} });
    expect(accepted.status).toBe(200);
    expect(accepted.json.status).toBe("reserving");
    const byPlatform = await api.call("GET", `/v1/p2p/orders/${created.json.id}`);
    expect(byPlatform.json.audit.map((a: { decision: string }) => a.decision)).toEqual(["created", "matched", "accept"]);
    expect(byPlatform.json.audit[1].detail).toMatchObject({ candidateCount: 1, candidates: [[acceptor.id, expect.any(Number)]] });
  });

  it("refuses orders of blocklisted users with 422 and what to do", async () => {
    expect((await api.call("POST", "/v1/p2p/blocklist", { body: { kind: "user", value: "mallory", reason: "chargebacks" } })).status).toBe(204);
    const refused = await api.call("POST", "/v1/p2p/orders", { body: orderBody({ userReference: "mallory" }) });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ type: "urn:relayer:problem:risk-refused", hints: [expect.stringMatching(/blocklist\/remove/)] });
    expect((await api.call("GET", "/v1/p2p/blocklist")).json.items).toEqual([{ kind: "user", value: "mallory", reason: "chargebacks", createdAt: expect.any(String) }]);
    expect((await api.call("POST", "/v1/p2p/blocklist/remove", { body: { kind: "user", value: "mallory" } })).status).toBe(204);
    expect((await api.call("POST", "/v1/p2p/orders", { body: orderBody({ userReference: "mallory" }) })).status).toBe(201);
    const noChain = await api.call("POST", "/v1/p2p/blocklist", { body: { kind: "address", value: BENEFICIARY } });
    expect(noChain.json.errors).toEqual([{ path: "body.chain", message: "required when kind is address" }]);
  });

  it("pages orders with a cursor, lets endpoints subscribe to order.* events and documents the routes", async () => {
    const first = await api.call("GET", "/v1/p2p/orders?limit=1");
    expect(first.json.items).toHaveLength(1);
    const second = await api.call("GET", `/v1/p2p/orders?limit=1&cursor=${first.json.nextCursor}`);
    expect(second.json.items[0].id).not.toBe(first.json.items[0].id);
    expect((await api.call("GET", "/v1/p2p/orders?cursor=zz")).status).toBe(400);
    const endpoint = await api.call("POST", "/v1/webhook-endpoints", { body: { url: "https://hooks.example.com/p2p", eventTypes: ["order.matched", "order.released"] } });
    expect(endpoint.status).toBe(201);
    const doc = await api.call("GET", "/v1/openapi.json", { key: null });
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(["/v1/p2p/orders", "/v1/p2p/orders/{id}/accept", "/v1/p2p/acceptors/{id}", "/v1/p2p/blocklist"]));
  });
});
