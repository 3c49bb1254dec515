import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChainReader, HeadTag } from "../chains/index.js";
import type { Context } from "../common/context.js";
import { isRetryable } from "../common/errors.js";
import type { DomainEventRow, IngestRepository, StoredBlock } from "../store/ingest-repository.js";
import type { DepositWatch } from "./deposits.js";
import type { DeskRecord } from "../domain/p2p-desk.js";
import type { Db } from "../store/db.js";
import { pollOnce } from "./poll.js";
import { createAdaptiveRange, type AdaptiveRange } from "./range.js";

/**
 * Idle wait between polls once the cursor has caught up with the confirmed head: well under a block
 * time, so an event waits at most this long before ingestion sees its block (one cheap
 * eth_blockNumber call per poll).
 */
export const POLL_INTERVAL_MS = 500;
/** How long a lease lasts without renewal: a crashed leader is replaced after at most this. */
export const LEASE_TTL_MS = 30_000;
/** Most unconfirmed blocks one tick scans for deposit sightings (early notice only; the rest waits). */
export const MAX_SIGHTING_BLOCKS = 100;
/** Block hashes kept below the cursor for walking back a reorg (plus one older anchor). */
export const REORG_WINDOW_BLOCKS = 256;
/** Backoff after failed ticks: doubles from the first value up to the cap. */
export const RETRY_BASE_MS = 1_000;
export const RETRY_MAX_MS = 60_000;

/** One chain's ingestion settings. */
export interface IngestChainConfig {
  /** Configured chain name. */
  name: string;
  /** Vault address, lower-case 0x hex (parse the configured display form with the reader). */
  vault: string;
  /** First block to read: the vault's deployment block. */
  startBlock: number;
  /** Blocks below the head before a block is ingested. TRON: 0 with the `finalized` tag. */
  confirmations: number;
  /** Head to count from. Default: "finalized" for TRON readers (solidified blocks), else "latest". */
  headTag?: HeadTag;
  /** Default: REORG_WINDOW_BLOCKS. */
  reorgWindowBlocks?: number;
  /** Default: POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** Default: LEASE_TTL_MS. */
  leaseTtlMs?: number;
  /** Most events in one commit; a denser range is cut at a block boundary. Default: MAX_EVENTS_PER_COMMIT (2,000). */
  maxEventsPerCommit?: number;
}

/** What one tick did; the runtime reacts to "block" and "reorg" (e.g. wakes the webhook dispatcher). */
export type TickResult =
  | { kind: "follower" }
  | { kind: "idle"; head: number; lastBlock: number; sightings?: number }
  | { kind: "block"; fromBlock: number; toBlock: number; events: number; domainEvents: DomainEventRow[] }
  | { kind: "reorg"; ancestor: StoredBlock; reverted: DomainEventRow[] }
  | { kind: "range_refused"; rangeBlocks: number };

export interface Ingester {
  readonly holder: string;
  /** One bounded unit of work: take/renew the lease, then read one range (or reconcile one reorg). */
  tick(): Promise<TickResult>;
  /** Ticks until `ctx.signal` aborts; resolves after releasing the lease, rejects on non-retryable errors. */
  run(): Promise<void>;
}

export interface IngesterParams {
  chain: IngestChainConfig;
  reader: ChainReader;
  store: IngestRepository;
  ctx: Context;
  /** Lease holder id. Default: host:pid:random. */
  holder?: string;
  /** Default: a fresh adaptive range. */
  range?: AdaptiveRange;
  /** Called after each committed block range or reorg. */
  onChange?: (result: TickResult) => void;
  /** P2P: the AcceptorDesk's events, applied in the transaction of the range that holds them. */
  desk?: { address: string; apply(tx: Db, records: DeskRecord[]): Promise<void> };
  /** Scan-to-pay: watch deposit addresses in confirmed ranges, and report sightings above them. */
  deposits?: DepositWatch & {
    /** Where the last sighting scan ended (null: never). */
    sightingCursor(): Promise<number | null>;
    /** Scans unconfirmed blocks `fromBlock`..`toBlock`; returns how many new sightings it reported. */
    scanSightings(range: { fromBlock: number; toBlock: number }): Promise<number>;
  };
}

