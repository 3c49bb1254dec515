import type { DeskOrderKind } from "./p2p-desk.js";

/**
 * The P2P order state machine (docs/p2p.md, "Order lifecycle"). Pure: it takes an order's state and
 * one input (an API action, an engine decision or a desk event) and returns the next state, the
 * webhooks to emit and the side effects the store must apply in the same transaction.
 *
 *   created -> matched -> reserving -> reserved -> paid_marked -> confirmed -> released
 *   matched/reserving -> created again (declined, accept timeout, reservation failed): re-matched
 *   reserved/paid_marked/confirmed -> disputed -> resolved;  -> cancelled;  -> expired
 *   created -> expired (nobody matched it in time) or failed (attempts exhausted, user blocked)
 *
 * The withdrawal flow mirrors the deposit one: the fiat payer marks paid (deposit: the user, through
 * the platform; withdrawal: the acceptor) and the fiat payee confirms (deposit: the acceptor;
 * withdrawal: the platform for its user).
 */

/** After this many matches an order that keeps coming back is failed rather than offered again. */
export const MAX_MATCH_ATTEMPTS = 5;

export type OrderKind = DeskOrderKind;
export type Party = "platform" | "acceptor";
export type OrderStatus =
  | "created"
  | "matched"
  | "reserving"
  | "reserved"
  | "paid_marked"
  | "confirmed"
  | "released"
  | "disputed"
  | "resolved"
  | "cancelled"
  | "expired"
  | "failed";

export const ORDER_STATUSES: readonly OrderStatus[] = ["created", "matched", "reserving", "reserved", "paid_marked", "confirmed", "released", "disputed", "resolved", "cancelled", "expired", "failed"];
export const FINAL_ORDER_STATUSES: readonly OrderStatus[] = ["released", "resolved", "cancelled", "expired", "failed"];
/** A slot is held from the match until the order closes. */
const SLOT_STATUSES: readonly OrderStatus[] = ["matched", "reserving", "reserved", "paid_marked", "confirmed", "disputed"];
/** On the desk: the order's hash is in its slot. */
const ON_CHAIN_STATUSES: readonly OrderStatus[] = ["reserved", "paid_marked", "confirmed", "disputed"];

export type OrderEventType =
  | "order.created"
  | "order.matched"
  | "order.rematching"
  | "order.reserved"
  | "order.paid_marked"
  | "order.confirmed"
  | "order.released"
  | "order.disputed"
  | "order.resolved"
  | "order.extended"
  | "order.cancelled"
  | "order.expired"
  | "order.failed";

export const ORDER_EVENT_TYPES = [
  "order.created",
  "order.matched",
  "order.rematching",
  "order.reserved",
  "order.paid_marked",
  "order.confirmed",
  "order.released",
  "order.disputed",
  "order.resolved",
  "order.extended",
  "order.cancelled",
  "order.expired",
  "order.failed",
] as const satisfies readonly OrderEventType[];

export interface OrderState {
  kind: OrderKind;
  status: OrderStatus;
  amount: bigint;
  acceptorId: string | null;
  attempt: number;
  /** Acceptors that declined, timed out or failed this order: never offered it again. */
  excluded: string[];
  deadline: bigint | null;
  disputedAt: bigint | null;
  payeeAmount: bigint | null;
  payerAmount: bigint | null;
  reason: string | null;
}

export type OrderInput =
  | { type: "match"; acceptorId: string; autoAccept: boolean }
  | { type: "accept"; by: Party }
  | { type: "decline"; by: Party; reason: string }
  | { type: "accept_timeout" }
  | { type: "mark_paid"; by: Party }
  | { type: "confirm"; by: Party }
  | { type: "fail"; reason: string }
  | { type: "expire_unmatched" }
  | { type: "desk.reserved"; deadline: bigint }
  | { type: "desk.reservation_failed"; reason: string }
  | { type: "desk.confirmed" }
  | { type: "desk.cancelled"; by: Party | null }
  | { type: "desk.disputed"; disputedAt: bigint }
  | { type: "desk.resolved"; payeeAmount: bigint; payerAmount: bigint }
  | { type: "desk.extended"; newDeadline: bigint }
  | { type: "desk.expired" };

/** Who hears of an event: the platform always; the acceptor once the order is (or was) its. */
export type Audience = "platform" | "acceptor";

export interface OrderEvent {
  type: OrderEventType;
  audience: Audience[];
  /** Webhook `data` beyond the order's own fields (the store adds those). */
  data: Record<string, unknown>;
}

