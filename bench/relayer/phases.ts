import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { silentLogger } from "../../relayer/src/common/logger.js";
import type { Db } from "../../relayer/src/store/db.js";
import { insertMerchant } from "../../relayer/src/store/merchants-repository.js";
import { createWebhookEndpoints, createWebhookReceiver, type ReceivedWebhook } from "../../relayer/src/webhooks/index.js";
import { freePort, type HardhatNode, type VaultFixture } from "../../test/relayer/support/hardhat-node.js";
import { rpcBatch, watchBlocks, type Payments } from "./chain.js";
import { CHAIN, PHASE_MAX_MS, type BenchTarget, type WorkerJob } from "./worker.js";

/**
 * The parent side of each measured phase: it prepares the database, runs the relayer part in a
 * worker process (bench/relayer/worker.ts) and plays the world around it: the merchant's receiver,
 * the payer, the block watcher.
 */

const MERCHANT_ID = "mer_bench";
const CHECK_INTERVAL_MS = 100;
const WORKER = join(__dirname, "worker.ts");
/** The heap limit `npm run relayer` starts Node with (package.json), so workers run as the relayer does. */
const RELAYER_HEAP_MB = /--max-old-space-size=(\d+)/.exec((JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.relayer ?? "")?.[1];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function benchTarget(node: HardhatNode, fx: VaultFixture): BenchTarget {
  return { nodeUrl: node.url, chainId: fx.chainId.toString(), vault: fx.vault, deployBlock: fx.deployBlock };
}

/** The merchant that owns the payee address, so ingested events are routed to it (as in production). */
export async function registerMerchant(db: Db, fx: VaultFixture): Promise<void> {
  const address = (await fx.merchant.getAddress()).toLowerCase();
  await insertMerchant(db, { id: MERCHANT_ID, name: "Bench shop", addresses: [{ chain: CHAIN, address }], signingKey: { address, encryptedKey: "unused by the benchmark" } });
}

export interface WorkerRun<T> {
  /** Resolves with the worker's `ready` time (its clock is this machine's). */
  ready: Promise<number>;
  done: Promise<{ result: T; peakRssMb: number }>;
  /** Asks a worker that runs until told to finish (SIGTERM). */
  stop(): void;
}

/** Starts a relayer part in its own Node process (through tsx, like this benchmark). */
export function runWorker<T>(job: WorkerJob): WorkerRun<T> {
  // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of each worker there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${join(process.env.BENCH_PROFILE_DIR, `${job.part}-${Date.now()}`)}`] : [];
  const heapMb = process.env.BENCH_WORKER_HEAP_MB ?? RELAYER_HEAP_MB;
  const heap = heapMb ? [`--max-old-space-size=${heapMb}`] : [];
  const child = spawn(process.execPath, [...heap, ...profile, "--import", "tsx", WORKER, JSON.stringify(job)], { stdio: ["ignore", "pipe", "inherit"] });
  let onReady: (at: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (onReady = resolve));
  let final: { result: T; peakRssMb: number } | undefined;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as { ready?: number; result?: T; peakRssMb?: number };
    if (message.ready !== undefined) onReady(message.ready);
    if (message.peakRssMb !== undefined) final = { result: message.result as T, peakRssMb: message.peakRssMb };
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), PHASE_MAX_MS + 60_000);
  const done = new Promise<{ result: T; peakRssMb: number }>((resolve, reject) => {
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && final) resolve(final);
      else reject(new Error(`benchmark worker (${job.part}) exited with ${signal ?? `code ${code}`}`));
    });
  });
  return { ready, done, stop: () => child.kill("SIGTERM") };
}

/** Catches up on every vault event in a worker; the database must be closed in this process (PGlite allows one opener). */
export async function measureIngest(job: WorkerJob["db"], target: BenchTarget) {
  return runWorker<{ events: number; domainEvents: number; seconds: number }>({ part: "ingest", db: job, target }).done;
}

interface Endpoint {
  received: Map<string, { at: number; event: ReceivedWebhook }>;
  close(): Promise<void>;
}

