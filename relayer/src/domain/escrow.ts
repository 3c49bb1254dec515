import type { DerivedEvent, DomainEventType } from "./events.js";
import { deriveInvoiceEvents } from "./invoice.js";
import type { ChainEvent, TimeoutAction, VaultEvent } from "./vault-events.js";

/** IEscrowVault.ARBITRATION_PERIOD: a dispute left unresolved this long can be timed out (refund). */
export const ARBITRATION_PERIOD_SECONDS = 30n * 24n * 60n * 60n;

export type EscrowStatus = "open" | "disputed" | "released" | "refunded" | "resolved" | "timed_out";
export const OPEN_ESCROW_STATUSES: readonly EscrowStatus[] = ["open", "disputed"];

/** An escrow as the vault's events describe it; addresses lower-case hex, times unix seconds. */
export interface EscrowProjection {
  chain: string;
  escrowId: string;
  vault: string;
  token: string;
  payer: string;
  payee: string;
  arbiter: string;
  /** Funded amount; always amount = released + refunded + remaining. */
  amount: bigint;
  remaining: bigint;
  payBy: bigint;
  deadline: bigint;
  disputedAt: bigint | null;
  disputant: string | null;
  feeBps: number;
  timeoutAction: TimeoutAction;
  merchantReference: string;
  status: EscrowStatus;
  /** Gross amount that left towards the payee, fees included. */
  releasedAmount: bigint;
  refundedAmount: bigint;
  feeAmount: bigint;
  /** Payouts the token refused, now claimable by their recipient from the vault. */
  deferredAmount: bigint;
  /** The timeout is executable once block time is strictly after this; null when closed. */
  dueAt: bigint | null;
  openedBlock: number;
  openedTxHash: string;
  updatedBlock: number;
  updatedTxHash: string;
}

/** What folding and deriving need besides the event: display form is decided by the chain. */
export interface FoldContext {
  vault: string;
  formatAddress(hex: string): string;
}

export interface FoldResult {
  state: EscrowProjection | undefined;
  derived: DerivedEvent[];
}

/**
 * Folds one vault event into the projection of its subject and derives the domain events a merchant
 * receives. Pure: the same inputs always give the same outputs, which is what lets a reorg rebuild a
 * projection by folding the surviving events again.
 */
export function applyVaultEvent(state: EscrowProjection | undefined, record: ChainEvent, ctx: FoldContext): FoldResult {
  const { event } = record;
  if (event.name === "InvoiceSettled" || event.name === "InvoiceCancelled" || event.name === "PayoutClaimed") {
    return { state, derived: deriveInvoiceEvents(record, ctx) };
  }
  if (event.name === "PayoutDeferred" && !state) return { state, derived: deriveInvoiceEvents(record, ctx) };
  if (event.name === "EscrowOpened") {
    // A second EscrowOpened for one id cannot happen on chain; keep the first rather than reset amounts.
    const opened = state ?? openEscrow(record, event, ctx.vault);
    return { state: opened, derived: [escrowEvent("invoice.paid", opened, record, ctx, { settlement: "escrow", amount: event.amount.toString() })] };
  }
  if (!state) {
    // The escrow was opened before the configured start block: report the event, keep no projection.
    return { state, derived: [unknownEscrowEvent(record, ctx)] };
  }
  return transition(state, record, event, ctx);
}

