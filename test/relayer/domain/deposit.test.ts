import { describe, expect, it } from "vitest";
import { applyDepositTransaction, depositStatus, newDeposit, settleStatus, type DepositFoldRecord, type DepositState } from "../../../relayer/src/domain/deposit.js";
import type { DepositEvent } from "../../../relayer/src/domain/deposit-events.js";

/** The scan-to-pay state machine without I/O: statuses, exceptions, and the events each transaction derives. */

const VAULT = "0x00000000000000000000000000000000000000aa";
const ADDRESS = "0x00000000000000000000000000000000000000d1";
const TOKEN = "0x00000000000000000000000000000000000000c0";
const OTHER = "0x00000000000000000000000000000000000000c1";
const PAYER = "0x00000000000000000000000000000000000000b0";
const PAY_BY = 1_000n;
const AMOUNT = 100n;
const ctx = { formatAddress: (hex: string) => hex };
const fresh = () => newDeposit({ chain: "local", invoiceId: "0xinv", vault: VAULT, merchant: "0x0m", depositAddress: ADDRESS, token: TOKEN, amount: AMOUNT, payBy: PAY_BY });

let logIndex = 0;
function record(event: DepositEvent | { name: "EscrowOpened" } | { name: "InvoiceCancelled" }, time = 500, txHash = `0xtx${logIndex}`): DepositFoldRecord {
  return { blockNumber: 1, blockHash: "0xb", blockTimestamp: time, txHash, logIndex: logIndex++, event: event as DepositFoldRecord["event"] };
}
const transferIn = (amount: bigint, time = 500, token = TOKEN) => record({ name: "TokenTransfer", token, from: PAYER, to: ADDRESS, amount }, time);
const transferOut = (amount: bigint, to = VAULT, time = 500, txHash?: string) => record({ name: "TokenTransfer", token: TOKEN, from: ADDRESS, to, amount }, time, txHash);

function fold(state: DepositState, ...txs: DepositFoldRecord[][]) {
  const types: string[] = [];
  for (const tx of txs) {
    const result = applyDepositTransaction(state, tx, ctx);
    state = result.state;
    types.push(...result.derived.map((d) => d.event.type));
  }
  return { state, types };
}

/** A sweep: the vault's EscrowOpened comes before the token transfer in the same transaction. */
const sweep = (time = 600) => [record({ name: "EscrowOpened" }, time, "0xsweep"), transferOut(AMOUNT, VAULT, time, "0xsweep")];

describe("depositStatus", () => {
  it.each([
    ["nothing yet", 0n, 0n, 500n, { status: "new", exception: null }],
    ["a short payment", 40n, 0n, 500n, { status: "new", exception: "paid_partial" }],
    ["the full amount", 100n, 0n, 500n, { status: "processing", exception: null }],
    ["more than the amount", 150n, 0n, 500n, { status: "processing", exception: "paid_over" }],
    ["pay-by passed with nothing", 0n, 0n, 1_001n, { status: "expired", exception: null }],
    ["pay-by passed short", 40n, 0n, 1_001n, { status: "expired", exception: "paid_partial" }],
    ["a payment after pay-by", 100n, 100n, 1_001n, { status: "expired", exception: "paid_late" }],
    ["paid in time, never swept", 100n, 0n, 1_001n, { status: "invalid", exception: null }],
  ] as const)("%s", (_, received, receivedLate, now, expected) => {
    expect(depositStatus({ ...fresh(), received, receivedLate, balance: received }, now)).toEqual(expected);
  });

  it("is settled once the vault recorded a payment, overpaid when the address received more than was swept", () => {
    expect(depositStatus({ ...fresh(), paid: true, received: 100n, toVault: 100n }, 500n)).toEqual({ status: "settled", exception: null });
    expect(depositStatus({ ...fresh(), paid: true, received: 200n, toVault: 100n }, 500n)).toEqual({ status: "settled", exception: "paid_over" });
    // Paid from a wallet: everything at the address is extra.
    expect(depositStatus({ ...fresh(), paid: true, received: 100n }, 500n)).toEqual({ status: "settled", exception: "paid_over" });
  });

  it("is invalid when the merchant cancelled the invoice", () => {
    expect(depositStatus({ ...fresh(), cancelled: true }, 500n)).toEqual({ status: "invalid", exception: null });
    expect(depositStatus({ ...fresh(), cancelled: true, received: 40n }, 500n)).toEqual({ status: "invalid", exception: "paid_partial" });
  });
});

