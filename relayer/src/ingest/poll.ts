import type { BlockHeader, ChainReader, HeadTag, RawLog } from "../chains/index.js";
import { RangeTooLargeError, RetryableError } from "../common/errors.js";
import { assignSubjects, decodeVaultLog, vaultEventTopics, type ChainEvent, type VaultEvent } from "../domain/vault-events.js";
import { readDepositLogs, toDepositEvent, type DepositChainEvent, type DepositWatch } from "./deposits.js";
import { decodeDeskLog, deskEventTopics } from "../domain/p2p-desk-logs.js";
import type { DeskEvent, DeskRecord } from "../domain/p2p-desk.js";
import type { IngestCursor, StoredBlock } from "../store/ingest-repository.js";
import type { AdaptiveRange } from "./range.js";
import { extendsCursor, findCommonAncestor } from "./reorg.js";

/** Most events one range commit holds; a denser range is cut after the block that reaches it. */
export const MAX_EVENTS_PER_COMMIT = 2_000;

/** What one poll found. Polling only detects; the ingester hands the result to the store. */
export type PollResult =
  | { kind: "idle"; head: number; lastBlock: number }
  | { kind: "block"; head: number; fromBlock: number; toBlock: BlockHeader; blocks: BlockHeader[]; events: ChainEvent[]; depositEvents: DepositChainEvent[]; deskEvents: DeskRecord[] }
  | { kind: "reorg"; head: number; ancestor: StoredBlock; orphanedFrom: number }
  | { kind: "range_refused"; head: number; rangeBlocks: number };

export interface PollParams {
  reader: ChainReader;
  chain: string;
  /** Lower-case hex vault address. */
  vault: string;
  headTag: HeadTag;
  confirmations: number;
  startBlock: number;
  cursor: IngestCursor | null;
  range: AdaptiveRange;
  /** Default: MAX_EVENTS_PER_COMMIT. */
  maxEventsPerCommit?: number;
  /** Deposit addresses to watch (scan-to-pay); absent: vault logs only. */
  deposits?: DepositWatch;
  /** The AcceptorDesk (P2P), lower-case hex; absent: no desk events. */
  desk?: string;
  /** The remembered block hashes; read only when a reorg is suspected. */
  rememberedBlocks(): Promise<StoredBlock[]>;
}

/**
 * One bounded unit of reading: the next range of confirmed blocks after the cursor, or the common
 * ancestor when the chain no longer extends the cursor's block.
 */
export async function pollOnce(p: PollParams): Promise<PollResult> {
  const head = await p.reader.getHeadBlockNumber(p.headTag);
  const safeHead = head - p.confirmations;
  const lastBlock = p.cursor?.blockNumber ?? p.startBlock - 1;
  if (safeHead <= lastBlock) return { kind: "idle", head, lastBlock };

  const fromBlock = lastBlock + 1;
  const toNumber = Math.min(safeHead, lastBlock + p.range.size());
  const first = await p.reader.getBlock(fromBlock);
  if (!extendsCursor(first, p.cursor)) {
    const ancestor = await findCommonAncestor(p.reader, await p.rememberedBlocks());
    if (ancestor.number === lastBlock) {
      // The node still has our block yet names another parent for the next one: it contradicts itself
      // (a lagging replica behind a load balancer, Hardhat's hardhat_mine). Rolling back would change nothing.
      throw new RetryableError(`${p.chain}: block ${fromBlock} does not link to block ${lastBlock}, which the node still reports; retrying`);
    }
    return { kind: "reorg", head, ancestor, orphanedFrom: ancestor.number + 1 };
  }
  const toBlock = toNumber === fromBlock ? first : await p.reader.getBlock(toNumber);
  let ours: TaggedLog[];
  try {
    ours = await readRangeLogs(p, fromBlock, toNumber);
  } catch (error) {
    if (!(error instanceof RangeTooLargeError)) throw error;
    return { kind: "range_refused", head, rangeBlocks: p.range.shrink() };
  }
  p.range.succeed();
  // A block's hash commits to all its ancestors: if `toBlock` is unchanged after the logs call, no
  // block of the range was replaced while the node answered it.
  const toAgain = toNumber === fromBlock ? first : await p.reader.getBlock(toNumber);
  if (toAgain.hash !== toBlock.hash) throw new RetryableError(`${p.chain}: block ${toNumber} changed while its logs were read; retrying`);

  const headers = new Map<number, BlockHeader>([
    [first.number, first],
    [toBlock.number, toBlock],
  ]);
  // A commit holds at most MAX_EVENTS_PER_COMMIT events (whole blocks): memory and transaction
  // size stay bounded on a busy vault. The rest of the range is read again, in a range sized to fit.
  let end = toBlock;
  const maxEvents = p.maxEventsPerCommit ?? MAX_EVENTS_PER_COMMIT;
  if (ours.length > maxEvents) {
    const cut = ours[maxEvents - 1]!.blockNumber;
    const firstLeftOut = ours.findIndex((log) => log.blockNumber > cut);
    if (firstLeftOut !== -1) ours.length = firstLeftOut;
    end = cut === toBlock.number ? toBlock : await p.reader.getBlock(cut);
    headers.set(end.number, end);
    p.range.fit(cut - fromBlock + 1);
  }
  const { events, depositEvents, deskEvents } = await decodeRange(p, ours, headers);
  // Remember the range end and every block that produced an event: enough to find the ancestor precisely.
  const remembered = new Set([end.number, ...events.map((e) => e.blockNumber), ...depositEvents.map((e) => e.blockNumber), ...deskEvents.map((e) => e.origin.blockNumber)]);
  const blocks = [...headers.values()].filter((header) => remembered.has(header.number));
  return { kind: "block", head, fromBlock, toBlock: end, blocks, events, depositEvents, deskEvents };
}

