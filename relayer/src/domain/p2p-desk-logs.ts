import { Interface, type LogDescription } from "ethers";
import { AcceptorDesk__factory } from "../../../typechain-types/index.js";
import type { RawLog } from "../chains/index.js";
import type { DeskEvent, DeskOrder } from "./p2p-desk.js";

/**
 * Decodes the AcceptorDesk's logs into the shapes `p2p/desk.ts` applies (domain/p2p-desk.ts).
 * Events the relayer does not act on (trust, nonces, payouts) decode to null.
 */

const DESK_EVENT_NAMES = [
  "LiquidityDeposited",
  "LiquidityWithdrawn",
  "OrderReserved",
  "OrderOpened",
  "ReservationFailed",
  "OrderConfirmed",
  "OrderCancelled",
  "OrderDisputed",
  "OrderResolved",
  "OrderDeadlineExtended",
  "OrderExpired",
] as const;

let deskInterface: Interface | undefined;
function desk(): Interface {
  // Built from the ABI: typechain's interface is typed against ethers' CommonJS build.
  deskInterface ??= new Interface(AcceptorDesk__factory.abi);
  return deskInterface;
}

/** topic0 of every desk event ingestion reads: one `eth_getLogs` filter position (OR-ed). */
export function deskEventTopics(): string[] {
  return DESK_EVENT_NAMES.map((name) => desk().getEvent(name)!.topicHash.toLowerCase());
}

const hex = (value: unknown) => String(value).toLowerCase();

function orderOf(struct: LogDescription["args"][number]): DeskOrder {
  const o = struct as Record<string, unknown>;
  return {
    orderId: hex(o.orderId),
    kind: Number(o.kind) === 0 ? "deposit" : "withdrawal",
    token: hex(o.token),
    acceptor: hex(o.acceptor),
    platform: hex(o.platform),
    beneficiary: hex(o.beneficiary),
    arbiter: hex(o.arbiter),
    amount: BigInt(o.amount as bigint),
    deadline: BigInt(o.deadline as bigint),
    disputedAt: BigInt(o.disputedAt as bigint),
  };
}

export function decodeDeskLog(log: Pick<RawLog, "topics" | "data">): DeskEvent | null {
  let parsed: LogDescription | null;
  try {
    parsed = desk().parseLog({ topics: log.topics, data: log.data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  const a = parsed.args;
  switch (parsed.name) {
    case "LiquidityDeposited":
      return { name: parsed.name, acceptor: hex(a.acceptor), token: hex(a.token), amount: BigInt(a.amount) };
    case "LiquidityWithdrawn":
      return { name: parsed.name, acceptor: hex(a.acceptor), token: hex(a.token), to: hex(a.to), amount: BigInt(a.amount) };
    case "OrderReserved":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), platform: hex(a.platform), slot: BigInt(a.slot), orderHash: hex(a.orderHash) };
    case "OrderOpened":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), platform: hex(a.platform), slot: BigInt(a.slot), order: orderOf(a.order) };
    case "ReservationFailed":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), reason: hex(a.reason) };
    case "OrderConfirmed":
    case "OrderCancelled":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), slot: BigInt(a.slot), by: hex(a.by) };
    case "OrderDisputed":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), slot: BigInt(a.slot), by: hex(a.by), disputedAt: BigInt(a.disputedAt) };
    case "OrderResolved":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), slot: BigInt(a.slot), payeeAmount: BigInt(a.payeeAmount), payerAmount: BigInt(a.payerAmount) };
    case "OrderDeadlineExtended":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), slot: BigInt(a.slot), newDeadline: BigInt(a.newDeadline) };
    case "OrderExpired":
      return { name: parsed.name, orderId: hex(a.orderId), acceptor: hex(a.acceptor), slot: BigInt(a.slot) };
    default:
      return null;
  }
}
