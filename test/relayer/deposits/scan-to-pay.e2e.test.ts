import { Contract, type TransactionReceipt } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DepositRouter__factory, EscrowVault__factory, TestToken__factory } from "../../../typechain-types/index.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";
import type { ReceivedWebhook } from "../../../relayer/src/webhooks/index.js";
import { callApi, startRelayerStack, waitUntil, type RelayerStack } from "../support/relayer-e2e.js";

/**
 * Scan-to-pay end to end, on a Hardhat node under an EVM chain id and under TRON's: the relayer hands
 * out deposit addresses through its API, sees plain token transfers to them, sweeps the full ones in
 * batches through its transaction journal, and reports each case with BTCPay-style statuses by signed
 * webhooks. Six invoices cover the cases of issue 4: exact, short, over, late, double and wrong-token
 * payments; refunds and the recovery of the wrong token then empty every address, and every token
 * unit is accounted for (received = swept + refunded, nothing left behind).
 */

const AMOUNT = 5_000_000n;
const EXPIRES_IN_SECONDS = 600;
const WAIT_MS = 40_000;

type Case = "exact" | "short" | "over" | "late" | "double" | "wrongToken";
const CASES: Case[] = ["exact", "short", "over", "late", "double", "wrongToken"];

describe.each([31337, 728126428])("scan-to-pay on a Hardhat node with chain id %i", (chainId) => {
  let node: HardhatNode;
  let fx: VaultFixture;
  let stack: RelayerStack | undefined;
  let otherToken: Contract;
  const received: ReceivedWebhook[] = [];
  const invoices = new Map<Case, { id: string; address: string; paymentUri: string; signed: Record<string, unknown> }>();

  const waitFor = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>) => waitUntil(what, WAIT_MS, received, probe);

  const webhook = (c: Case, type: string) => waitFor(`${type} for ${c}`, () => received.find((e) => e.type === type && (e.data as { invoiceId?: string }).invoiceId === invoices.get(c)!.id));
  const typesOf = (c: Case) => received.filter((e) => (e.data as { invoiceId?: string }).invoiceId === invoices.get(c)!.id).map((e) => e.type);

  const api = (method: string, path: string, body?: unknown) => callApi(stack!.relayer.url, stack!.apiKey, method, path, body);

  const deposit = async (c: Case) => (await api("GET", `/v1/invoices/${invoices.get(c)!.id}`)).json.deposit;
  const wait = async (tx: Promise<{ wait(): Promise<TransactionReceipt | null> }>) => (await (await tx).wait())!;
  const token = () => new Contract(fx.token, TestToken__factory.abi, fx.payer);
  const router = async () => new Contract(await new Contract(fx.vault, EscrowVault__factory.abi, fx.provider).getFunction("depositRouter")(), DepositRouter__factory.abi, fx.payer);
  const balanceOf = async (tokenAddress: string, who: string) => BigInt(await new Contract(tokenAddress, TestToken__factory.abi, fx.provider).getFunction("balanceOf")(who));
  const pay = (c: Case, amount: bigint) => wait(token().getFunction("transfer")(invoices.get(c)!.address, amount));

  beforeAll(async () => {
    node = await startHardhatNode({ chainId });
    fx = await deployVaultFixture(node);
    const deployer = await fx.provider.getSigner(0);
    otherToken = new Contract(await (await new TestToken__factory(deployer as never).deploy("Other", "OTH", 6)).getAddress(), TestToken__factory.abi, deployer);
    await wait(otherToken.getFunction("mint")(await fx.payer.getAddress(), 10n ** 12n));
    stack = await startRelayerStack(node, fx, { name: "Shop", received });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await node?.stop();
  });

  it("hands out a deposit address, its payment URI and status new with every invoice", async () => {
    const payer = await fx.payer.getAddress();
    for (const c of CASES) {
      const created = await api("POST", "/v1/invoices", {
        chain: "local",
        token: fx.token,
        amount: AMOUNT.toString(),
        expiresIn: EXPIRES_IN_SECONDS,
        holdPeriod: 86_400,
        timeoutAction: "release",
        payer,
        merchantReference: `order-${c}`,
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const d = created.json.deposit;
      expect(d).toMatchObject({ status: "new", exception: null, received: "0", balance: "0", amount: AMOUNT.toString() });
      const onChain = await new Contract(fx.vault, EscrowVault__factory.abi, fx.provider).getFunction("depositAddress")(created.json.id);
      expect(d.address).toBe(onChain);
      expect(created.json.depositAddress).toBe(onChain);
      expect(d.paymentUri).toBe(`ethereum:${created.json.token}@${fx.chainId}/transfer?address=${onChain}&uint256=${AMOUNT}`);
      invoices.set(c, { id: created.json.id, address: d.address, paymentUri: d.paymentUri, signed: created.json.signed.invoice });
    }
    // The checkout shows the address, and its QR code encodes the transfer request, not the page.
    const page = await (await fetch(`${stack!.relayer.url}/pay/${invoices.get("exact")!.id}`)).text();
    expect(page).toContain(`id="deposit-address">${invoices.get("exact")!.address}<`);
    expect(page).toContain(`aria-label="QR code: ${invoices.get("exact")!.paymentUri.replace(/&/g, "&amp;")}"`);
  });

  it("sweeps exact, over and repeated payments into escrow in batches, and reports short and wrong-token ones", async () => {
    await pay("exact", AMOUNT);
    await pay("short", AMOUNT / 2n);
    await pay("over", (AMOUNT * 3n) / 2n);
    await pay("double", AMOUNT);
    await wait(otherToken.connect(fx.payer).getFunction("transfer")(invoices.get("wrongToken")!.address, 1_234n) as never);

    for (const c of ["exact", "over", "double"] as const) {
      const settled = await webhook(c, "deposit.settled");
      expect((settled.data as { status: string }).status).toBe("settled");
      await webhook(c, "invoice.paid");
    }
    expect(typesOf("exact")).toEqual(expect.arrayContaining(["deposit.payment_received", "deposit.processing", "deposit.settled", "invoice.paid"]));
    expect(typesOf("exact")).not.toContain("deposit.paid_over");
    expect(await deposit("exact")).toMatchObject({ status: "settled", exception: null, received: AMOUNT.toString(), swept: AMOUNT.toString(), balance: "0" });
    await webhook("over", "deposit.paid_over");
    expect(await deposit("over")).toMatchObject({ status: "settled", exception: "paid_over", received: ((AMOUNT * 3n) / 2n).toString(), swept: AMOUNT.toString(), balance: (AMOUNT / 2n).toString() });
    await webhook("short", "deposit.paid_partial");
    expect(await deposit("short")).toMatchObject({ status: "new", exception: "paid_partial", received: (AMOUNT / 2n).toString(), balance: (AMOUNT / 2n).toString() });
    const stray = await webhook("wrongToken", "deposit.wrong_token_received");
    expect((stray.data as { strayTransfer: { amount: string } }).strayTransfer.amount).toBe("1234");
    expect((await deposit("wrongToken")).strayTokens).toEqual([{ token: await otherToken.getAddress(), balance: "1234" }]);

    // The same payment again: the invoice is used, so the second one waits at the address, refundable.
    await pay("double", AMOUNT);
    await webhook("double", "deposit.paid_over");
    expect(await deposit("double")).toMatchObject({ status: "settled", exception: "paid_over", received: (2n * AMOUNT).toString(), balance: AMOUNT.toString() });
    // The relayer swept through its own transactions, batched through DepositRouter.sweepDeposits.
    const escrows = await api("GET", "/v1/escrows?chain=local");
    expect(escrows.json.items.map((e: { escrowId: string }) => e.escrowId)).toEqual(expect.arrayContaining([invoices.get("exact")!.id, invoices.get("over")!.id]));
  });

  it("expires unpaid and short invoices at pay-by, and reports a payment after pay-by as paid late", async () => {
    await node.rpc("evm_increaseTime", [EXPIRES_IN_SECONDS + 60]);
    await node.rpc("evm_mine");
    await webhook("late", "deposit.expired");
    const shortExpired = await webhook("short", "deposit.expired");
    expect(shortExpired.data).toMatchObject({ status: "expired", exception: "paid_partial" });

    await pay("late", AMOUNT);
    await webhook("late", "deposit.paid_late");
    expect(await deposit("late")).toMatchObject({ status: "expired", exception: "paid_late", received: AMOUNT.toString(), receivedLate: AMOUNT.toString(), balance: AMOUNT.toString() });
    // Never swept: the vault refuses an expired invoice.
    expect(await balanceOf(fx.token, invoices.get("late")!.address)).toBe(AMOUNT);
  });

  it("refunds what the invoices could not take to the stated refund address, recovers the wrong token, and accounts for every unit", async () => {
    const r = await router();
    const payer = await fx.payer.getAddress();
    // The merchant refunds with the ready call the API hands out; the payer refunds the others itself.
    const step = (await deposit("short")).refund;
    expect(step).toMatchObject({ to: await r.getAddress(), method: "refund", args: [payer] });
    expect((await deposit("exact")).refund).toBeNull();
    await wait(fx.merchant.sendTransaction({ to: step.to, data: step.data }));
    for (const c of ["short", "over", "late", "double"] as const) {
      if (c !== "short") await wait(r.getFunction("refund")(invoices.get(c)!.signed, payer));
      const refunded = await webhook(c, "deposit.refunded");
      expect((refunded.data as { balance: string }).balance).toBe("0");
    }
    const before = await balanceOf(await otherToken.getAddress(), await fx.merchant.getAddress());
    await wait((r.connect(fx.merchant) as Contract).getFunction("recover")(invoices.get("wrongToken")!.signed, await otherToken.getAddress(), await fx.merchant.getAddress()));
    await webhook("wrongToken", "deposit.recovered");
    expect((await balanceOf(await otherToken.getAddress(), await fx.merchant.getAddress())) - before).toBe(1_234n);

    for (const c of CASES) {
      const d = await deposit(c);
      expect(await balanceOf(fx.token, invoices.get(c)!.address), c).toBe(0n);
      expect(d.balance, c).toBe("0");
      expect(BigInt(d.received), c).toBe(BigInt(d.swept) + BigInt(d.refunded) + BigInt(d.accepted));
    }
    expect(await balanceOf(await otherToken.getAddress(), invoices.get("wrongToken")!.address)).toBe(0n);
    expect((await deposit("wrongToken")).strayTokens).toEqual([]);
    // Three escrows of AMOUNT each sit in the vault; nothing else of the payer's went there.
    expect(await balanceOf(fx.token, fx.vault)).toBe(3n * AMOUNT);
    // Each webhook was verified by the receiver; none came twice under one id.
    const ids = received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
