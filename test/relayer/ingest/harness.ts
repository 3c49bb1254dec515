import { createChainReader, type ChainReader } from "../../../relayer/src/chains/index.js";
import type { Context } from "../../../relayer/src/common/context.js";
import { RetryableError } from "../../../relayer/src/common/errors.js";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import { createIngester, type IngestChainConfig, type Ingester, type TickResult } from "../../../relayer/src/ingest/index.js";
import type { AdaptiveRange } from "../../../relayer/src/ingest/range.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { createIngestRepository, type IngestRepository } from "../../../relayer/src/store/ingest-repository.js";

/** Upper bound on ticks in one drain: a test that needs more has a bug, not a slow machine. */
const MAX_TICKS_PER_DRAIN = 200;

export interface TestIngester {
  ingester: Ingester;
  store: IngestRepository;
  reader: ChainReader;
  ctx: Context;
}

export function makeIngester(options: {
  db: Db;
  rpcUrl: string;
  chain: Omit<IngestChainConfig, "name"> & { name?: string };
  holder?: string;
  range?: AdaptiveRange;
  store?: IngestRepository;
}): TestIngester {
  const name = options.chain.name ?? "local";
  const reader = createChainReader({ name, kind: "evm", rpcUrl: options.rpcUrl, chainId: 31337, timeoutMs: 10_000 });
  const ctx: Context = { db: options.db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
  const store = options.store ?? createIngestRepository(options.db);
  const ingester = createIngester({ chain: { ...options.chain, name }, reader, store, ctx, holder: options.holder, range: options.range });
  return { ingester, store, reader, ctx };
}

/** Consecutive retryable failures drain() absorbs, as run() would (a node closing a keep-alive socket). */
const MAX_CONSECUTIVE_RETRIES = 3;

/** Ticks until the ingester is idle (caught up with the confirmed head); returns every tick's result. */
export async function drain(ingester: Ingester): Promise<TickResult[]> {
  const results: TickResult[] = [];
  let retries = 0;
  for (let i = 0; i < MAX_TICKS_PER_DRAIN; i++) {
    let result: TickResult;
    try {
      result = await ingester.tick();
      retries = 0;
    } catch (error) {
      if (!(error instanceof RetryableError) || ++retries > MAX_CONSECUTIVE_RETRIES) throw error;
      continue;
    }
    results.push(result);
    if (result.kind === "idle" || result.kind === "follower") return results;
  }
  throw new Error(`ingester not idle after ${MAX_TICKS_PER_DRAIN} ticks`);
}

/** A Db whose transactions fail right after the first statement matching `pattern` (a crash mid-commit). */
export function crashingAfter(db: Db, pattern: RegExp): Db {
  let crashed = false;
  const wrap = (inner: Db): Db => ({
    kind: inner.kind,
    exec: (sql) => inner.exec(sql),
    close: () => inner.close(),
    query: async <Row,>(sql: string, params?: readonly unknown[]) => {
      const rows = await inner.query<Row>(sql, params);
      if (!crashed && pattern.test(sql)) {
        crashed = true;
        throw new Error("process died after the raw-event insert");
      }
      return rows;
    },
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
  });
  return wrap(db);
}
