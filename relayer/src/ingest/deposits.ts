import type { ChainReader, RawLog } from "../chains/index.js";
import { decodeRouterLog, decodeTransferLog, routerEventTopics, TRANSFER_TOPIC, type DepositEvent } from "../domain/deposit-events.js";
import type { DepositSighting } from "../store/deposits-repository.js";

/**
 * What ingestion reads for deposit addresses besides the vault's logs: the DepositRouter's events, and
 * token transfers into and out of the watched addresses, of any token (a wrong token must be seen
 * too). Read for the same confirmed range and committed in the same transaction as the vault's logs.
 */

/** Addresses per `eth_getLogs` topic list: providers cap filter sizes; a few thousand watched addresses cost a few calls. */
export const WATCHED_ADDRESSES_PER_FILTER = 500;

export interface DepositWatch {
  /** The DepositRouter, lower-case hex. */
  router: string;
  /** Watched deposit addresses (lower-case hex) -> invoice id; read once per range. */
  watched(): Promise<Map<string, string>>;
}

/** A deposit log as ingestion commits it, with the invoice it belongs to. */
export interface DepositChainEvent {
  chain: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  txHash: string;
  logIndex: number;
  subjectId: string;
  event: DepositEvent;
}

const asTopic = (address: string) => `0x${address.slice(2).padStart(64, "0")}`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The range's router logs and the transfers touching watched addresses, each tagged with its invoice
 * (`subjectId`). A transfer between two watched addresses is kept under both. RangeTooLargeError
 * propagates: the caller shrinks the range as for vault logs.
 */
export async function readDepositLogs(
  reader: ChainReader,
  range: { fromBlock: number; toBlock: number },
  watch: DepositWatch,
  watched: Map<string, string>,
): Promise<(RawLog & { subjectId: string })[]> {
  const out: (RawLog & { subjectId: string })[] = [];
  for (const log of await reader.getLogs({ ...range, address: watch.router, topics: [routerEventTopics()] })) {
    const event = decodeRouterLog(log);
    if (event && "invoiceId" in event) out.push({ ...log, subjectId: event.invoiceId });
  }
  const seen = new Set<string>();
  for (const batch of chunks([...watched.keys()], WATCHED_ADDRESSES_PER_FILTER)) {
    const topics = batch.map(asTopic);
    const incoming = await reader.getLogs({ ...range, topics: [TRANSFER_TOPIC, null, topics] });
    const outgoing = await reader.getLogs({ ...range, topics: [TRANSFER_TOPIC, topics] });
    for (const log of [...incoming, ...outgoing]) {
      const event = decodeTransferLog(log);
      if (!event || event.name !== "TokenTransfer") continue;
      for (const address of [event.to, event.from]) {
        const invoiceId = watched.get(address);
        const key = `${log.transactionHash}:${log.logIndex}:${invoiceId}`;
        if (invoiceId === undefined || seen.has(key)) continue;
        seen.add(key);
        out.push({ ...log, subjectId: invoiceId });
      }
    }
  }
  return out;
}

/** Decodes a log `readDepositLogs` returned. */
export function toDepositEvent(log: RawLog, subjectId: string): { subjectId: string; event: DepositEvent } | null {
  const event = log.topics[0] === TRANSFER_TOPIC ? decodeTransferLog(log) : decodeRouterLog(log);
  return event ? { subjectId, event } : null;
}

/**
 * Transfers of each watched invoice's token into its address in blocks not yet confirmed
 * (`fromBlock`..`toBlock`, usually the safe head + 1 up to the head): early notice only.
 */
export async function readSightings(
  reader: ChainReader,
  range: { fromBlock: number; toBlock: number },
  watched: Map<string, { invoiceId: string; token: string }>,
): Promise<DepositSighting[]> {
  const sightings: DepositSighting[] = [];
  for (const batch of chunks([...watched.keys()], WATCHED_ADDRESSES_PER_FILTER)) {
    const tokens = [...new Set(batch.map((address) => watched.get(address)!.token))];
    for (const log of await reader.getLogs({ ...range, address: tokens, topics: [TRANSFER_TOPIC, null, batch.map(asTopic)] })) {
      const event = decodeTransferLog(log);
      const deposit = event?.name === "TokenTransfer" ? watched.get(event.to) : undefined;
      if (!event || event.name !== "TokenTransfer" || !deposit || deposit.token !== event.token) continue;
      sightings.push({ txHash: log.transactionHash, logIndex: log.logIndex, blockNumber: log.blockNumber, invoiceId: deposit.invoiceId, from: event.from, amount: event.amount });
    }
  }
  return sightings;
}
