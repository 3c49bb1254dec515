/**
 * The AcceptorDesk's events (the binding shapes of docs/p2p.md, "Events") as the relayer ingests
 * them, and what each does to an acceptor's free balance. Pure: ingestion decodes logs into these,
 * `p2p/desk.ts` applies them to the store.
 */

export type DeskOrderKind = "deposit" | "withdrawal";

/** `Order` of the desk, addresses lower-case 0x hex. */
export interface DeskOrder {
  orderId: string;
  kind: DeskOrderKind;
  token: string;
  acceptor: string;
  platform: string;
  beneficiary: string;
  arbiter: string;
  amount: bigint;
  deadline: bigint;
  disputedAt: bigint;
}

/** Where a desk event came from; the outbox ids of its webhooks derive from it. */
export interface DeskEventOrigin {
  chain: string;
  blockNumber: number;
  blockHash: string;
  txHash: string;
  logIndex: number;
  /** Block time, unix seconds. */
  blockTimestamp: number;
}

export type DeskEvent =
  | { name: "LiquidityDeposited"; acceptor: string; token: string; amount: bigint }
  | { name: "LiquidityWithdrawn"; acceptor: string; token: string; to: string; amount: bigint }
  /** A Deposit reservation. The desk logs the order's hash, not the order: the relayer that signed it knows it. */
  | { name: "OrderReserved"; orderId: string; acceptor: string; platform: string; slot: bigint; orderHash: string }
  | { name: "OrderOpened"; orderId: string; acceptor: string; platform: string; slot: bigint; order: DeskOrder }
  | { name: "ReservationFailed"; orderId: string; acceptor: string; reason: string }
  | { name: "OrderConfirmed"; orderId: string; acceptor: string; slot: bigint; by: string }
  | { name: "OrderCancelled"; orderId: string; acceptor: string; slot: bigint; by: string }
  | { name: "OrderDisputed"; orderId: string; acceptor: string; slot: bigint; by: string; disputedAt: bigint }
  | { name: "OrderResolved"; orderId: string; acceptor: string; slot: bigint; payeeAmount: bigint; payerAmount: bigint }
  | { name: "OrderDeadlineExtended"; orderId: string; acceptor: string; slot: bigint; newDeadline: bigint }
  | { name: "OrderExpired"; orderId: string; acceptor: string; slot: bigint };

/**
 * A desk event with its origin. `slotContent` is the slot's content on chain after the event (the
 * order hash after a reservation, the tombstone after a close) when ingestion knows it; without it
 * a closed slot is not reused until its content is known (a new slot is opened instead).
 */
export interface DeskRecord {
  origin: DeskEventOrigin;
  event: DeskEvent;
  slotContent?: string;
}

export type DeskOrderEvent = Extract<DeskEvent, { orderId: string }>;

export const isOrderEvent = (event: DeskEvent): event is DeskOrderEvent => "orderId" in event;

/**
 * The change of the acceptor's on-chain free balance an event makes, per the desk's table: a
 * deposit reservation takes from it; a deposit refund (cancel, expiry, the payer's share of a
 * resolution) gives back; a withdrawal's release (or the payee's share of its resolution) credits
 * it. `order` is the relayer's order for order events (kind and amount); null when unknown.
 */
export function freeBalanceDelta(event: DeskEvent, order: { kind: DeskOrderKind; amount: bigint } | null): bigint {
  switch (event.name) {
    case "LiquidityDeposited":
      return event.amount;
    case "LiquidityWithdrawn":
      return -event.amount;
    case "OrderReserved":
      // Another relayer's reservation states no amount: its balance is reconciled with setFreeBalance.
      return order ? -order.amount : 0n;
    case "OrderConfirmed":
      return order?.kind === "withdrawal" ? order.amount : 0n;
    case "OrderCancelled":
    case "OrderExpired":
      return order?.kind === "deposit" ? order.amount : 0n;
    case "OrderResolved":
      return order?.kind === "deposit" ? event.payerAmount : order?.kind === "withdrawal" ? event.payeeAmount : 0n;
    default:
      return 0n;
  }
}