export function createIngester(params: IngesterParams): Ingester {
  const { chain, reader, store, ctx } = params;
  const holder = params.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const range = params.range ?? createAdaptiveRange();
  const identity = { chain: chain.name, vault: chain.vault, formatAddress: reader.formatAddress };
  const labels = { chain: chain.name };
  const log = ctx.logger.child({ chain: chain.name, holder });

  async function tick(): Promise<TickResult> {
    if (!(await store.takeLease(chain.name, holder, chain.leaseTtlMs ?? LEASE_TTL_MS))) return { kind: "follower" };
    const cursor = await store.getCursor(chain.name);
    const polled = await pollOnce({
      reader,
      chain: chain.name,
      vault: chain.vault,
      headTag: chain.headTag ?? (reader.kind === "tron" ? "finalized" : "latest"),
      confirmations: chain.confirmations,
      startBlock: chain.startBlock,
      cursor,
      range,
      maxEventsPerCommit: chain.maxEventsPerCommit,
      rememberedBlocks: () => store.getRecentBlocks(chain.name),
      ...(params.deposits ? { deposits: params.deposits } : {}),
      ...(params.desk ? { desk: params.desk.address } : {}),
    });
    ctx.metrics.ingestHeadBlock.set(labels, polled.head);
    switch (polled.kind) {
      case "idle":
        reportCursor(polled.head, polled.lastBlock);
        return params.deposits ? { ...polled, sightings: await scanSightings(polled.lastBlock) } : polled;
      case "range_refused":
        log.warn({ range_blocks: polled.rangeBlocks }, "Provider refused the log range; shrinking it");
        return polled;
      case "reorg": {
        const result = await store.rollbackTo({ ...identity, holder, ancestor: polled.ancestor });
        ctx.metrics.ingestReorgs.inc(labels);
        log.warn(
          { ancestor_block: polled.ancestor.number, ancestor_hash: polled.ancestor.hash, reverted_events: result.reverted.length, rebuilt_subjects: result.rebuiltSubjects.length },
          "Chain reorganised; rolled back to the common ancestor",
        );
        reportCursor(polled.head, polled.ancestor.number);
        return { kind: "reorg", ancestor: polled.ancestor, reverted: result.reverted };
      }
      case "block": {
        const committed = await store.commitBlockRange({
          ...identity,
          holder,
          expectedCursor: cursor?.blockNumber ?? null,
          toBlock: polled.toBlock,
          blocks: polled.blocks,
          events: polled.events,
          depositEvents: polled.depositEvents,
          ...(params.desk && polled.deskEvents.length > 0 ? { alsoInTransaction: (tx: Db) => params.desk!.apply(tx, polled.deskEvents) } : {}),
          reorgWindowBlocks: chain.reorgWindowBlocks ?? REORG_WINDOW_BLOCKS,
        });
        for (const e of polled.events) ctx.metrics.ingestEvents.inc({ chain: chain.name, event: e.event.name });
        reportCursor(polled.head, polled.toBlock.number);
        log.debug({ from_block: polled.fromBlock, to_block: polled.toBlock.number, events: committed.events }, "Ingested block range");
        return { kind: "block", fromBlock: polled.fromBlock, toBlock: polled.toBlock.number, events: committed.events, domainEvents: committed.domainEvents };
      }
    }
  }

  /** Only once caught up: while catching up, the next range confirms these blocks anyway. */
  async function scanSightings(confirmedTo: number): Promise<number> {
    if (!params.deposits) return 0;
    const latest = await reader.getHeadBlockNumber("latest");
    const from = Math.max(confirmedTo, (await params.deposits.sightingCursor()) ?? confirmedTo) + 1;
    if (latest < from) return 0;
    return params.deposits.scanSightings({ fromBlock: from, toBlock: Math.min(latest, from + MAX_SIGHTING_BLOCKS - 1) });
  }

  function reportCursor(head: number, lastBlock: number) {
    ctx.metrics.ingestCursorBlock.set(labels, lastBlock + 1);
    ctx.metrics.ingestLagBlocks.set(labels, Math.max(0, head - lastBlock));
  }

  async function run(): Promise<void> {
    let failures = 0;
    try {
      while (!ctx.signal.aborted) {
        let delay: number;
        try {
          const result = await tick();
          failures = 0;
          if (result.kind === "block" || result.kind === "reorg") params.onChange?.(result);
          // Keep going without pause while catching up; wait once the confirmed head is reached.
          delay = result.kind === "idle" || result.kind === "follower" ? (chain.pollIntervalMs ?? POLL_INTERVAL_MS) : 0;
        } catch (error) {
          if (!isRetryable(error)) {
            log.error({ err: error }, "Ingestion stopped on an error that needs a person");
            throw error;
          }
          failures += 1;
          delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
          log.warn({ err: error, failures, retry_in_ms: delay }, "Ingestion tick failed; retrying");
        }
        await sleep(delay, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    } finally {
      await store.releaseLease(chain.name, holder).catch(() => undefined);
    }
  }

  return { holder, tick, run };
}
