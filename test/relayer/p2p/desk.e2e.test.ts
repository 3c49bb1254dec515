import { randomBytes } from "node:crypto";
import { Contract, type JsonRpcSigner, type TransactionReceipt } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderKind } from "../../../scripts/lib/desk-typed-data.js";
import { AcceptorDesk__factory, TestToken__factory } from "../../../typechain-types/index.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";
import type { ReceivedWebhook } from "../../../relayer/src/webhooks/index.js";
import { callApi, startRelayerStack, waitUntil, type RelayerStack } from "../support/relayer-e2e.js";

/**
 * P2P deposit orders end to end on a Hardhat node: acceptors hold liquidity in the AcceptorDesk and
 * trust the platform; the platform creates orders through the API; the relayer's matching engine
 * picks an acceptor, the relayer reserves on chain with one platform-signed reserveBatch through its
 * transaction journal, and the desk's events drive each order: confirmed and released, re-matched
 * after a decline, disputed and resolved by the arbiter. Every step reaches the platform as a signed
 * webhook.
 */

const LIQUIDITY = 500_000_000n;
const AMOUNT = 100_000_000n;
const WAIT_MS = 40_000;

let node: HardhatNode;
let fx: VaultFixture;
let stack: RelayerStack | undefined;
const acceptors: { signer: JsonRpcSigner; address: string; id: string; key: string }[] = [];
const received: ReceivedWebhook[] = [];

const waitFor = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>) => waitUntil(what, WAIT_MS, received, probe);
const api = (method: string, path: string, body?: unknown, key = stack!.apiKey) => callApi(stack!.relayer.url, key, method, path, body);

const wait = async (tx: Promise<{ wait(): Promise<TransactionReceipt | null> }>) => (await (await tx).wait())!;
const order = async (id: string) => (await api("GET", `/v1/p2p/orders/${id}`)).json;
const orderIn = (id: string, status: string) => waitFor(`order ${id} ${status}`, async () => ((await order(id)).status === status ? order(id) : undefined));
const webhook = (id: string, type: string) => waitFor(`${type} for ${id}`, () => received.find((e) => e.type === type && (e.data as { id?: string }).id === id));
const desk = (signer: JsonRpcSigner) => new Contract(fx.desk, AcceptorDesk__factory.abi, signer);
const balanceOf = async (who: string) => BigInt(await new Contract(fx.token, TestToken__factory.abi, fx.provider).getFunction("balanceOf")(who));

/** The desk's Order exactly as the relayer reserved it, rebuilt from the API's view. */
async function deskOrder(json: Record<string, unknown> & { acceptor: { address: string } }) {
  return {
    orderId: json.id,
    kind: json.kind === "withdrawal" ? OrderKind.Withdrawal : OrderKind.Deposit,
    token: fx.token,
    acceptor: json.acceptor.address,
    platform: await fx.merchant.getAddress(),
    beneficiary: json.beneficiary,
    arbiter: json.arbiter,
    amount: BigInt(json.amount as string),
    deadline: BigInt(json.deadline as number),
    disputedAt: BigInt((json.disputedAt as number | null) ?? 0),
  };
}

/** A liquidity provider: funds on chain, liquidity in the desk, trust in the platform, then registered through the API. */
async function addAcceptor(index: number) {
  const signer = await fx.provider.getSigner(index);
  const address = (await signer.getAddress()).toLowerCase();
  const deployer = await fx.provider.getSigner(0);
  await wait(new Contract(fx.token, TestToken__factory.abi, deployer).getFunction("mint")(address, LIQUIDITY));
  await wait(new Contract(fx.token, TestToken__factory.abi, signer).getFunction("approve")(fx.desk, LIQUIDITY));
  await wait(desk(signer).getFunction("depositLiquidity")(fx.token, LIQUIDITY));
  await wait(desk(signer).getFunction("setPlatformTrusted")(await fx.merchant.getAddress(), true));
  const registered = await api("POST", "/v1/p2p/acceptors", {
    name: `Acceptor ${index}`,
    reference: `acc-${index}`,
    chain: "local",
    address,
    minAmount: "1000000",
    maxAmount: "500000000",
    dailyLimit: "5000000000",
    fiatMethods: ["sepa"],
    fiatCurrencies: ["EUR"],
    rates: { EUR: "0.92" },
    online: true,
    autoAccept: false,
  });
  expect(registered.status, JSON.stringify(registered.json)).toBe(201);
  acceptors.push({ signer, address, id: registered.json.acceptor.id, key: registered.json.apiKey });
}