/** A merchant endpoint on 127.0.0.1 served by the relayer's own receiver (signatures verified). */
async function localEndpoint(db: Db): Promise<Endpoint> {
  const port = await freePort();
  const endpoints = createWebhookEndpoints({ db, logger: silentLogger() }, { allowPrivateNetworks: true });
  const { secret } = await endpoints.add({ merchantId: MERCHANT_ID, url: `http://127.0.0.1:${port}/webhooks` });
  const received = new Map<string, { at: number; event: ReceivedWebhook }>();
  const receiver = await createWebhookReceiver({
    port,
    secret,
    print: () => undefined,
    onEvent: (event) => {
      if (!received.has(event.id)) received.set(event.id, { at: Date.now(), event });
    },
  });
  return { received, close: () => receiver.close() };
}

/** Delivers every outbox row to one local endpoint with one dispatcher (in a worker), as the runtime runs it. */
export async function measureWebhooks(db: Db, dbJob: WorkerJob["db"], target: BenchTarget, expected: number) {
  const endpoint = await localEndpoint(db);
  try {
    const worker = runWorker<{ startedAt: number }>({ part: "deliver", db: dbJob, target, expected });
    const startedAt = await worker.ready;
    const { peakRssMb } = await worker.done;
    const last = Math.max(...[...endpoint.received.values()].map((r) => r.at));
    return { delivered: endpoint.received.size, seconds: (last - startedAt) / 1000, peakRssMb };
  } finally {
    await endpoint.close();
  }
}

/** Moves chain time past every short hold, then runs the timeout driver (in a worker) until `due` escrows timed out. */
export async function measureTimeouts(node: HardhatNode, dbJob: WorkerJob["db"], target: BenchTarget, due: number, shortHoldSeconds: number) {
  await node.rpc("evm_increaseTime", [shortHoldSeconds + 3_600]);
  await node.rpc("evm_mine");
  const fromBlock = Number(BigInt(await node.rpc<string>("eth_blockNumber")));
  return runWorker<{ closed: number; seconds: number }>({ part: "timeouts", db: dbJob, target, due, fromBlock }).done;
}

export interface LatencyOptions {
  seconds: number;
  paymentsPerSecond: number;
  confirmations: number;
  /** Ingestion poll interval; undefined: the relayer's default. */
  pollIntervalMs?: number;
  holdSeconds: number;
}

/**
 * Mines a block every second, pays invoices at a steady rate, and runs ingestion and the dispatcher
 * in a worker as the runtime does. Latency of an event = its webhook's arrival at the loopback
 * receiver minus the wall time block (event block + confirmations) was first seen.
 */
export async function measureLatency(db: Db, dbJob: WorkerJob["db"], node: HardhatNode, target: BenchTarget, payments: Payments, o: LatencyOptions) {
  const endpoint = await localEndpoint(db);
  const startBlock = Number(BigInt(await node.rpc<string>("eth_blockNumber"))) + 1;
  const worker = runWorker<Record<string, never>>({ part: "relay", db: dbJob, target, startBlock, confirmations: o.confirmations, pollIntervalMs: o.pollIntervalMs });
  await worker.ready;
  await node.rpc("evm_setAutomine", [false]);
  await node.rpc("evm_setIntervalMining", [1_000]);
  const watcher = watchBlocks(node, PHASE_MAX_MS);
  let sent = 0;
  let peakRssMb = Number.NaN;
  try {
    const started = Date.now();
    while (Date.now() - started < o.seconds * 1000) {
      await rpcBatch(node.url, [await payments.next(o.holdSeconds)]);
      sent += 1;
      await sleep(1000 / o.paymentsPerSecond);
    }
    for (const deadline = Date.now() + PHASE_MAX_MS; endpoint.received.size < sent && Date.now() < deadline; ) await sleep(CHECK_INTERVAL_MS);
  } finally {
    worker.stop();
    peakRssMb = (await worker.done).peakRssMb;
    await watcher.stop();
    await node.rpc("evm_setIntervalMining", [0]);
    await node.rpc("evm_setAutomine", [true]);
    await endpoint.close();
  }
  const latenciesMs: number[] = [];
  for (const { at, event } of endpoint.received.values()) {
    const block = Number((event.data as { blockNumber?: unknown }).blockNumber);
    const finalAt = watcher.firstSeen.get(block + o.confirmations);
    if (finalAt !== undefined) latenciesMs.push(at - finalAt);
  }
  return { latenciesMs, sent, received: endpoint.received.size, peakRssMb };
}