function transition(state: EscrowProjection, record: ChainEvent, event: VaultEvent, ctx: FoldContext): FoldResult {
  const touched = { ...state, updatedBlock: record.blockNumber, updatedTxHash: record.txHash };
  switch (event.name) {
    case "EscrowReleased": {
      const next = debit(touched, event.amount, 0n, event.fee, "released");
      return one(next, "escrow.released", record, ctx, { amount: event.amount.toString(), fee: event.fee.toString(), payeeAmount: (event.amount - event.fee).toString() });
    }
    case "EscrowRefunded": {
      const next = debit(touched, 0n, event.amount, 0n, "refunded");
      return one(next, "escrow.refunded", record, ctx, { amount: event.amount.toString() });
    }
    case "EscrowDisputed": {
      const disputedAt = BigInt(record.blockTimestamp);
      const next: EscrowProjection = { ...touched, status: "disputed", disputedAt, disputant: event.disputant, dueAt: disputedAt + ARBITRATION_PERIOD_SECONDS };
      return one(next, "escrow.disputed", record, ctx, { disputant: ctx.formatAddress(event.disputant) });
    }
    case "EscrowResolved": {
      const next = debit(touched, event.payeeAmount, event.payerAmount, event.fee, "resolved");
      return one(next, "escrow.resolved", record, ctx, {
        payeeAmount: event.payeeAmount.toString(),
        fee: event.fee.toString(),
        payerAmount: event.payerAmount.toString(),
      });
    }
    case "EscrowDeadlineExtended": {
      const next: EscrowProjection = { ...touched, deadline: event.newDeadline, dueAt: touched.disputedAt === null ? event.newDeadline : touched.dueAt };
      return one(next, "escrow.extended", record, ctx, { previousDeadline: event.previousDeadline.toString(), newDeadline: event.newDeadline.toString() });
    }
    case "EscrowTimedOut": {
      const releases = event.action === "release";
      const next = { ...debit(touched, releases ? event.amount : 0n, releases ? 0n : event.amount, event.fee, "timed_out") };
      return one(next, "escrow.timeout_executed", record, ctx, { action: event.action, amount: event.amount.toString(), fee: event.fee.toString() });
    }
    case "PayoutDeferred": {
      const next = { ...touched, deferredAmount: touched.deferredAmount + event.amount };
      const party = event.recipient === state.payee ? "payee" : event.recipient === state.payer ? "payer" : "other";
      return one(next, "escrow.payout_deferred", record, ctx, {
        recipient: ctx.formatAddress(event.recipient),
        party,
        token: ctx.formatAddress(event.token),
        amount: event.amount.toString(),
      });
    }
    default:
      return { state, derived: [] };
  }
}

function openEscrow(record: ChainEvent, event: Extract<VaultEvent, { name: "EscrowOpened" }>, vault: string): EscrowProjection {
  return {
    chain: record.chain,
    escrowId: event.escrowId,
    vault,
    token: event.token,
    payer: event.payer,
    payee: event.payee,
    arbiter: event.arbiter,
    amount: event.amount,
    remaining: event.amount,
    payBy: event.payBy,
    deadline: event.deadline,
    disputedAt: null,
    disputant: null,
    feeBps: event.feeBps,
    timeoutAction: event.timeoutAction,
    merchantReference: event.merchantReference,
    status: "open",
    releasedAmount: 0n,
    refundedAmount: 0n,
    feeAmount: 0n,
    deferredAmount: 0n,
    dueAt: event.deadline,
    openedBlock: record.blockNumber,
    openedTxHash: record.txHash,
    updatedBlock: record.blockNumber,
    updatedTxHash: record.txHash,
  };
}

/** Takes funds out; the escrow closes with `closedAs` when nothing remains (the vault's `_debit`). */
function debit(state: EscrowProjection, toPayee: bigint, toPayer: bigint, fee: bigint, closedAs: EscrowStatus): EscrowProjection {
  const remaining = state.remaining - toPayee - toPayer;
  const closes = remaining <= 0n || closedAs === "resolved" || closedAs === "timed_out";
  return {
    ...state,
    remaining: closes ? 0n : remaining,
    releasedAmount: state.releasedAmount + toPayee,
    refundedAmount: state.refundedAmount + toPayer,
    feeAmount: state.feeAmount + fee,
    status: closes ? closedAs : state.status,
    dueAt: closes ? null : state.dueAt,
  };
}

function one(next: EscrowProjection, type: DomainEventType, record: ChainEvent, ctx: FoldContext, fields: Record<string, unknown>): FoldResult {
  return { state: next, derived: [escrowEvent(type, next, record, ctx, fields)] };
}

