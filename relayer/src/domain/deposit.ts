import type { DepositEvent } from "./deposit-events.js";
import type { DerivedEvent, DomainEventType } from "./events.js";
import type { VaultEvent } from "./vault-events.js";

/**
 * The payment at an invoice's deposit address (scan-to-pay), as a pure state machine fed by confirmed
 * logs: token transfers into and out of the address, the vault's payment and cancellation of the
 * invoice, and the DepositRouter's refunds, acceptances and recoveries. Statuses follow BTCPay Server's
 * invoice model (docs/deposits.md, "Statuses"):
 *
 *   new -> processing (the full amount arrived before pay-by) -> settled (swept into escrow)
 *   new -> expired (pay-by passed without the full amount)
 *   processing -> invalid (pay-by passed before a sweep; or the invoice was cancelled holding funds)
 *
 * with an exception beside the status: paid_partial (less than the amount), paid_over (more than the
 * invoice took: the rest is refundable), paid_late (tokens arrived after pay-by).
 */

export type DepositStatus = "new" | "processing" | "settled" | "expired" | "invalid";
export type DepositException = "paid_partial" | "paid_over" | "paid_late";
export const DEPOSIT_STATUSES: readonly DepositStatus[] = ["new", "processing", "settled", "expired", "invalid"];
export const DEPOSIT_EXCEPTIONS: readonly DepositException[] = ["paid_partial", "paid_over", "paid_late"];

/** What the invoice fixes; addresses lower-case hex. */
export interface DepositTerms {
  chain: string;
  invoiceId: string;
  vault: string;
  merchant: string;
  depositAddress: string;
  token: string;
  amount: bigint;
  payBy: bigint;
}

/** Running totals in the invoice token's smallest unit; `strayTokens` holds other tokens by address. */
export interface DepositState extends DepositTerms {
  /** Every unit of the invoice token that arrived, confirmed. */
  received: bigint;
  /** Of `received`, what arrived in blocks after pay-by. */
  receivedLate: bigint;
  /** What the address holds now: received minus everything that left. */
  balance: bigint;
  /** Sent to the vault: the sweep of this invoice plus acceptances into new invoices. */
  toVault: bigint;
  accepted: bigint;
  refunded: bigint;
  /** Other tokens at the address (sent by mistake): token -> balance, decimal strings. */
  strayTokens: Record<string, string>;
  /** The vault recorded a payment of this invoice (from this address or from a wallet). */
  paid: boolean;
  cancelled: boolean;
  /** Revert data of the last failed sweep of this invoice, until a payment or cancellation. */
  sweepError: string | null;
  status: DepositStatus;
  exception: DepositException | null;
  updatedBlock: number | null;
}

/** A confirmed log with where it happened. */
export interface DepositFoldRecord {
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  txHash: string;
  logIndex: number;
  event: VaultEvent | DepositEvent;
}

export interface DepositFoldContext {
  formatAddress(hex: string): string;
}

export function newDeposit(terms: DepositTerms): DepositState {
  return {
    ...terms,
    received: 0n,
    receivedLate: 0n,
    balance: 0n,
    toVault: 0n,
    accepted: 0n,
    refunded: 0n,
    strayTokens: {},
    paid: false,
    cancelled: false,
    sweepError: null,
    status: "new",
    exception: null,
    updatedBlock: null,
  };
}

/** What was swept to pay this invoice (acceptances pay other invoices from the same address). */
export function sweptAmount(state: DepositState): bigint {
  return state.toVault - state.accepted;
}

/** The status and exception the totals imply at chain time `now` (unix seconds). */
export function depositStatus(state: DepositState, now: bigint): { status: DepositStatus; exception: DepositException | null } {
  const { amount, received } = state;
  if (state.paid) {
    // Whatever the address received beyond what paid the invoice is refundable.
    return { status: "settled", exception: received > sweptAmount(state) ? "paid_over" : null };
  }
  const onTime = received - state.receivedLate;
  const short = received > 0n && received < amount ? "paid_partial" : null;
  if (state.cancelled) return { status: "invalid", exception: received > amount ? "paid_over" : short };
  if (now > state.payBy) {
    // Paid in full in time but never swept (relayer down, deposits paused): the merchant decides.
    if (onTime >= amount) return { status: "invalid", exception: received > amount ? "paid_over" : null };
    return { status: "expired", exception: state.receivedLate > 0n ? "paid_late" : short };
  }
  if (received >= amount) return { status: "processing", exception: received > amount ? "paid_over" : null };
  return { status: "new", exception: short };
}

function addStray(stray: Record<string, string>, token: string, delta: bigint): Record<string, string> {
  const next = { ...stray };
  const balance = BigInt(next[token] ?? "0") + delta;
  if (balance === 0n) delete next[token];
  else next[token] = balance.toString();
  return next;
}

/** The webhook `data` (and API) form of a deposit. */
export function depositToJson(state: DepositState, fmt: (hex: string) => string) {
  return {
    invoiceId: state.invoiceId,
    chain: state.chain,
    depositAddress: fmt(state.depositAddress),
    token: fmt(state.token),
    amount: state.amount.toString(),
    status: state.status,
    exception: state.exception,
    received: state.received.toString(),
    receivedLate: state.receivedLate.toString(),
    balance: state.balance.toString(),
    swept: sweptAmount(state).toString(),
    accepted: state.accepted.toString(),
    refunded: state.refunded.toString(),
    strayTokens: Object.entries(state.strayTokens).map(([token, balance]) => ({ token: fmt(token), balance })),
    sweepError: state.sweepError,
  };
}

