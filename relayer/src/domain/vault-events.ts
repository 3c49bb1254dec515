import { Interface, type EventFragment, type LogDescription } from "ethers";
import { EscrowVault__factory } from "../../../typechain-types/index.js";
import type { RawLog } from "../chains/index.js";

/** The Solidity enum TimeoutAction, by name. */
export type TimeoutAction = "release" | "refund";

/** The vault events the ingester derives state from, decoded; addresses are lower-case 0x hex. */
export type VaultEvent =
  | {
      name: "EscrowOpened";
      escrowId: string;
      payer: string;
      payee: string;
      token: string;
      arbiter: string;
      amount: bigint;
      payBy: bigint;
      deadline: bigint;
      feeBps: number;
      timeoutAction: TimeoutAction;
      merchantReference: string;
    }
  | { name: "InvoiceSettled"; invoiceId: string; payer: string; merchant: string; token: string; amount: bigint; fee: bigint; merchantReference: string }
  | { name: "InvoiceCancelled"; invoiceId: string; merchant: string }
  | { name: "EscrowReleased"; escrowId: string; amount: bigint; fee: bigint }
  | { name: "EscrowRefunded"; escrowId: string; amount: bigint }
  | { name: "EscrowDisputed"; escrowId: string; disputant: string }
  | { name: "EscrowResolved"; escrowId: string; payeeAmount: bigint; fee: bigint; payerAmount: bigint }
  | { name: "EscrowDeadlineExtended"; escrowId: string; previousDeadline: bigint; newDeadline: bigint }
  | { name: "EscrowTimedOut"; escrowId: string; action: TimeoutAction; amount: bigint; fee: bigint }
  | { name: "PayoutDeferred"; recipient: string; token: string; amount: bigint }
  | { name: "PayoutClaimed"; recipient: string; token: string; to: string; amount: bigint };

export type VaultEventName = VaultEvent["name"];

/** A decoded event where it happened. Blocks are identified by hash: a reorg replaces them. */
export interface ChainEvent {
  chain: string;
  blockNumber: number;
  blockHash: string;
  /** Unix seconds; EscrowDisputed records it as the escrow's `disputedAt`. */
  blockTimestamp: number;
  txHash: string;
  logIndex: number;
  /** The invoice/escrow id this event belongs to (see `assignSubjects`). */
  subjectId: string;
  event: VaultEvent;
}

export const VAULT_EVENT_NAMES: readonly VaultEventName[] = [
  "EscrowOpened",
  "InvoiceSettled",
  "InvoiceCancelled",
  "EscrowReleased",
  "EscrowRefunded",
  "EscrowDisputed",
  "EscrowResolved",
  "EscrowDeadlineExtended",
  "EscrowTimedOut",
  "PayoutDeferred",
  "PayoutClaimed",
];

const BIGINT_FIELDS = new Set(["amount", "fee", "payBy", "deadline", "payeeAmount", "payerAmount", "previousDeadline", "newDeadline"]);

let vaultInterface: Interface | undefined;
function vault(): Interface {
  // The typechain interface is typed against ethers' CommonJS build; build ours from the ABI instead.
  vaultInterface ??= new Interface(EscrowVault__factory.abi);
  return vaultInterface;
}

/** topic0 of every event in VAULT_EVENT_NAMES: one `eth_getLogs` filter position (OR-ed). */
export function vaultEventTopics(): string[] {
  return VAULT_EVENT_NAMES.map((name) => vault().getEvent(name)!.topicHash.toLowerCase());
}

let fragmentsByTopic: Map<string, EventFragment> | undefined;
function fragmentOf(topic0: string | undefined): EventFragment | undefined {
  fragmentsByTopic ??= new Map(VAULT_EVENT_NAMES.map((name) => [vault().getEvent(name)!.topicHash.toLowerCase(), vault().getEvent(name)!]));
  return topic0 === undefined ? undefined : fragmentsByTopic.get(topic0.toLowerCase());
}

/** Decodes a vault log; admin events (fees, allowlist, signers…), foreign and malformed logs give null. */
export function decodeVaultLog(log: Pick<RawLog, "topics" | "data">): VaultEvent | null {
  const fragment = fragmentOf(log.topics[0]);
  if (!fragment) return null;
  const words = fragment.inputs.every((input) => STATIC_WORD.test(input.type)) ? decodeStaticWords(fragment, log) : decodeWithAbiCoder(log);
  if (!words) return null;
  const out: Record<string, unknown> = { name: fragment.name };
  fragment.inputs.forEach((input, i) => {
    out[input.name] = normalizeArg(input.name, input.type, words[i]);
  });
  return out as VaultEvent;
}

