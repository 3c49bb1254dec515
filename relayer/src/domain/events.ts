import { createHash } from "node:crypto";

/** Webhook event types, the `type` column of domain_events. */
export type DomainEventType =
  | "invoice.paid"
  | "invoice.cancelled"
  | "escrow.released"
  | "escrow.refunded"
  | "escrow.disputed"
  | "escrow.resolved"
  | "escrow.extended"
  | "escrow.timeout_executed"
  | "escrow.payout_deferred"
  | "payout.claimed"
  | "event.reverted"
  | DepositEventType;

/** Scan-to-pay webhooks (docs/deposits.md): the BTCPay-style statuses and exceptions, and what moved. */
export const DEPOSIT_EVENT_TYPES = [
  "deposit.payment_seen",
  "deposit.payment_received",
  "deposit.wrong_token_received",
  "deposit.processing",
  "deposit.settled",
  "deposit.expired",
  "deposit.invalid",
  "deposit.paid_partial",
  "deposit.paid_over",
  "deposit.paid_late",
  "deposit.refunded",
  "deposit.accepted",
  "deposit.recovered",
  "deposit.sweep_failed",
] as const;
export type DepositEventType = (typeof DEPOSIT_EVENT_TYPES)[number];

/**
 * 128 bits of SHA-256: ids are compared, never trusted for security, and stay readable in logs.
 * SHA-256 because Node computes it natively; keccak in JavaScript cost more than the rest of
 * deriving an event.
 */
const EVENT_ID_HEX_CHARS = 32;

/** A domain event derived from one log, before the store numbers it and routes it to a merchant. */
export interface DerivedEvent {
  type: DomainEventType;
  subjectId: string;
  /** Lower-case hex address whose merchant receives the event (payee/merchant/recipient); null: nobody. */
  routeTo: string | null;
  /** The webhook body's `data`, without `sequence` (the store adds it). */
  data: Record<string, unknown>;
}

/**
 * The webhook id of an event derived from a log: the same log gives the same id on every run, so a
 * retry or restart can never create a second one. `incarnation` counts how often that exact log came
 * back after being reverted (a reorg and its reversal): each comeback is a new event for the merchant.
 */
export function domainEventId(chain: string, blockHash: string, logIndex: number, type: DomainEventType, incarnation = 0): string {
  const suffix = incarnation === 0 ? "" : `:${incarnation}`;
  return hashId(`${chain}:${blockHash.toLowerCase()}:${logIndex}:${type}${suffix}`);
}

/** The id of the `event.reverted` that undoes `revertedId`; an event is reverted at most once. */
export function revertedEventId(revertedId: string): string {
  return hashId(`event.reverted:${revertedId}`);
}

/** The id of an event no confirmed log caused (a sighting in an unconfirmed block, pay-by passing), from its parts. */
export function derivedEventId(...parts: (string | number)[]): string {
  return hashId(parts.join(":"));
}

function hashId(text: string): string {
  return `evt_${createHash("sha256").update(text, "utf8").digest("hex").slice(0, EVENT_ID_HEX_CHARS)}`;
}
