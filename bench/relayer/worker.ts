/**
 * One relayer part of the benchmark in a process of its own, started by bench/relayer/phases.ts.
 * Alone in its process, the part's peak RSS is the relayer's, not the benchmark's (invoice signing,
 * the receiver, the block watcher stay in the parent). Each part runs with the same code and
 * defaults as relayer/src/runtime.ts.
 *
 * Protocol: argv[2] is a WorkerJob as JSON. The worker prints `{"ready":…}` once it is running and,
 * last, `{"result":…,"peakRssMb":…}`. SIGTERM stops a part that runs until told (`relay`).
 */
import { createChainReader } from "../../relayer/src/chains/index.js";
import { createEvmWriter } from "../../relayer/src/chains/evm-writer.js";
import type { Context } from "../../relayer/src/common/context.js";
import { RetryableError } from "../../relayer/src/common/errors.js";
import { silentLogger } from "../../relayer/src/common/logger.js";
import { createMetrics } from "../../relayer/src/common/metrics.js";
import { createIngester } from "../../relayer/src/ingest/index.js";
import { openDb, type Db } from "../../relayer/src/store/db.js";
import { createIngestRepository } from "../../relayer/src/store/ingest-repository.js";
import { createTimeoutsRepository } from "../../relayer/src/store/timeouts-repository.js";
import { createTimeoutDriver } from "../../relayer/src/timeouts/index.js";
import { createWebhookDispatcher } from "../../relayer/src/webhooks/index.js";
import { ESCROW_TIMED_OUT_TOPIC, accountKey, countLogs, rpcBatch } from "./chain.js";

export const CHAIN = "bench";
/** Every part ends after this, finished or not. */
export const PHASE_MAX_MS = 10 * 60_000;
/** Ticks of one catch-up: far more than 20,000 events packed 400 to a block need. */
const MAX_INGEST_TICKS = 10_000;
const MAX_CONSECUTIVE_RETRIES = 5;
const CHECK_INTERVAL_MS = 100;
const RSS_SAMPLE_MS = 100;

/** Where the chain and the vault are: plain data, so it crosses the process boundary as JSON. */
export interface BenchTarget {
  nodeUrl: string;
  chainId: string;
  vault: string;
  deployBlock: number;
}

export type WorkerJob = { db: { databaseUrl?: string; dataDir?: string }; target: BenchTarget } & (
  | { part: "ingest" }
  | { part: "deliver"; expected: number }
  | { part: "timeouts"; due: number; fromBlock: number }
  | { part: "relay"; startBlock: number; confirmations: number; pollIntervalMs?: number }
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

function contextFor(db: Db, signal: AbortSignal): Context {
  return { db, logger: silentLogger(), metrics: createMetrics(), signal };
}

const readerFor = (target: BenchTarget) => createChainReader({ name: CHAIN, kind: "evm", rpcUrl: target.nodeUrl, chainId: Number(target.chainId) });

/** Catches an ingester up from the vault's deployment block to the head (confirmations 0). */
async function ingest(db: Db, target: BenchTarget) {
  const reader = readerFor(target);
  const ingester = createIngester({
    chain: { name: CHAIN, vault: target.vault, startBlock: target.deployBlock, confirmations: 0 },
    reader,
    store: createIngestRepository(db),
    ctx: contextFor(db, new AbortController().signal),
    holder: "bench",
  });
  say({ ready: Date.now() });
  const started = performance.now();
  let events = 0;
  let domainEvents = 0;
  let retries = 0;
  try {
    for (let i = 0; i < MAX_INGEST_TICKS && performance.now() - started < PHASE_MAX_MS; i++) {
      try {
        const result = await ingester.tick();
        retries = 0;
        if (result.kind === "block") {
          events += result.events;
          domainEvents += result.domainEvents.length;
        }
        if (result.kind === "idle") return { events, domainEvents, seconds: (performance.now() - started) / 1000 };
      } catch (error) {
        if (!(error instanceof RetryableError) || ++retries > MAX_CONSECUTIVE_RETRIES) throw error;
      }
    }
    throw new Error(`ingestion did not catch up within ${MAX_INGEST_TICKS} ticks or ${PHASE_MAX_MS / 60_000} min (${events} events so far)`);
  } finally {
    await reader.close();
  }
}

/** Runs `loops` until `done()` (or SIGTERM, or PHASE_MAX_MS), then aborts them and waits for them. */
async function runUntil(db: Db, loops: (ctx: Context) => Promise<void>[], done: () => Promise<boolean>): Promise<{ startedAt: number }> {
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort());
  const startedAt = Date.now();
  const running = loops(contextFor(db, controller.signal));
  say({ ready: startedAt });
  try {
    while (!controller.signal.aborted && !(await done())) {
      if (Date.now() - startedAt > PHASE_MAX_MS) throw new Error(`not finished after ${PHASE_MAX_MS / 60_000} min`);
      await sleep(CHECK_INTERVAL_MS);
    }
  } finally {
    controller.abort();
    await Promise.allSettled(running);
  }
  return { startedAt };
}

