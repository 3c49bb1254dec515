import { createHash } from "node:crypto";
import { holdsOffChainReservation, isFinal, transition, type OrderEvent, type OrderInput, type OrderState } from "../domain/p2p-order.js";
import type { UnnumberedEvent } from "../store/outbox-rows.js";
import type { AuditEntry, OrderChange, P2pOrderRow } from "../store/p2p-orders-repository.js";
import type { ConfirmRequest, ReservationRequest } from "./ports.js";

/**
 * Glue between the pure state machine and the store: applies inputs to stored orders and turns the
 * result into an OrderChange, outbox events (one per audience) and audit entries. Several inputs to
 * one order in one transaction fold into one change.
 */

/** Lower-case hex to what people see (base58 on TRON), by chain. */
export type AddressFormatter = (chain: string, hex: string) => string;
export const hexAddresses: AddressFormatter = (_chain, hex) => hex;

const EVENT_ID_HEX_CHARS = 32;

export const stateOf = (row: P2pOrderRow): OrderState => ({
  kind: row.kind,
  status: row.status,
  amount: row.amount,
  acceptorId: row.acceptorId,
  attempt: row.attempt,
  excluded: row.excluded,
  deadline: row.deadline,
  disputedAt: row.disputedAt,
  payeeAmount: row.payeeAmount,
  payerAmount: row.payerAmount,
  reason: row.reason,
});

/** The order as webhooks and the API show it. */
export function orderToJson(row: P2pOrderRow, format: AddressFormatter): Record<string, unknown> {
  const fmt = (hex: string | null) => (hex === null ? null : format(row.chain, hex));
  return {
    object: "p2p_order",
    id: row.orderId,
    reference: row.reference,
    kind: row.kind,
    status: row.status,
    chain: row.chain,
    token: fmt(row.token),
    amount: row.amount.toString(),
    tokenDecimals: row.tokenDecimals,
    userReference: row.userReference,
    beneficiary: fmt(row.beneficiary),
    arbiter: fmt(row.arbiter),
    fiat: { currency: row.fiatCurrency, method: row.fiatMethod, amount: row.fiatAmount },
    acceptor: row.acceptorId === null ? null : { id: row.acceptorId, address: fmt(row.acceptorAddress) },
    slot: row.slot?.toString() ?? null,
    attempt: row.attempt,
    deadline: row.deadline === null ? null : Number(row.deadline),
    disputedAt: row.disputedAt === null ? null : Number(row.disputedAt),
    payeeAmount: row.payeeAmount?.toString() ?? null,
    payerAmount: row.payerAmount?.toString() ?? null,
    reason: row.reason,
    paymentWindowSeconds: row.paymentWindowS,
    matchBy: row.matchBy.toISOString(),
    acceptBy: row.acceptBy?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    closedAt: row.closedAt?.toISOString() ?? null,
  };
}

/** Stable per (order, version, type, audience): a retried transaction can never emit twice. */
export function orderEventId(chain: string, orderId: string, version: number, type: string, audience: string): string {
  return `evt_${createHash("sha256").update(`p2p:${chain}:${orderId}:${version}:${type}:${audience}`, "utf8").digest("hex").slice(0, EVENT_ID_HEX_CHARS)}`;
}

/** Platform events count on the order id; each acceptor's on its own subject, so both see 1, 2, 3… */
export const acceptorSubject = (orderId: string, acceptorId: string) => `${orderId}:${acceptorId}`;

export function outboxEvents(before: P2pOrderRow, after: P2pOrderRow, events: readonly OrderEvent[], version: number, format: AddressFormatter): UnnumberedEvent[] {
  const rows: UnnumberedEvent[] = [];
  const acceptorId = after.acceptorId ?? before.acceptorId;
  const body = orderToJson(after, format);
  for (const event of events) {
    for (const audience of event.audience) {
      if (audience === "acceptor" && !acceptorId) continue;
      rows.push({
        id: orderEventId(after.chain, after.orderId, version, event.type, audience === "platform" ? "platform" : acceptorId!),
        merchantId: audience === "platform" ? after.platformId : acceptorId,
        type: event.type,
        subjectId: audience === "platform" ? after.orderId : acceptorSubject(after.orderId, acceptorId!),
        payload: { ...body, ...event.data },
        blockNumber: null,
        blockHash: null,
      });
    }
  }
  return rows;
}