/** Folds the effect of one event on the totals, with the events it causes by itself (not transitions). */
function applyTotals(state: DepositState, record: DepositFoldRecord, ctx: DepositFoldContext): { state: DepositState; derived: { type: DomainEventType; data: Record<string, unknown> }[] } {
  const { event } = record;
  const fmt = ctx.formatAddress;
  const s = { ...state, updatedBlock: record.blockNumber };
  switch (event.name) {
    case "TokenTransfer": {
      const incoming = event.to === state.depositAddress;
      const outgoing = event.from === state.depositAddress;
      if (incoming === outgoing) return { state, derived: [] };
      if (event.token !== state.token) {
        s.strayTokens = addStray(s.strayTokens, event.token, incoming ? event.amount : -event.amount);
        const data = { strayTransfer: { token: fmt(event.token), from: fmt(event.from), amount: event.amount.toString() } };
        return { state: s, derived: incoming ? [{ type: "deposit.wrong_token_received", data }] : [] };
      }
      if (outgoing) {
        s.balance -= event.amount;
        if (event.to === state.vault) s.toVault += event.amount;
        return { state: s, derived: [] };
      }
      const late = BigInt(record.blockTimestamp) > state.payBy;
      s.received += event.amount;
      s.balance += event.amount;
      if (late) s.receivedLate += event.amount;
      return { state: s, derived: [{ type: "deposit.payment_received", data: { payment: { from: fmt(event.from), amount: event.amount.toString(), late } } }] };
    }
    case "EscrowOpened":
    case "InvoiceSettled":
      return { state: { ...s, paid: true, sweepError: null }, derived: [] };
    case "InvoiceCancelled":
      return { state: { ...s, cancelled: true, sweepError: null }, derived: [] };
    case "DepositRefunded":
      s.refunded += event.amount;
      return { state: s, derived: [{ type: "deposit.refunded", data: { refund: { to: fmt(event.to), amount: event.amount.toString() } } }] };
    case "DepositAccepted":
      s.accepted += event.amount;
      return { state: s, derived: [{ type: "deposit.accepted", data: { acceptance: { acceptedInvoiceId: event.acceptedInvoiceId, amount: event.amount.toString() } } }] };
    case "DepositRecovered":
      return { state: s, derived: [{ type: "deposit.recovered", data: { recovery: { token: fmt(event.token), to: fmt(event.to), amount: event.amount.toString() } } }] };
    case "DepositSweepFailed":
      return { state: { ...s, sweepError: event.reason }, derived: [{ type: "deposit.sweep_failed", data: {} }] };
    default:
      return { state, derived: [] };
  }
}

/** Where a derived event came from: its id is fixed by this log and its type. */
export interface DepositOrigin {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

/**
 * Folds the logs of one transaction (same subject, log order) into the deposit and derives the
 * webhooks: each log's own (payment received, refund, ...), then one per status change and per new
 * exception, judged once the whole transaction is applied (a sweep's EscrowOpened comes before its
 * token transfer; judged in between, the deposit would look overpaid). Pure, so a reorg rebuilds a
 * deposit by folding the surviving logs again.
 */
export function applyDepositTransaction(
  state: DepositState,
  records: readonly DepositFoldRecord[],
  ctx: DepositFoldContext,
): { state: DepositState; derived: { event: DerivedEvent; origin: DepositOrigin }[] } {
  let next = state;
  const own: { type: DomainEventType; data: Record<string, unknown>; origin: DepositOrigin }[] = [];
  for (const record of records) {
    const totals = applyTotals(next, record, ctx);
    next = totals.state;
    for (const e of totals.derived) own.push({ ...e, origin: record });
  }
  const last = records[records.length - 1];
  if (!last) return { state, derived: [] };
  const settled = settleStatus(next, BigInt(last.blockTimestamp), ctx, own, { txHash: last.txHash, blockNumber: last.blockNumber });
  const origins = [...own.map((e) => e.origin)];
  return { state: settled.state, derived: settled.derived.map((event, i) => ({ event, origin: origins[i] ?? last })) };
}

/**
 * Re-evaluates the status at chain time `now` (also without a log: pay-by passing) and derives the
 * transition events after `own`, each carrying the whole deposit.
 */
export function settleStatus(
  state: DepositState,
  now: bigint,
  ctx: DepositFoldContext,
  own: { type: DomainEventType; data: Record<string, unknown> }[] = [],
  origin: { txHash: string | null; blockNumber: number | null } = { txHash: null, blockNumber: null },
): { state: DepositState; derived: DerivedEvent[] } {
  const next = { ...state, ...depositStatus(state, now) };
  const types: { type: DomainEventType; data: Record<string, unknown> }[] = [...own];
  if (next.status !== state.status) types.push({ type: `deposit.${next.status}` as DomainEventType, data: {} });
  if (next.exception !== null && next.exception !== state.exception) types.push({ type: `deposit.${next.exception}` as DomainEventType, data: {} });
  const deposit = depositToJson(next, ctx.formatAddress);
  const derived = types.map(({ type, data }) => ({
    type,
    subjectId: state.invoiceId,
    routeTo: state.merchant,
    data: { ...deposit, ...data, txHash: origin.txHash, blockNumber: origin.blockNumber },
  }));
  return { state: next, derived };
}
