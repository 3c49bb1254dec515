import type { BlockHeader, ChainReader, HeadTag, RawLog } from "../chains/index.js";
import { RangeTooLargeError, RetryableError } from "../common/errors.js";
import { assignSubjects, decodeVaultLog, vaultEventTopics, type ChainEvent, type VaultEvent } from "../domain/vault-events.js";
import { readDepositLogs, toDepositEvent, type DepositChainEvent, type DepositWatch } from "./deposits.js";
import { decodeDeskLog, deskEventTopics } from "../domain/p2p-desk-logs.js";
import type { DeskRecord } from "../domain/p2p-desk.js";
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
  let logs;
  let depositLogs: (RawLog & { subjectId?: string })[];
  try {
    // Read the watch list after the head: an invoice created later can only be paid in a later block.
    const watched = p.deposits ? await p.deposits.watched() : undefined;
    logs = await p.reader.getLogs({ fromBlock, toBlock: toNumber, address: p.vault, topics: [vaultEventTopics()] });
    depositLogs = p.deposits && watched ? await readDepositLogs(p.reader, { fromBlock, toBlock: toNumber }, p.deposits, watched) : [];
    if (p.desk) depositLogs.push(...(await p.reader.getLogs({ fromBlock, toBlock: toNumber, address: p.desk, topics: [deskEventTopics()] })).filter((log) => log.address === p.desk));
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
  const ours: (RawLog & { subjectId?: string })[] = [...logs.filter((log) => log.address === p.vault), ...depositLogs].sort(
    (a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex,
  );
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
  const decoded: { blockNumber: number; blockHash: string; txHash: string; logIndex: number; event: VaultEvent }[] = [];
  const depositDecoded: Omit<DepositChainEvent, "chain" | "blockTimestamp">[] = [];
  const deskDecoded: { log: RawLog; event: NonNullable<ReturnType<typeof decodeDeskLog>> }[] = [];
  for (const log of ours) {
    const deskEvent = p.desk !== undefined && log.address === p.desk && log.subjectId === undefined ? decodeDeskLog(log) : null;
    const depositEvent = log.subjectId === undefined ? null : toDepositEvent(log, log.subjectId);
    const event = depositEvent || deskEvent || log.address !== p.vault ? null : decodeVaultLog(log);
    if (!event && !depositEvent && !deskEvent) continue;
    let header = headers.get(log.blockNumber);
    if (!header) {
      header = await p.reader.getBlock(log.blockNumber);
      headers.set(header.number, header);
    }
    if (header.hash !== log.blockHash) throw new RetryableError(`${p.chain}: logs of block ${log.blockNumber} came from another fork; retrying`);
    const where = { blockNumber: log.blockNumber, blockHash: log.blockHash, txHash: log.transactionHash, logIndex: log.logIndex };
    if (depositEvent) depositDecoded.push({ ...where, ...depositEvent });
    else if (deskEvent) deskDecoded.push({ log, event: deskEvent });
    else decoded.push({ ...where, event: event! });
  }
  const events: ChainEvent[] = assignSubjects(decoded).map((e) => ({ ...e, chain: p.chain, blockTimestamp: headers.get(e.blockNumber)!.timestamp }));
  const depositEvents: DepositChainEvent[] = depositDecoded.map((e) => ({ ...e, chain: p.chain, blockTimestamp: headers.get(e.blockNumber)!.timestamp }));
  // Remember the range end and every block that produced an event: enough to find the ancestor precisely.
  const deskEvents: DeskRecord[] = deskDecoded.map(({ log, event }) => ({
    origin: { chain: p.chain, blockNumber: log.blockNumber, blockHash: log.blockHash, txHash: log.transactionHash, logIndex: log.logIndex, blockTimestamp: headers.get(log.blockNumber)!.timestamp },
    event,
  }));
  const remembered = new Set([end.number, ...events.map((e) => e.blockNumber), ...depositEvents.map((e) => e.blockNumber), ...deskEvents.map((e) => e.origin.blockNumber)]);
  const blocks = [...headers.values()].filter((header) => remembered.has(header.number));
  return { kind: "block", head, fromBlock, toBlock: end, blocks, events, depositEvents, deskEvents };
}