/** ABI types that occupy exactly one 32-byte word, in the data or as a topic. */
const STATIC_WORD = /^(address|bytes32|uint(8|16|32|48|64|128|256)|bool)$/;
const HEX_WORD = /^[0-9a-fA-F]{64}$/;

/**
 * Every vault event has only one-word fields, so each is a topic or the next 32 bytes of data.
 * Reading them directly skips ethers' generic decoder, whose EIP-55 checksum of every address (a
 * keccak each, in JavaScript) dominated ingestion. Values are checked as strictly as ethers checks
 * them: a word with bits set beyond its type makes the log undecodable.
 */
function decodeStaticWords(fragment: EventFragment, log: Pick<RawLog, "topics" | "data">): unknown[] | null {
  const data = log.data.startsWith("0x") ? log.data.slice(2) : log.data;
  let topic = 1;
  let word = 0;
  const values: unknown[] = [];
  for (const input of fragment.inputs) {
    const hex = input.indexed ? log.topics[topic++]?.slice(2) : data.slice(64 * word, 64 * ++word);
    if (hex === undefined || !HEX_WORD.test(hex)) return null;
    const value = wordValue(input.type, hex);
    if (value === null) return null;
    values.push(value);
  }
  return topic === log.topics.length ? values : null;
}

function wordValue(type: string, hex: string): unknown {
  if (type === "bytes32") return `0x${hex}`;
  const number = BigInt(`0x${hex}`);
  if (type === "address") return number >> 160n === 0n ? `0x${hex.slice(24)}` : null;
  if (type === "bool") return number <= 1n ? number === 1n : null;
  const bits = BigInt(type.slice("uint".length));
  return number >> bits === 0n ? number : null;
}

function decodeWithAbiCoder(log: Pick<RawLog, "topics" | "data">): unknown[] | null {
  let parsed: LogDescription | null;
  try {
    parsed = vault().parseLog({ topics: log.topics, data: log.data });
  } catch {
    return null;
  }
  return parsed ? [...parsed.args] : null;
}

function normalizeArg(name: string, type: string, value: unknown): unknown {
  if (type === "address" || type === "bytes32") return String(value).toLowerCase();
  if (name === "timeoutAction" || name === "action") return Number(value) === 0 ? "release" : "refund";
  if (name === "feeBps") return Number(value);
  return value;
}

/** The event's fields as JSON (bigints as decimal strings), for the chain_events.args column. */
export function vaultEventToJson(event: VaultEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event).map(([key, value]) => [key, typeof value === "bigint" ? value.toString() : value]));
}

export function vaultEventFromJson(json: Record<string, unknown>): VaultEvent {
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [key, BIGINT_FIELDS.has(key) && typeof value === "string" ? BigInt(value) : value]),
  ) as VaultEvent;
}

/**
 * The subject of each event, in log order. Escrow and invoice events carry their id. A
 * PayoutDeferred follows the release/refund/resolve/timeout/settlement that caused it in the same
 * transaction, so it belongs to that subject; claims belong to "payout:<recipient>:<token>".
 */
export function subjectOf(event: VaultEvent, previousInSameTx: string | undefined): string {
  switch (event.name) {
    case "EscrowOpened":
    case "EscrowReleased":
    case "EscrowRefunded":
    case "EscrowDisputed":
    case "EscrowResolved":
    case "EscrowDeadlineExtended":
    case "EscrowTimedOut":
      return event.escrowId;
    case "InvoiceSettled":
    case "InvoiceCancelled":
      return event.invoiceId;
    case "PayoutDeferred":
      return previousInSameTx ?? `payout:${event.recipient}:${event.token}`;
    case "PayoutClaimed":
      return `payout:${event.recipient}:${event.token}`;
  }
}

/** Attaches subjects to logs sorted by (block, log index). */
export function assignSubjects<T extends { txHash: string; event: VaultEvent }>(items: T[]): (T & { subjectId: string })[] {
  const lastSubjectByTx = new Map<string, string>();
  return items.map((item) => {
    const subjectId = subjectOf(item.event, lastSubjectByTx.get(item.txHash));
    if (!subjectId.startsWith("payout:")) lastSubjectByTx.set(item.txHash, subjectId);
    return { ...item, subjectId };
  });
}