export interface OrderEffects {
  /** Entered `reserving`: queue the on-chain reservation (ReservationPort). */
  queueReservation: boolean;
  /** Confirmed through the API: queue the desk's confirm for the party that may send it. */
  queueConfirm: boolean;
  /** Released the slot: `previous` when nothing reached the chain (content unchanged), else `closed`. */
  freeSlot: "previous" | "closed" | null;
  /** The acceptor's record: a release completes, a decline, timeout or failed reservation counts against it. */
  acceptorOutcome: "completed" | "failed" | null;
}

export interface Transition {
  state: OrderState;
  events: OrderEvent[];
  effects: OrderEffects;
}

/** An input that does not apply to the order's status; the API answers 409 with `hint`. */
export class OrderTransitionError extends Error {
  override name = "OrderTransitionError";
  constructor(
    readonly status: OrderStatus,
    readonly input: OrderInput["type"],
    readonly hint: string,
  ) {
    super(`Order is ${status}: ${input} does not apply. ${hint}`);
  }
}

/** The fiat payer marks paid; the fiat payee confirms. */
export const fiatPayer = (kind: OrderKind): Party => (kind === "deposit" ? "platform" : "acceptor");
export const fiatPayee = (kind: OrderKind): Party => (kind === "deposit" ? "acceptor" : "platform");

/** Deposit orders hold the acceptor's liquidity off chain from the match until the desk reserves it. */
export const holdsOffChainReservation = (state: Pick<OrderState, "kind" | "status">): boolean =>
  state.kind === "deposit" && (state.status === "matched" || state.status === "reserving");

export const holdsSlot = (status: OrderStatus): boolean => SLOT_STATUSES.includes(status);
export const isFinal = (status: OrderStatus): boolean => FINAL_ORDER_STATUSES.includes(status);

const NO_EFFECTS: OrderEffects = { queueReservation: false, queueConfirm: false, freeSlot: null, acceptorOutcome: null };
const BOTH: Audience[] = ["platform", "acceptor"];

/** Applies one input. Throws OrderTransitionError when it does not apply to the status. */
export function transition(state: OrderState, input: OrderInput): Transition {
  if (input.type.startsWith("desk.")) return applyDesk(state, input);
  return applyAction(state, input);
}

function applyAction(state: OrderState, input: OrderInput): Transition {
  const refuse = (hint: string): never => {
    throw new OrderTransitionError(state.status, input.type, hint);
  };
  switch (input.type) {
    case "match": {
      if (state.status !== "created") refuse("Only a created order can be matched.");
      const matched = { ...state, status: "matched" as const, acceptorId: input.acceptorId, attempt: state.attempt + 1, reason: null };
      const events: OrderEvent[] = [{ type: "order.matched", audience: BOTH, data: { attempt: matched.attempt } }];
      if (!input.autoAccept) return { state: matched, events, effects: NO_EFFECTS };
      return { state: { ...matched, status: "reserving" }, events, effects: { ...NO_EFFECTS, queueReservation: true } };
    }
    case "accept":
      if (input.by !== "acceptor") refuse("Only the matched acceptor accepts an order.");
      if (state.status !== "matched") refuse("Accept an order while it is matched to you.");
      return { state: { ...state, status: "reserving" }, events: [], effects: { ...NO_EFFECTS, queueReservation: true } };
    case "decline":
      if (input.by !== "acceptor") refuse("Only the matched acceptor declines an order.");
      if (state.status !== "matched") refuse("Decline an order while it is matched to you, before accepting it.");
      return unmatch(state, `declined: ${input.reason}`);
    case "accept_timeout":
      if (state.status !== "matched") refuse("Only a matched order times out waiting for its acceptor.");
      return unmatch(state, "the acceptor did not accept in time");
    case "mark_paid":
      if (input.by !== fiatPayer(state.kind)) refuse(state.kind === "deposit" ? "The platform marks a deposit paid for its user." : "The acceptor marks a withdrawal paid.");
      if (state.status !== "reserved") refuse("Mark an order paid once it is reserved, and only once.");
      return { state: { ...state, status: "paid_marked" }, events: [{ type: "order.paid_marked", audience: BOTH, data: { by: input.by } }], effects: NO_EFFECTS };
    case "confirm":
      if (input.by !== fiatPayee(state.kind)) refuse(state.kind === "deposit" ? "The acceptor confirms it received the fiat." : "The platform confirms its user received the fiat.");
      if (!["reserved", "paid_marked", "disputed"].includes(state.status)) refuse("Confirm an order that is reserved, marked paid or disputed.");
      return { state: { ...state, status: "confirmed" }, events: [{ type: "order.confirmed", audience: BOTH, data: { by: input.by } }], effects: { ...NO_EFFECTS, queueConfirm: true } };
    case "fail":
      if (state.status !== "created") refuse("Only an unmatched order fails.");
      return { state: { ...state, status: "failed", reason: input.reason }, events: [{ type: "order.failed", audience: ["platform"], data: { reason: input.reason } }], effects: NO_EFFECTS };
    case "expire_unmatched":
      if (state.status !== "created") refuse("Only an unmatched order expires off chain.");
      return { state: { ...state, status: "expired", reason: "no acceptor was matched in time" }, events: [{ type: "order.expired", audience: ["platform"], data: { onChain: false } }], effects: NO_EFFECTS };
    default:
      return refuse("Unknown input.");
  }
}

