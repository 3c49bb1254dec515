import { Interface, type LogDescription } from "ethers";
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

/** Decodes a vault log; admin events (fees, allowlist, signers…) and foreign logs give null. */
export function decodeVaultLog(log: Pick<RawLog, "topics" | "data">): VaultEvent | null {
  let parsed: LogDescription | null;
  try {
    parsed = vault().parseLog({ topics: log.topics, data: log.data });
  } catch {
    return null;
  }
  if (!parsed || !(VAULT_EVENT_NAMES as readonly string[]).includes(parsed.name)) return null;
  const out: Record<string, unknown> = { name: parsed.name };
  parsed.fragment.inputs.forEach((input, i) => {
    out[input.name] = normalizeArg(input.name, input.type, parsed.args[i]);
  });
  return out as VaultEvent;
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