function escrowEvent(type: DomainEventType, escrow: EscrowProjection, record: ChainEvent, ctx: FoldContext, fields: Record<string, unknown>): DerivedEvent {
  return {
    type,
    subjectId: escrow.escrowId,
    routeTo: escrow.payee,
    data: { ...eventOrigin(record, ctx), escrowId: escrow.escrowId, invoiceId: escrow.escrowId, ...fields, escrow: escrowToJson(escrow, ctx.formatAddress) },
  };
}

function unknownEscrowEvent(record: ChainEvent, ctx: FoldContext): DerivedEvent {
  const type = ESCROW_EVENT_TYPES[record.event.name] ?? "escrow.released";
  const fields = Object.fromEntries(
    Object.entries(record.event)
      .filter(([key]) => key !== "name")
      .map(([key, value]) => [key, typeof value === "bigint" ? value.toString() : /^0x[0-9a-f]{40}$/.test(String(value)) ? ctx.formatAddress(String(value)) : value]),
  );
  return { type, subjectId: record.subjectId, routeTo: null, data: { ...eventOrigin(record, ctx), invoiceId: record.subjectId, ...fields, escrow: null } };
}

const ESCROW_EVENT_TYPES: Partial<Record<VaultEvent["name"], DomainEventType>> = {
  EscrowReleased: "escrow.released",
  EscrowRefunded: "escrow.refunded",
  EscrowDisputed: "escrow.disputed",
  EscrowResolved: "escrow.resolved",
  EscrowDeadlineExtended: "escrow.extended",
  EscrowTimedOut: "escrow.timeout_executed",
};

/** Where an event came from, in every payload. */
export function eventOrigin(record: ChainEvent, ctx: FoldContext): Record<string, unknown> {
  return {
    chain: record.chain,
    vault: ctx.formatAddress(ctx.vault),
    txHash: record.txHash,
    blockNumber: record.blockNumber,
    blockHash: record.blockHash,
    logIndex: record.logIndex,
  };
}

/** The projection as merchants see it: display addresses, decimal strings. */
export function escrowToJson(escrow: EscrowProjection, formatAddress: (hex: string) => string): Record<string, unknown> {
  const zero = /^0x0{40}$/;
  return {
    escrowId: escrow.escrowId,
    status: escrow.status,
    token: formatAddress(escrow.token),
    payer: formatAddress(escrow.payer),
    payee: formatAddress(escrow.payee),
    arbiter: zero.test(escrow.arbiter) ? null : formatAddress(escrow.arbiter),
    amount: escrow.amount.toString(),
    remaining: escrow.remaining.toString(),
    releasedAmount: escrow.releasedAmount.toString(),
    refundedAmount: escrow.refundedAmount.toString(),
    feeAmount: escrow.feeAmount.toString(),
    deferredAmount: escrow.deferredAmount.toString(),
    feeBps: escrow.feeBps,
    timeoutAction: escrow.timeoutAction,
    payBy: Number(escrow.payBy),
    deadline: Number(escrow.deadline),
    disputedAt: escrow.disputedAt === null ? null : Number(escrow.disputedAt),
    disputant: escrow.disputant === null ? null : formatAddress(escrow.disputant),
    dueAt: escrow.dueAt === null ? null : Number(escrow.dueAt),
    merchantReference: escrow.merchantReference,
  };
}

/** The Escrow struct the vault hashes, rebuilt from the projection: what timeout calls pass back. */
export function toVaultEscrow(escrow: EscrowProjection) {
  return {
    token: escrow.token,
    payer: escrow.payer,
    payee: escrow.payee,
    arbiter: escrow.arbiter,
    remaining: escrow.remaining,
    payBy: escrow.payBy,
    deadline: escrow.deadline,
    disputedAt: escrow.disputedAt ?? 0n,
    feeBps: BigInt(escrow.feeBps),
    timeoutAction: escrow.timeoutAction === "release" ? 0n : 1n,
  };
}