/** Fields the caller sets alongside an input (the engine's match: acceptor address, slot, fiat…). */
export type RowPatch = Partial<Pick<P2pOrderRow, "acceptorAddress" | "slot" | "slotPrevious" | "fiatAmount" | "acceptBy" | "matchedAt">>;

export interface Step {
  input: OrderInput;
  patch?: RowPatch;
  /** The slot's content after a desk event, when known. */
  slotContent?: string | null;
  decision?: string;
  detail?: Record<string, unknown>;
}

export interface Applied {
  change: OrderChange;
  events: UnnumberedEvent[];
  audit: AuditEntry[];
  reservations: ReservationRequest[];
  confirmations: Omit<ConfirmRequest, "authorization">[];
}

/** Applies steps in order to one stored order; throws OrderTransitionError on the first that does not apply. */
export function applySteps(before: P2pOrderRow, steps: readonly Step[], options: { now: Date; format: AddressFormatter }): Applied {
  let row = before;
  const applied: Applied = {
    change: { before, after: before, releaseReserved: false, slot: null, acceptorOutcome: null, steps: 0 },
    events: [],
    audit: [],
    reservations: [],
    confirmations: [],
  };
  for (const step of steps) {
    const current = stateOf(row);
    const t = transition(current, step.input);
    // A desk event replayed on a final order changes nothing: no version, no audit entry.
    if (t.state === current && t.events.length === 0) continue;
    const version = before.version + applied.change.steps!;
    applied.change.steps! += 1;
    let next: P2pOrderRow = { ...row, ...t.state, ...step.patch };
    if (next.acceptorId === null) next = { ...next, acceptorAddress: null, slot: null, slotPrevious: null, fiatAmount: null, acceptBy: null };
    if (isFinal(next.status) && !isFinal(row.status)) next = { ...next, closedAt: options.now, acceptBy: null };
    if (t.effects.freeSlot) applied.change.slot = { free: true, ...(t.effects.freeSlot === "closed" ? { content: step.slotContent ?? null } : {}) };
    else if (step.input.type === "desk.reserved") applied.change.slot = { free: false, content: step.slotContent ?? null };
    if (t.effects.acceptorOutcome) applied.change.acceptorOutcome = t.effects.acceptorOutcome;
    if (t.effects.queueReservation) applied.reservations.push(reservationOf(next));
    if (t.effects.queueConfirm) applied.confirmations.push({ orderId: next.orderId, chain: next.chain, kind: next.kind, acceptor: next.acceptorAddress!, platformId: next.platformId, slot: next.slot!, by: next.kind === "deposit" ? "acceptor" : "platform" });
    applied.events.push(...outboxEvents(row, next, t.events, version, options.format));
    applied.audit.push({
      orderId: next.orderId,
      platformId: next.platformId,
      decision: step.decision ?? step.input.type,
      acceptorId: next.acceptorId ?? row.acceptorId,
      attempt: next.attempt,
      detail: { from: row.status, to: next.status, ...(next.reason && next.reason !== row.reason ? { reason: next.reason } : {}), ...step.detail },
    });
    row = next;
  }
  applied.change.after = row;
  applied.change.releaseReserved = holdsOffChainReservation(before) && !holdsOffChainReservation(row);
  return applied;
}

export function reservationOf(row: P2pOrderRow): ReservationRequest {
  return {
    orderId: row.orderId,
    chain: row.chain,
    kind: row.kind,
    token: row.token,
    acceptor: row.acceptorAddress!,
    platformId: row.platformId,
    beneficiary: row.beneficiary,
    arbiter: row.arbiter,
    amount: row.amount,
    slot: row.slot!,
    previous: row.slotPrevious!,
    paymentWindowSeconds: row.paymentWindowS,
  };
}

/** Groups outbox rows by chain for appendToOutbox. */
export function byChain(chain: string, events: readonly UnnumberedEvent[], into = new Map<string, UnnumberedEvent[]>()): Map<string, UnnumberedEvent[]> {
  if (events.length === 0) return into;
  const list = into.get(chain) ?? [];
  list.push(...events);
  into.set(chain, list);
  return into;
}
