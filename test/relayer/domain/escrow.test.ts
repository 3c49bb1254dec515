import { Interface } from "ethers";
import { describe, expect, it } from "vitest";
import { tronAddressFromHex } from "../../../relayer/src/chains/tron.js";
import { applyVaultEvent, ARBITRATION_PERIOD_SECONDS, toVaultEscrow, type EscrowProjection, type FoldContext } from "../../../relayer/src/domain/escrow.js";
import { domainEventId, revertedEventId } from "../../../relayer/src/domain/events.js";
import { assignSubjects, decodeVaultLog, vaultEventFromJson, vaultEventToJson, type ChainEvent, type VaultEvent } from "../../../relayer/src/domain/vault-events.js";
import { EscrowVault__factory } from "../../../typechain-types/index.js";

const ID = `0x${"ab".repeat(32)}`;
const PAYER = `0x${"11".repeat(20)}`;
const PAYEE = `0x${"22".repeat(20)}`;
const ARBITER = `0x${"33".repeat(20)}`;
const TOKEN = `0x${"44".repeat(20)}`;
const VAULT = `0x${"55".repeat(20)}`;
const ctx: FoldContext = { vault: VAULT, formatAddress: (hex) => `D(${hex})` };

let logIndex = 0;
function at(event: VaultEvent, blockNumber = 10, blockTimestamp = 1_000, subjectId = ID): ChainEvent {
  return { chain: "local", blockNumber, blockHash: `0x${blockNumber.toString(16).padStart(64, "0")}`, blockTimestamp, txHash: `0x${"ee".repeat(32)}`, logIndex: logIndex++, subjectId, event };
}

const opened: VaultEvent = {
  name: "EscrowOpened",
  escrowId: ID,
  payer: PAYER,
  payee: PAYEE,
  token: TOKEN,
  arbiter: ARBITER,
  amount: 1_000n,
  payBy: 5_000n,
  deadline: 90_000n,
  feeBps: 100,
  timeoutAction: "release",
  merchantReference: `0x${"00".repeat(32)}`,
};

/** Folds events from nothing and returns the final state and every derived event. */
function fold(events: VaultEvent[]) {
  let state: EscrowProjection | undefined;
  const derived = [];
  for (const [i, event] of events.entries()) {
    const result = applyVaultEvent(state, at(event, 10 + i, 1_000 + i), ctx);
    state = result.state;
    derived.push(...result.derived);
  }
  return { state: state!, derived };
}

