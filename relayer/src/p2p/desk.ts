import { freeBalanceDelta, isOrderEvent, type DeskOrderEvent, type DeskRecord } from "../domain/p2p-desk.js";
import type { OrderInput } from "../domain/p2p-order.js";
import type { Db } from "../store/db.js";
import type { UnnumberedEvent } from "../store/outbox-rows.js";
import { addFreeBalances } from "../store/p2p-acceptors-repository.js";
import { persistTransitions, selectOrdersForUpdate, type AuditEntry, type OrderChange, type P2pOrderRow } from "../store/p2p-orders-repository.js";
import { applySteps, byChain, hexAddresses, type AddressFormatter, type Step } from "./transitions.js";

/**
 * Applies the desk's events to the store in the caller's transaction: free balances, order
 * transitions with their webhooks and audit entries. Ingestion calls it with the events of a
 * committed range, in log order, inside the transaction that moves its cursor, so they are applied
 * exactly once (the same contract as the vault's events).
 */

export interface DeskApplyResult {
  /** Order transitions written. */
  transitions: number;
  /** Order events for ids this relayer does not know (another relayer's, or before its start). */
  unknownOrders: string[];
  /** Liquidity rows changed. */
  liquidityChanges: number;
}

/** The state-machine input for an order event; `by` tells the acceptor from the platform's side. */
function inputOf(event: DeskOrderEvent, order: P2pOrderRow): OrderInput | null {
  switch (event.name) {
    case "OrderReserved":
      // The deadline is the one the relayer signed, recorded on the order when it sent the batch.
      return { type: "desk.reserved", deadline: order.deadline ?? 0n };
    case "OrderOpened":
      return { type: "desk.reserved", deadline: event.order.deadline };
    case "ReservationFailed":
      return { type: "desk.reservation_failed", reason: event.reason };
    case "OrderConfirmed":
      return { type: "desk.confirmed" };
    case "OrderCancelled":
      return { type: "desk.cancelled", by: event.by === order.acceptorAddress ? "acceptor" : "platform" };
    case "OrderDisputed":
      return { type: "desk.disputed", disputedAt: event.disputedAt };
    case "OrderResolved":
      return { type: "desk.resolved", payeeAmount: event.payeeAmount, payerAmount: event.payerAmount };
    case "OrderDeadlineExtended":
      return { type: "desk.extended", newDeadline: event.newDeadline };
    case "OrderExpired":
      return { type: "desk.expired" };
    default:
      return null;
  }
}

export async function applyDeskEvents(tx: Db, records: readonly DeskRecord[], options: { now?: Date; format?: AddressFormatter } = {}): Promise<DeskApplyResult> {
  const now = options.now ?? new Date();
  const format = options.format ?? hexAddresses;
  const orderIds = [...new Set(records.map((r) => r.event).filter(isOrderEvent).map((e) => e.orderId.toLowerCase()))];
  const orders = new Map((await selectOrdersForUpdate(tx, orderIds)).map((o) => [o.orderId, o]));
  const steps = new Map<string, Step[]>();
  const deltas: { chain: string; address: string; token: string; delta: bigint }[] = [];
  const unknown = new Set<string>();
  for (const record of records) {
    const { event, origin } = record;
    const order = isOrderEvent(event) ? orders.get(event.orderId.toLowerCase()) : undefined;
    if (isOrderEvent(event) && !order) {
      unknown.add(event.orderId.toLowerCase());
      // A reservation states its amount and token: the balance follows the chain even for unknown orders.
      if (event.name === "OrderOpened") deltas.push({ chain: origin.chain, address: event.acceptor, token: event.order.token, delta: freeBalanceDelta(event, null) });
      continue;
    }
    const token = order?.token ?? ("token" in event ? event.token : event.name === "OrderOpened" ? event.order.token : null);
    if (token) deltas.push({ chain: origin.chain, address: event.acceptor, token, delta: freeBalanceDelta(event, order ?? null) });
    if (!order || !isOrderEvent(event)) continue;
    const input = inputOf(event, order);
    if (!input) continue;
    const list = steps.get(order.orderId) ?? [];
    list.push({
      input,
      ...(record.slotContent !== undefined ? { slotContent: record.slotContent } : {}),
      decision: input.type,
      detail: { event: event.name, chain: origin.chain, block: origin.blockNumber, txHash: origin.txHash, logIndex: origin.logIndex },
    });
    steps.set(order.orderId, list);
  }
  const changes: OrderChange[] = [];
  const audit: AuditEntry[] = [];
  const events = new Map<string, UnnumberedEvent[]>();
  for (const [orderId, orderSteps] of steps) {
    const order = orders.get(orderId)!;
    const applied = applySteps(order, orderSteps, { now, format });
    if (applied.change.after === order) continue;
    changes.push(applied.change);
    audit.push(...applied.audit);
    byChain(order.chain, applied.events, events);
  }
  // Order transitions (acceptor rows, then liquidity) before the free balances: the lock order the engine uses.
  await persistTransitions(tx, changes, audit, events);
  await addFreeBalances(tx, deltas);
  return { transitions: changes.length, unknownOrders: [...unknown], liquidityChanges: deltas.filter((d) => d.delta !== 0n).length };
}