/** A log of the range with where it came from: the vault, a watched deposit address (and its invoice), the desk. */
type TaggedLog = RawLog & ({ source: "vault" } | { source: "deposit"; subjectId: string } | { source: "desk" });

/** The range's logs of every source, in (block, log index) order. RangeTooLargeError propagates. */
async function readRangeLogs(p: PollParams, fromBlock: number, toBlock: number): Promise<TaggedLog[]> {
  const range = { fromBlock, toBlock };
  // Read the watch list after the head: an invoice created later can only be paid in a later block.
  const watched = p.deposits ? await p.deposits.watched() : undefined;
  const vault = (await p.reader.getLogs({ ...range, address: p.vault, topics: [vaultEventTopics()] })).filter((log) => log.address === p.vault);
  const deposits = p.deposits && watched ? await readDepositLogs(p.reader, range, p.deposits, watched) : [];
  const desk = p.desk ? (await p.reader.getLogs({ ...range, address: p.desk, topics: [deskEventTopics()] })).filter((log) => log.address === p.desk) : [];
  return [
    ...vault.map((log) => ({ ...log, source: "vault" as const })),
    ...deposits.map((log) => ({ ...log, source: "deposit" as const })),
    ...desk.map((log) => ({ ...log, source: "desk" as const })),
  ].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

/** Decodes the range's logs, checking each one's block against its header (read once per block). */
async function decodeRange(p: PollParams, logs: readonly TaggedLog[], headers: Map<number, BlockHeader>) {
  const vault: { blockNumber: number; blockHash: string; txHash: string; logIndex: number; event: VaultEvent }[] = [];
  const deposits: Omit<DepositChainEvent, "chain" | "blockTimestamp">[] = [];
  const desk: { log: RawLog; event: DeskEvent }[] = [];
  for (const log of logs) {
    const decoded = log.source === "vault" ? decodeVaultLog(log) : log.source === "deposit" ? toDepositEvent(log, log.subjectId) : decodeDeskLog(log);
    if (!decoded) continue;
    let header = headers.get(log.blockNumber);
    if (!header) {
      header = await p.reader.getBlock(log.blockNumber);
      headers.set(header.number, header);
    }
    if (header.hash !== log.blockHash) throw new RetryableError(`${p.chain}: logs of block ${log.blockNumber} came from another fork; retrying`);
    const where = { blockNumber: log.blockNumber, blockHash: log.blockHash, txHash: log.transactionHash, logIndex: log.logIndex };
    if (log.source === "vault") vault.push({ ...where, event: decoded as VaultEvent });
    else if (log.source === "deposit") deposits.push({ ...where, ...(decoded as NonNullable<ReturnType<typeof toDepositEvent>>) });
    else desk.push({ log, event: decoded as DeskEvent });
  }
  const timeOf = (blockNumber: number) => headers.get(blockNumber)!.timestamp;
  return {
    events: assignSubjects(vault).map((e): ChainEvent => ({ ...e, chain: p.chain, blockTimestamp: timeOf(e.blockNumber) })),
    depositEvents: deposits.map((e): DepositChainEvent => ({ ...e, chain: p.chain, blockTimestamp: timeOf(e.blockNumber) })),
    deskEvents: desk.map(({ log, event }): DeskRecord => ({
      origin: { chain: p.chain, blockNumber: log.blockNumber, blockHash: log.blockHash, txHash: log.transactionHash, logIndex: log.logIndex, blockTimestamp: timeOf(log.blockNumber) },
      event,
    })),
  };
}