describe("applyVaultEvent()", () => {
  it("opens an escrow as open, due at its deadline, and derives invoice.paid for the payee", () => {
    const { state, derived } = fold([opened]);
    expect(state).toMatchObject({ status: "open", amount: 1_000n, remaining: 1_000n, dueAt: 90_000n, disputedAt: null, payee: PAYEE });
    expect(derived).toHaveLength(1);
    expect(derived[0]).toMatchObject({ type: "invoice.paid", subjectId: ID, routeTo: PAYEE });
    expect(derived[0]!.data).toMatchObject({ settlement: "escrow", amount: "1000", vault: `D(${VAULT})`, chain: "local", blockNumber: 10 });
    expect((derived[0]!.data.escrow as Record<string, unknown>).payer).toBe(`D(${PAYER})`);
  });

  it("keeps a partly released escrow open and closes it as released when nothing remains", () => {
    const partial = fold([opened, { name: "EscrowReleased", escrowId: ID, amount: 400n, fee: 4n }]);
    expect(partial.state).toMatchObject({ status: "open", remaining: 600n, releasedAmount: 400n, feeAmount: 4n, dueAt: 90_000n });
    expect(partial.derived[1]).toMatchObject({ type: "escrow.released", data: { amount: "400", fee: "4", payeeAmount: "396" } });
    const full = fold([opened, { name: "EscrowReleased", escrowId: ID, amount: 400n, fee: 4n }, { name: "EscrowReleased", escrowId: ID, amount: 600n, fee: 6n }]);
    expect(full.state).toMatchObject({ status: "released", remaining: 0n, releasedAmount: 1_000n, feeAmount: 10n, dueAt: null });
  });

  it("closes as refunded when the payee refunds everything", () => {
    const { state, derived } = fold([opened, { name: "EscrowRefunded", escrowId: ID, amount: 1_000n }]);
    expect(state).toMatchObject({ status: "refunded", remaining: 0n, refundedAmount: 1_000n, dueAt: null });
    expect(derived[1]).toMatchObject({ type: "escrow.refunded", data: { amount: "1000" } });
  });

  it("records a dispute at the block time and moves the due time to the end of arbitration", () => {
    const { state, derived } = fold([opened, { name: "EscrowDisputed", escrowId: ID, disputant: PAYER }]);
    expect(state).toMatchObject({ status: "disputed", disputedAt: 1_001n, disputant: PAYER, dueAt: 1_001n + ARBITRATION_PERIOD_SECONDS });
    expect(derived[1]).toMatchObject({ type: "escrow.disputed", data: { disputant: `D(${PAYER})` } });
  });

  it("closes a disputed escrow as resolved with the arbiter's split", () => {
    const { state, derived } = fold([
      opened,
      { name: "EscrowDisputed", escrowId: ID, disputant: PAYEE },
      { name: "EscrowResolved", escrowId: ID, payeeAmount: 700n, fee: 7n, payerAmount: 300n },
    ]);
    expect(state).toMatchObject({ status: "resolved", remaining: 0n, releasedAmount: 700n, refundedAmount: 300n, feeAmount: 7n, dueAt: null });
    expect(derived[2]).toMatchObject({ type: "escrow.resolved", data: { payeeAmount: "700", fee: "7", payerAmount: "300" } });
  });

  it("moves the deadline and due time on an extension", () => {
    const { state, derived } = fold([opened, { name: "EscrowDeadlineExtended", escrowId: ID, previousDeadline: 90_000n, newDeadline: 120_000n }]);
    expect(state).toMatchObject({ status: "open", deadline: 120_000n, dueAt: 120_000n });
    expect(derived[1]).toMatchObject({ type: "escrow.extended", data: { previousDeadline: "90000", newDeadline: "120000" } });
  });

  it("closes as timed_out, counting a release timeout as released and a refund timeout as refunded", () => {
    const released = fold([opened, { name: "EscrowTimedOut", escrowId: ID, action: "release", amount: 1_000n, fee: 10n }]);
    expect(released.state).toMatchObject({ status: "timed_out", releasedAmount: 1_000n, refundedAmount: 0n, feeAmount: 10n, dueAt: null });
    expect(released.derived[1]).toMatchObject({ type: "escrow.timeout_executed", data: { action: "release", amount: "1000", fee: "10" } });
    const refunded = fold([opened, { name: "EscrowTimedOut", escrowId: ID, action: "refund", amount: 1_000n, fee: 0n }]);
    expect(refunded.state).toMatchObject({ status: "timed_out", releasedAmount: 0n, refundedAmount: 1_000n });
  });

  it("adds deferred payouts to the escrow and names the party", () => {
    const { state, derived } = fold([
      opened,
      { name: "EscrowReleased", escrowId: ID, amount: 1_000n, fee: 10n },
      { name: "PayoutDeferred", recipient: PAYEE, token: TOKEN, amount: 990n },
    ]);
    expect(state).toMatchObject({ status: "released", deferredAmount: 990n });
    expect(derived[2]).toMatchObject({ type: "escrow.payout_deferred", routeTo: PAYEE, data: { party: "payee", amount: "990", recipient: `D(${PAYEE})` } });
  });

  it("derives invoice.paid (direct) and invoice.cancelled without a projection", () => {
    const settled = applyVaultEvent(undefined, at({ name: "InvoiceSettled", invoiceId: ID, payer: PAYER, merchant: PAYEE, token: TOKEN, amount: 50n, fee: 1n, merchantReference: ID }), ctx);
    expect(settled.state).toBeUndefined();
    expect(settled.derived[0]).toMatchObject({ type: "invoice.paid", routeTo: PAYEE, data: { settlement: "direct", amount: "50", fee: "1", merchant: `D(${PAYEE})` } });
    const cancelled = applyVaultEvent(undefined, at({ name: "InvoiceCancelled", invoiceId: ID, merchant: PAYEE }), ctx);
    expect(cancelled.derived[0]).toMatchObject({ type: "invoice.cancelled", routeTo: PAYEE, data: { invoiceId: ID } });
  });

  it("derives payout.claimed for the recipient", () => {
    const subject = `payout:${PAYEE}:${TOKEN}`;
    const claimed = applyVaultEvent(undefined, at({ name: "PayoutClaimed", recipient: PAYEE, token: TOKEN, to: PAYER, amount: 9n }, 10, 1, subject), ctx);
    expect(claimed.derived[0]).toMatchObject({ type: "payout.claimed", subjectId: subject, routeTo: PAYEE, data: { amount: "9", to: `D(${PAYER})` } });
  });

  it("reports events of an escrow opened before the start block without inventing a projection", () => {
    const result = applyVaultEvent(undefined, at({ name: "EscrowReleased", escrowId: ID, amount: 5n, fee: 0n }), ctx);
    expect(result.state).toBeUndefined();
    expect(result.derived[0]).toMatchObject({ type: "escrow.released", routeTo: null, data: { amount: "5", escrow: null } });
  });

  it("rebuilds the vault's Escrow struct, disputedAt included", () => {
    const { state } = fold([opened, { name: "EscrowDisputed", escrowId: ID, disputant: PAYER }]);
    expect(toVaultEscrow(state)).toEqual({ token: TOKEN, payer: PAYER, payee: PAYEE, arbiter: ARBITER, remaining: 1_000n, payBy: 5_000n, deadline: 90_000n, disputedAt: 1_001n, feeBps: 100n, timeoutAction: 0n });
  });
});