const newOrder = async (reference: string, kind: "deposit" | "withdrawal" = "deposit", beneficiary = `0x${randomBytes(20).toString("hex")}`) => {
  const created = await api("POST", "/v1/p2p/orders", {
    kind,
    chain: "local",
    token: fx.token,
    amount: AMOUNT.toString(),
    reference,
    userReference: `user-${reference}`,
    beneficiary,
    arbiter: (await fx.arbiter.getAddress()).toLowerCase(),
    fiatCurrency: "EUR",
    fiatMethod: "sepa",
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return String(created.json.id);
};

/** The platform's hot wallet holds what its users withdraw, and lets the desk take it. */
async function fundPlatform(amount: bigint) {
  const deployer = await fx.provider.getSigner(0);
  await wait(new Contract(fx.token, TestToken__factory.abi, deployer).getFunction("mint")(await fx.merchant.getAddress(), amount));
  await wait(new Contract(fx.token, TestToken__factory.abi, fx.merchant).getFunction("approve")(fx.desk, amount));
}

/** The matched acceptor accepts with its own key; the relayer then reserves on chain. */
async function acceptMatched(id: string) {
  const matched = await orderIn(id, "matched");
  const acceptor = acceptors.find((a) => a.id === matched.acceptor.id)!;
  expect((await api("POST", `/v1/p2p/orders/${id}/accept`, {}, acceptor.key)).status).toBe(200);
  return { acceptor, reserved: await orderIn(id, "reserved") };
}

beforeAll(async () => {
  node = await startHardhatNode();
  fx = await deployVaultFixture(node);
  // The platform is a merchant; the desk accepts reservations signed by its registered invoice signer, which the relayer holds.
  stack = await startRelayerStack(node, fx, { name: "Game", received, chain: { acceptorDeskAddress: fx.desk } });
  await addAcceptor(4);
  await addAcceptor(5);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await node?.stop();
});

describe("P2P orders on a Hardhat node", () => {
  it("sees the acceptors' liquidity on the desk", async () => {
    for (const a of acceptors) {
      const got = await waitFor(`liquidity of ${a.address}`, async () => {
        const json = (await api("GET", `/v1/p2p/acceptors/${a.id}`)).json;
        return JSON.stringify(json).includes(LIQUIDITY.toString()) ? json : undefined;
      });
      expect(JSON.stringify(got)).toContain(LIQUIDITY.toString());
    }
  });

  it("matches, reserves on chain, and releases to the beneficiary once the acceptor confirms", async () => {
    const id = await newOrder("confirm");
    const { acceptor, reserved } = await acceptMatched(id);
    await webhook(id, "order.reserved");
    expect(BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token))).toBe(LIQUIDITY - AMOUNT);
    expect((await api("POST", `/v1/p2p/orders/${id}/mark-paid`, {})).json.status).toBe("paid_marked");
    await wait(desk(acceptor.signer).getFunction("confirm")(await deskOrder(reserved), BigInt(reserved.slot)));
    await orderIn(id, "released");
    await webhook(id, "order.released");
    expect(await balanceOf(reserved.beneficiary)).toBe(AMOUNT);
    expect(received.filter((e) => (e.data as { id?: string }).id === id).map((e) => e.type)).toEqual(
      expect.arrayContaining(["order.created", "order.matched", "order.reserved", "order.paid_marked", "order.confirmed", "order.released"]),
    );
  });

  it("re-matches an order the first acceptor declines, to the other acceptor", async () => {
    const id = await newOrder("decline");
    const first = await orderIn(id, "matched");
    const decliner = acceptors.find((a) => a.id === first.acceptor.id)!;
    expect((await api("POST", `/v1/p2p/orders/${id}/decline`, { reason: "no time" }, decliner.key)).status).toBe(200);
    const again = await waitFor("re-match", async () => {
      const json = await order(id);
      return json.status === "matched" && json.acceptor.id !== decliner.id ? json : undefined;
    });
    expect(again.attempt).toBe(2);
    const { reserved } = await acceptMatched(id);
    expect(reserved.acceptor.id).not.toBe(decliner.id);
  });

  it("a disputed order is resolved by the arbiter's split on the desk", async () => {
    const id = await newOrder("dispute");
    const { reserved } = await acceptMatched(id);
    // The user says they paid; the acceptor does not confirm; the platform disputes for its user.
    await wait(desk(fx.merchant).getFunction("dispute")(await deskOrder(reserved), BigInt(reserved.slot)));
    const disputed = await orderIn(id, "disputed");
    await webhook(id, "order.disputed");
    await wait(desk(fx.arbiter).getFunction("resolve")(await deskOrder(disputed), BigInt(disputed.slot), AMOUNT / 4n));
    const resolved = await orderIn(id, "resolved");
    await webhook(id, "order.resolved");
    expect(resolved).toMatchObject({ payeeAmount: (AMOUNT / 4n).toString(), payerAmount: ((AMOUNT * 3n) / 4n).toString() });
    expect(await balanceOf(reserved.beneficiary)).toBe(AMOUNT / 4n);
  });

  it("a withdrawal: the platform's tokens go into the desk, and its confirmation credits the acceptor's liquidity", async () => {
    const platform = await fx.merchant.getAddress();
    await fundPlatform(AMOUNT);
    const id = await newOrder("withdrawal", "withdrawal", platform.toLowerCase());
    const { acceptor } = await acceptMatched(id);
    expect(await balanceOf(platform)).toBe(0n);
    const before = BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token));
    // The acceptor paid the user in fiat; the platform confirms for its user, signed by the relayer for it.
    expect((await api("POST", `/v1/p2p/orders/${id}/mark-paid`, {}, acceptor.key)).status).toBe(200);
    expect((await api("POST", `/v1/p2p/orders/${id}/confirm`, {})).status).toBe(200);
    await orderIn(id, "released");
    expect(BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token)) - before).toBe(AMOUNT);
  });

  it("a disputed withdrawal is resolved by the arbiter: the acceptor's share to its liquidity, the rest back to the platform", async () => {
    const platform = await fx.merchant.getAddress();
    await fundPlatform(AMOUNT);
    const id = await newOrder("withdrawal-dispute", "withdrawal", platform.toLowerCase());
    const { acceptor, reserved } = await acceptMatched(id);
    const before = BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token));
    // The acceptor says it paid the user; the platform does not confirm; the acceptor disputes.
    await wait(desk(acceptor.signer).getFunction("dispute")(await deskOrder(reserved), BigInt(reserved.slot)));
    const disputed = await orderIn(id, "disputed");
    await wait(desk(fx.arbiter).getFunction("resolve")(await deskOrder(disputed), BigInt(disputed.slot), (AMOUNT * 3n) / 4n));
    await orderIn(id, "resolved");
    await webhook(id, "order.resolved");
    expect(BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token)) - before).toBe((AMOUNT * 3n) / 4n);
    expect(await balanceOf(platform)).toBe(AMOUNT / 4n);
  });

  it("orders nobody confirms expire on the relayer's own expireBatch: deposit liquidity returns, a withdrawal is refunded", async () => {
    const platform = await fx.merchant.getAddress();
    await fundPlatform(AMOUNT);
    const withdrawal = await newOrder("withdrawal-expire", "withdrawal", platform.toLowerCase());
    await acceptMatched(withdrawal);
    const platformBefore = await balanceOf(platform);
    const id = await newOrder("expire");
    const { acceptor, reserved } = await acceptMatched(id);
    const before = BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token));
    // The decline test's order is still reserved and unconfirmed too: whatever this acceptor holds expires.
    const held = (await api("GET", "/v1/p2p/orders?limit=100")).json.items.filter(
      (o: { kind: string; status: string; acceptor: { id: string } | null }) =>
        o.kind === "deposit" && o.acceptor?.id === acceptor.id && (o.status === "reserved" || o.status === "paid_marked"),
    );
    expect(held.map((o: { id: string }) => o.id)).toContain(id);
    await node.rpc("evm_increaseTime", [reserved.paymentWindowSeconds + 60]);
    await node.rpc("evm_mine");
    for (const o of held) await orderIn(o.id, "expired");
    await webhook(id, "order.expired");
    await orderIn(withdrawal, "expired");
    expect((await balanceOf(platform)) - platformBefore).toBe(AMOUNT);
    expect(BigInt(await desk(acceptor.signer).getFunction("freeBalance")(acceptor.address, fx.token)) - before).toBe(AMOUNT * BigInt(held.length));
  });
});