describe("applyDepositTransaction", () => {
  it("exact payment: received, processing, then settled by the sweep without a spurious paid_over", () => {
    const { state, types } = fold(fresh(), [transferIn(AMOUNT)], sweep());
    expect(types).toEqual(["deposit.payment_received", "deposit.processing", "deposit.settled"]);
    expect(state).toMatchObject({ status: "settled", exception: null, received: 100n, balance: 0n, toVault: 100n });
  });

  it("short then topped up: paid_partial, then processing", () => {
    const { types } = fold(fresh(), [transferIn(40n)], [transferIn(60n)]);
    expect(types).toEqual(["deposit.payment_received", "deposit.paid_partial", "deposit.payment_received", "deposit.processing"]);
  });

  it("repeated payment after the sweep: paid_over, and the refund empties the address", () => {
    const { state, types } = fold(fresh(), [transferIn(AMOUNT)], sweep(), [transferIn(AMOUNT)], [
      record({ name: "DepositRefunded", invoiceId: "0xinv", depositAddress: ADDRESS, token: TOKEN, to: PAYER, amount: AMOUNT }, 700, "0xrefund"),
      transferOut(AMOUNT, PAYER, 700, "0xrefund"),
    ]);
    expect(types.slice(-3)).toEqual(["deposit.payment_received", "deposit.paid_over", "deposit.refunded"]);
    expect(state).toMatchObject({ status: "settled", exception: "paid_over", received: 200n, refunded: 100n, balance: 0n });
  });

  it("late payment: expired at pay-by, then paid_late; an acceptance into a new invoice counts apart from the sweep", () => {
    const expired = settleStatus(fresh(), PAY_BY + 1n, ctx);
    expect(expired.derived.map((d) => d.type)).toEqual(["deposit.expired"]);
    const { state, types } = fold(expired.state, [transferIn(AMOUNT, 1_100)], [
      transferOut(AMOUNT, VAULT, 1_200, "0xaccept"),
      record({ name: "DepositAccepted", invoiceId: "0xinv", acceptedInvoiceId: "0xnew", depositAddress: ADDRESS, amount: AMOUNT }, 1_200, "0xaccept"),
    ]);
    expect(types).toEqual(["deposit.payment_received", "deposit.paid_late", "deposit.accepted"]);
    expect(state).toMatchObject({ status: "expired", exception: "paid_late", accepted: 100n, toVault: 100n, balance: 0n });
  });

  it("wrong token: tracked apart, never counted as payment, gone once recovered", () => {
    const { state, types } = fold(fresh(), [transferIn(7n, 500, OTHER)]);
    expect(types).toEqual(["deposit.wrong_token_received"]);
    expect(state).toMatchObject({ status: "new", received: 0n, strayTokens: { [OTHER]: "7" } });
    const out = fold(state, [record({ name: "TokenTransfer", token: OTHER, from: ADDRESS, to: PAYER, amount: 7n })]);
    expect(out.state.strayTokens).toEqual({});
  });

  it("every webhook carries the whole deposit, with the log's own details beside it", () => {
    const result = applyDepositTransaction(fresh(), [transferIn(AMOUNT)], ctx);
    expect(result.derived[0]!.event.data).toMatchObject({ invoiceId: "0xinv", status: "processing", received: "100", amount: "100", payment: { from: PAYER, amount: "100", late: false } });
    expect(result.derived.map((d) => d.origin.logIndex)).toEqual([result.derived[0]!.origin.logIndex, result.derived[0]!.origin.logIndex]);
  });
});