/** One dispatcher, as the runtime runs it, until `expected` deliveries have succeeded. */
async function deliver(db: Db, expected: number) {
  const succeeded = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'succeeded'`))[0]!.n);
  return runUntil(db, (ctx) => [createWebhookDispatcher(ctx, { allowPrivateNetworks: true }).run()], async () => (await succeeded()) >= expected);
}

/** The timeout driver (automining: one confirmation is final) until the vault has timed out `due` escrows. */
async function timeouts(db: Db, target: BenchTarget, due: number, fromBlock: number) {
  const writer = createEvmWriter({ name: CHAIN, rpcUrl: target.nodeUrl, chainId: BigInt(target.chainId), privateKey: accountKey(9) });
  const node = { rpc: async <T>(method: string, params: unknown[] = []) => (await rpcBatch(target.nodeUrl, [{ method, params }]))[0] as T };
  let closed = 0;
  try {
    const { startedAt } = await runUntil(
      db,
      (ctx) => [
        createTimeoutDriver(ctx, {
          chain: CHAIN,
          writer,
          store: createTimeoutsRepository(db),
          options: { vault: target.vault, chainId: BigInt(target.chainId), confirmations: 1, holder: "bench" },
        }).run(),
      ],
      async () => (closed = await countLogs(node, target.vault, ESCROW_TIMED_OUT_TOPIC, fromBlock)) >= due,
    );
    return { closed, seconds: (Date.now() - startedAt) / 1000 };
  } finally {
    await writer.close();
  }
}

/** Ingestion and the dispatcher together, as in the runtime (ingestion wakes the dispatcher), until SIGTERM. */
async function relay(db: Db, target: BenchTarget, job: { startBlock: number; confirmations: number; pollIntervalMs?: number }) {
  const reader = readerFor(target);
  try {
    await runUntil(
      db,
      (ctx) => {
        const dispatcher = createWebhookDispatcher(ctx, { allowPrivateNetworks: true });
        const ingester = createIngester({
          chain: { name: CHAIN, vault: target.vault, startBlock: job.startBlock, confirmations: job.confirmations, pollIntervalMs: job.pollIntervalMs },
          reader,
          store: createIngestRepository(db),
          ctx,
          holder: "bench",
          onChange: () => dispatcher.wake(),
        });
        return [ingester.run(), dispatcher.run()];
      },
      async () => false,
    );
    return {};
  } finally {
    await reader.close();
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "") as WorkerJob;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), RSS_SAMPLE_MS);
  const db = await openDb(job.db);
  try {
    let result: unknown;
    if (job.part === "ingest") result = await ingest(db, job.target);
    else if (job.part === "deliver") result = await deliver(db, job.expected);
    else if (job.part === "timeouts") result = await timeouts(db, job.target, job.due, job.fromBlock);
    else result = await relay(db, job.target, job);
    clearInterval(sampler);
    say({ result, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 });
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