/** Back to `created` without the acceptor, or failed once the attempts are used up. */
function unmatch(state: OrderState, reason: string): Transition {
  const lost = state.acceptorId;
  const excluded = lost && !state.excluded.includes(lost) ? [...state.excluded, lost] : state.excluded;
  const effects: OrderEffects = { ...NO_EFFECTS, freeSlot: "previous", acceptorOutcome: "failed" };
  const event: OrderEvent = { type: "order.rematching", audience: BOTH, data: { reason, attempt: state.attempt } };
  if (state.attempt >= MAX_MATCH_ATTEMPTS) {
    const failReason = `${reason}; no acceptor took it after ${state.attempt} attempts`;
    return {
      state: { ...state, status: "failed", acceptorId: null, excluded, reason: failReason },
      events: [{ ...event, type: "order.failed", data: { reason: failReason, attempt: state.attempt } }],
      effects,
    };
  }
  return { state: { ...state, status: "created", acceptorId: null, excluded, reason }, events: [event], effects };
}

function applyDesk(state: OrderState, input: OrderInput): Transition {
  // Desk events are facts: they apply from any live status (the chain is the truth); a final order
  // ignores them, which makes replays and duplicates harmless.
  if (isFinal(state.status)) return { state, events: [], effects: NO_EFFECTS };
  const close = (status: OrderStatus, type: OrderEventType, data: Record<string, unknown>, outcome: OrderEffects["acceptorOutcome"] = null): Transition => ({
    state: { ...state, status },
    events: [{ type, audience: BOTH, data }],
    effects: { ...NO_EFFECTS, freeSlot: ON_CHAIN_STATUSES.includes(state.status) || state.status === "reserving" ? "closed" : "previous", acceptorOutcome: outcome },
  });
  switch (input.type) {
    case "desk.reserved":
      if (ON_CHAIN_STATUSES.includes(state.status)) return { state, events: [], effects: NO_EFFECTS };
      return { state: { ...state, status: "reserved", deadline: input.deadline }, events: [{ type: "order.reserved", audience: BOTH, data: { deadline: Number(input.deadline) } }], effects: NO_EFFECTS };
    case "desk.reservation_failed":
      if (state.status !== "reserving" && state.status !== "matched") return { state, events: [], effects: NO_EFFECTS };
      return unmatch(state, `reservation failed: ${input.reason}`);
    case "desk.confirmed": {
      const released = close("released", "order.released", {}, "completed");
      // Confirmed on chain without the API: the platform still hears order.confirmed first.
      if (state.status !== "confirmed") released.events.unshift({ type: "order.confirmed", audience: BOTH, data: { by: "chain" } });
      return released;
    }
    case "desk.cancelled":
      return close("cancelled", "order.cancelled", { by: input.by ?? "chain" });
    case "desk.disputed":
      return { state: { ...state, status: "disputed", disputedAt: input.disputedAt }, events: [{ type: "order.disputed", audience: BOTH, data: { disputedAt: Number(input.disputedAt) } }], effects: NO_EFFECTS };
    case "desk.resolved": {
      const resolved = close("resolved", "order.resolved", { payeeAmount: input.payeeAmount.toString(), payerAmount: input.payerAmount.toString() });
      return { ...resolved, state: { ...resolved.state, payeeAmount: input.payeeAmount, payerAmount: input.payerAmount } };
    }
    case "desk.extended":
      return { state: { ...state, deadline: input.newDeadline }, events: [{ type: "order.extended", audience: BOTH, data: { deadline: Number(input.newDeadline) } }], effects: NO_EFFECTS };
    case "desk.expired":
      return close("expired", "order.expired", { onChain: true });
    default:
      throw new OrderTransitionError(state.status, input.type, "Unknown desk event.");
  }
}
