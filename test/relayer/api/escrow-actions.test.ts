import { getAddress, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { createTimeoutsRepository } from "../../../relayer/src/store/timeouts-repository.js";
import { ACTION_TYPES, vaultTypedDataDomain } from "../../../scripts/lib/vault-typed-data.js";
import { invoiceBody, startApi, TOKEN, VAULT, type ApiHarness } from "./support.js";

const CHAIN_ID = 31337n;
const AMOUNT = 25_000_000n;
const payer = Wallet.createRandom();

let h: ApiHarness;
let escrowId: string;
/** Far enough ahead to pass the relayer's minimum validity, whatever the machine's clock. */
const validBefore = () => BigInt(Math.floor(Date.now() / 1000) + 3600);

beforeAll(async () => {
  h = await startApi();
  // What the timeout driver's first tick does: without it the chain has no transaction driver.
  await createTimeoutsRepository(h.db).registerChain({ chain: "local", kind: "evm", chainId: CHAIN_ID, vault: VAULT });
  const invoice = await h.call("POST", "/v1/invoices", { body: invoiceBody({ merchantReference: "actions" }) });
  escrowId = invoice.json.id;
  const ingest = createIngestRepository(h.db);
  await ingest.takeLease("local", "t", 60_000);
  const block = { number: 5, hash: `0x${"ab".repeat(32)}`, parentHash: `0x${"aa".repeat(32)}`, timestamp: 1_000 };
  await ingest.commitBlockRange({
    chain: "local",
    vault: VAULT,
    formatAddress: (hex) => hex,
    holder: "t",
    expectedCursor: null,
    toBlock: block,
    blocks: [block],
    reorgWindowBlocks: 64,
    events: [
      {
        chain: "local",
        blockNumber: 5,
        blockHash: block.hash,
        blockTimestamp: 1_000,
        txHash: `0x${"ee".repeat(32)}`,
        logIndex: 0,
        subjectId: escrowId,
        event: {
          name: "EscrowOpened",
          escrowId,
          payer: payer.address.toLowerCase(),
          payee: invoice.json.signed.invoice.merchant.toLowerCase(),
          token: TOKEN,
          arbiter: `0x${"00".repeat(20)}`,
          amount: AMOUNT,
          payBy: BigInt(invoice.json.payBy),
          deadline: 10n ** 10n,
          feeBps: 0,
          timeoutAction: "release",
          merchantReference: invoice.json.signed.invoice.merchantReference,
        },
      },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

async function signed(wallet: Pick<Wallet, "address" | "signTypedData">, kind: "Release" | "Refund" | "Dispute", fields: { amount?: bigint; nonce: bigint; validBefore: bigint }) {
  const value = { escrowId, ...fields };
  const signature = await wallet.signTypedData(vaultTypedDataDomain(CHAIN_ID, getAddress(VAULT)), { [kind]: [...ACTION_TYPES[kind]] }, value);
  return {
    ...(fields.amount === undefined ? {} : { amount: fields.amount.toString() }),
    authorization: { signer: wallet.address, nonce: fields.nonce.toString(), validBefore: fields.validBefore.toString(), signature },
  };
}

describe("POST /v1/escrows/{id}/release", () => {
  it("accepts a payer-signed release with 202 and queues it for the timeout driver", async () => {
    const body = await signed(payer, "Release", { amount: 1_000n, nonce: 1n, validBefore: validBefore() });
    const res = await h.call("POST", `/v1/escrows/${escrowId}/release`, { body });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ actionId: expect.stringMatching(/^act_[0-9a-f]{24}$/), status: "queued" });
    const action = await createTimeoutsRepository(h.db).getAction(res.json.actionId);
    expect(action).toMatchObject({ chain: "local", escrowId, action: "release", amount: 1_000n, signer: payer.address.toLowerCase(), nonce: 1n, state: "queued" });
  });

  it("replays the same actionId for the same Idempotency-Key, and queues nothing twice", async () => {
    const fields = { amount: 2_000n, nonce: 2n, validBefore: validBefore() };
    const body = await signed(payer, "Release", fields);
    // validBefore as unix seconds (a JSON number) is accepted too.
    const numeric = { ...body, authorization: { ...body.authorization, validBefore: Number(fields.validBefore) } };
    const first = await h.call("POST", `/v1/escrows/${escrowId}/release`, { body: numeric, headers: { "idempotency-key": "release-2" } });
    const again = await h.call("POST", `/v1/escrows/${escrowId}/release`, { body: numeric, headers: { "idempotency-key": "release-2" } });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.json.actionId).toBe(first.json.actionId);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    // Without the key the same nonce is a second request, and the queue refuses it.
    const fresh = await h.call("POST", `/v1/escrows/${escrowId}/release`, { body: numeric });
    expect(fresh.status).toBe(422);
    expect(fresh.json.detail).toMatch(/Nonce 2 of .* is already queued/);
  });

  it("answers 422 problem+json naming the recovered signer when another key signed", async () => {
    const impostor = Wallet.createRandom();
    const forged = await signed(impostor, "Release", { amount: 1_000n, nonce: 3n, validBefore: validBefore() });
    const body = { ...forged, authorization: { ...forged.authorization, signer: payer.address } };
    const res = await h.call("POST", `/v1/escrows/${escrowId}/release`, { body });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.json).toMatchObject({ type: "urn:relayer:problem:action-refused", status: 422, instance: `/v1/escrows/${escrowId}/release` });
    expect(res.json.detail).toContain(`The signature was made by ${impostor.address.toLowerCase()}, not by ${payer.address.toLowerCase()}`);
    expect(res.json.hints).toEqual([expect.stringContaining("Sign the Release typed data")]);
  });
});

describe("refund and dispute", () => {
  it("refuses a refund signed by the payer (only the payee refunds) with 422 and a hint", async () => {
    const res = await h.call("POST", `/v1/escrows/${escrowId}/refund`, { body: await signed(payer, "Refund", { amount: 1_000n, nonce: 4n, validBefore: validBefore() }) });
    expect(res.status).toBe(422);
    expect(res.json.detail).toContain(`may not refund escrow ${escrowId}`);
    expect(res.json.hints).toEqual(["Only the payee refunds (or the arbiter while disputed)."]);
  });

  it("refuses a dispute on an escrow without an arbiter with 422", async () => {
    const res = await h.call("POST", `/v1/escrows/${escrowId}/dispute`, { body: await signed(payer, "Dispute", { nonce: 5n, validBefore: validBefore() }) });
    expect(res.status).toBe(422);
    expect(res.json.detail).toBe(`Escrow ${escrowId} has no arbiter`);
  });
});

describe("ownership", () => {
  it.each(["release", "refund", "dispute"] as const)("another merchant's escrow is 404 on %s", async (action) => {
    const stranger = await h.newMerchant();
    const kind = action === "release" ? "Release" : action === "refund" ? "Refund" : "Dispute";
    const body = await signed(payer, kind, { ...(action === "dispute" ? {} : { amount: 1_000n }), nonce: 6n, validBefore: validBefore() });
    const res = await h.call("POST", `/v1/escrows/${escrowId}/${action}`, { body, key: stranger.key });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ status: 404, detail: `Escrow ${escrowId} not found` });
  });

  it("an unknown escrow id is 404 too", async () => {
    const res = await h.call("POST", `/v1/escrows/0x${"9".repeat(64)}/release`, { body: await signed(payer, "Release", { amount: 1n, nonce: 7n, validBefore: validBefore() }) });
    expect(res.status).toBe(404);
  });
});

