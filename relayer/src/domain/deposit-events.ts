import { AbiCoder, id as topicOf } from "ethers";
import type { RawLog } from "../chains/index.js";

/**
 * The logs that tell what happened at deposit addresses (scan-to-pay): token `Transfer`s into and out
 * of the addresses ingestion watches, and the DepositRouter's events (refunds, acceptances, recoveries,
 * failed sweeps). The vault's own events (EscrowOpened, InvoiceSettled, InvoiceCancelled) say when an
 * invoice was paid; these say where every token unit at its address came from and went.
 */
export type DepositEvent =
  | { name: "TokenTransfer"; token: string; from: string; to: string; amount: bigint }
  | { name: "DepositRefunded"; invoiceId: string; depositAddress: string; token: string; to: string; amount: bigint }
  | { name: "DepositRecovered"; invoiceId: string; depositAddress: string; token: string; to: string; amount: bigint }
  | { name: "DepositAccepted"; invoiceId: string; acceptedInvoiceId: string; depositAddress: string; amount: bigint }
  | { name: "DepositSweepFailed"; invoiceId: string; reason: string };

export type DepositEventName = DepositEvent["name"];
export const DEPOSIT_EVENT_NAMES: readonly DepositEventName[] = ["TokenTransfer", "DepositRefunded", "DepositRecovered", "DepositAccepted", "DepositSweepFailed"];

/** ERC-20 `Transfer(address indexed from, address indexed to, uint256 value)`; TRC-20 uses the same topic. */
export const TRANSFER_TOPIC = topicOf("Transfer(address,address,uint256)");

const ROUTER_TOPICS = {
  DepositRefunded: topicOf("DepositRefunded(bytes32,address,address,address,uint256)"),
  DepositRecovered: topicOf("DepositRecovered(bytes32,address,address,address,uint256)"),
  DepositAccepted: topicOf("DepositAccepted(bytes32,bytes32,address,uint256)"),
  DepositSweepFailed: topicOf("DepositSweepFailed(bytes32,bytes)"),
} as const;

/** topic0 of every router event ingestion reads: one `eth_getLogs` filter position (OR-ed). */
export function routerEventTopics(): string[] {
  return Object.values(ROUTER_TOPICS);
}

const word = (hex: string, index: number) => hex.slice(2 + 64 * index, 2 + 64 * (index + 1));
const asAddress = (topicOrWord: string) => `0x${topicOrWord.slice(-40)}`.toLowerCase();
const asUint = (hexWord: string) => BigInt(`0x${hexWord}`);

/**
 * A token transfer: three topics (ERC-721 transfers have four and are ignored) and one data word.
 * Any contract's: a transfer of the wrong token to a deposit address must be seen too.
 */
export function decodeTransferLog(log: Pick<RawLog, "address" | "topics" | "data">): DepositEvent | null {
  if (log.topics[0] !== TRANSFER_TOPIC || log.topics.length !== 3 || log.data.length !== 66) return null;
  return { name: "TokenTransfer", token: log.address.toLowerCase(), from: asAddress(log.topics[1]!), to: asAddress(log.topics[2]!), amount: asUint(word(log.data, 0)) };
}

/** A DepositRouter event; anything else (or a malformed log) gives null. */
export function decodeRouterLog(log: Pick<RawLog, "topics" | "data">): DepositEvent | null {
  const [topic0, t1, t2, t3] = log.topics;
  try {
    switch (topic0) {
      case ROUTER_TOPICS.DepositRefunded:
      case ROUTER_TOPICS.DepositRecovered:
        return {
          name: topic0 === ROUTER_TOPICS.DepositRefunded ? "DepositRefunded" : "DepositRecovered",
          invoiceId: t1!.toLowerCase(),
          depositAddress: asAddress(t2!),
          token: asAddress(t3!),
          to: asAddress(word(log.data, 0)),
          amount: asUint(word(log.data, 1)),
        };
      case ROUTER_TOPICS.DepositAccepted:
        return { name: "DepositAccepted", invoiceId: t1!.toLowerCase(), acceptedInvoiceId: t2!.toLowerCase(), depositAddress: asAddress(t3!), amount: asUint(word(log.data, 0)) };
      case ROUTER_TOPICS.DepositSweepFailed: {
        const [reason] = AbiCoder.defaultAbiCoder().decode(["bytes"], log.data) as unknown as [string];
        return { name: "DepositSweepFailed", invoiceId: t1!.toLowerCase(), reason: reason.toLowerCase() };
      }
      default:
        return null;
    }
  } catch {
    return null;
  }
}

const BIGINT_FIELDS = new Set(["amount"]);

/** The event's fields as JSON (bigints as decimal strings), for the chain_events.args column. */
export function depositEventToJson(event: DepositEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event).map(([key, value]) => [key, typeof value === "bigint" ? value.toString() : value]));
}

export function depositEventFromJson(json: Record<string, unknown>): DepositEvent {
  return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, BIGINT_FIELDS.has(key) && typeof value === "string" ? BigInt(value) : value])) as DepositEvent;
}

export function isDepositEventName(name: string): name is DepositEventName {
  return (DEPOSIT_EVENT_NAMES as readonly string[]).includes(name);
}