describe("vault event decoding", () => {
  const vault = new Interface(EscrowVault__factory.abi);

  it("decodes every ingested event from real ABI encoding and round-trips through JSON", () => {
    const encoded = vault.encodeEventLog("EscrowOpened", [ID, PAYER, PAYEE, TOKEN, ARBITER, 1_000n, 5_000n, 90_000n, 100, 1, ID]);
    const event = decodeVaultLog(encoded);
    expect(event).toEqual({ ...opened, timeoutAction: "refund", merchantReference: ID });
    expect(vaultEventFromJson(JSON.parse(JSON.stringify(vaultEventToJson(event!))))).toEqual(event);
    const timedOut = decodeVaultLog(vault.encodeEventLog("EscrowTimedOut", [ID, 0, 7n, 1n]));
    expect(timedOut).toEqual({ name: "EscrowTimedOut", escrowId: ID, action: "release", amount: 7n, fee: 1n });
  });

  it("ignores admin events and foreign logs", () => {
    expect(decodeVaultLog(vault.encodeEventLog("FeeUpdated", [0, 5]))).toBeNull();
    expect(decodeVaultLog({ topics: [`0x${"99".repeat(32)}`], data: "0x" })).toBeNull();
  });

  it("attributes a deferred payout to the escrow action before it in the same transaction", () => {
    const tx = (txHash: string, event: VaultEvent) => ({ txHash, event });
    const subjects = assignSubjects([
      tx("0x1", { name: "EscrowTimedOut", escrowId: ID, action: "release", amount: 1n, fee: 0n }),
      tx("0x1", { name: "PayoutDeferred", recipient: PAYEE, token: TOKEN, amount: 1n }),
      tx("0x2", { name: "PayoutDeferred", recipient: PAYEE, token: TOKEN, amount: 1n }),
    ]).map((e) => e.subjectId);
    expect(subjects).toEqual([ID, ID, `payout:${PAYEE}:${TOKEN}`]);
  });
});

describe("domain event ids", () => {
  it("are deterministic per (chain, block hash, log index, type) and differ per incarnation", () => {
    const a = domainEventId("tron", "0xAA", 3, "invoice.paid");
    expect(a).toBe(domainEventId("tron", "0xaa", 3, "invoice.paid"));
    expect(a).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(new Set([a, domainEventId("tron", "0xaa", 4, "invoice.paid"), domainEventId("tron", "0xaa", 3, "invoice.paid", 1), revertedEventId(a)]).size).toBe(4);
  });

  it("shows TRON addresses in payloads as base58", () => {
    const tron: FoldContext = { vault: VAULT, formatAddress: tronAddressFromHex };
    const { derived } = { derived: applyVaultEvent(undefined, at(opened), tron).derived };
    expect(derived[0]!.data.vault).toMatch(/^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    expect((derived[0]!.data.escrow as Record<string, string>).payee).toBe(tronAddressFromHex(PAYEE));
  });
});