describe("malformed bodies", () => {
  const auth = { signer: `0x${"11".repeat(20)}`, nonce: "8", validBefore: "4000000000", signature: `0x${"ab".repeat(65)}` };
  it.each([
    ["no body", "release", undefined, "body.authorization"],
    ["no authorization", "release", { amount: "1" }, "body.authorization"],
    ["amount zero", "release", { amount: "0", authorization: auth }, "body.amount"],
    ["amount with decimals", "refund", { amount: "1.5", authorization: auth }, "body.amount"],
    ["amount as a number", "release", { amount: 1, authorization: auth }, "body.amount"],
    ["negative nonce", "release", { amount: "1", authorization: { ...auth, nonce: "-1" } }, "body.authorization.nonce"],
    ["fractional validBefore", "release", { amount: "1", authorization: { ...auth, validBefore: 1.5 } }, "body.authorization.validBefore"],
    ["signature not hex", "release", { amount: "1", authorization: { ...auth, signature: "0xzz" } }, "body.authorization.signature"],
    ["unknown authorization field", "release", { amount: "1", authorization: { ...auth, v: 27 } }, "body.authorization"],
    ["amount on a dispute", "dispute", { amount: "1", authorization: auth }, "body"],
    ["signer not an address", "dispute", { authorization: { ...auth, signer: "0x-nope" } }, "body.authorization.signer"],
  ])("400 validation-error for %s", async (_name, action, body, path) => {
    const res = await h.call("POST", `/v1/escrows/${escrowId}/${action}`, body === undefined ? {} : { body });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: "urn:relayer:problem:validation-error", status: 400 });
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it("400 for an escrow id that is not 32 bytes of hex", async () => {
    const res = await h.call("POST", "/v1/escrows/0x1234/release", { body: { amount: "1", authorization: auth } });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(["params.id"]);
  });

  it("400 for a TRON-style signer the chain cannot parse", async () => {
    const res = await h.call("POST", `/v1/escrows/${escrowId}/release`, { body: { amount: "1", authorization: { ...auth, signer: "TNotAnAddress" } } });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(["authorization.signer"]);
  });
});
