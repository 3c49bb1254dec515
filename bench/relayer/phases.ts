import { createChainReader } from "../../relayer/src/chains/index.js";
import { createEvmWriter } from "../../relayer/src/chains/evm-writer.js";
import type { Context } from "../../relayer/src/common/context.js";
import { RetryableError } from "../../relayer/src/common/errors.js";
import { silentLogger } from "../../relayer/src/common/logger.js";
import { createMetrics } from "../../relayer/src/common/metrics.js";
import { createIngester } from "../../relayer/src/ingest/index.js";
import type { Db } from "../../relayer/src/store/db.js";
import { createIngestRepository } from "../../relayer/src/store/ingest-repository.js";
import { insertMerchant } from "../../relayer/src/store/merchants-repository.js";
import { createTimeoutsRepository } from "../../relayer/src/store/timeouts-repository.js";
import { createTimeoutDriver } from "../../relayer/src/timeouts/index.js";
import { createWebhookDispatcher, createWebhookEndpoints, createWebhookReceiver, type ReceivedWebhook } from "../../relayer/src/webhooks/index.js";
import { freePort, type HardhatNode, type VaultFixture } from "../../test/relayer/support/hardhat-node.js";
import { ESCROW_TIMED_OUT_TOPIC, accountKey, countLogs, rpcBatch, watchBlocks, type Payments } from "./chain.js";

/** One measured part of the relayer, each run with the same code and defaults as `relayer/src/runtime.ts`. */

export const CHAIN = "bench";
const MERCHANT_ID = "mer_bench";
/** Every wait below ends after this, finished or not. */
const PHASE_MAX_MS = 10 * 60_000;
/** Ticks of one catch-up: far more than 20,000 events packed 400 to a block need. */
const MAX_INGEST_TICKS = 10_000;
const MAX_CONSECUTIVE_RETRIES = 5;
const CHECK_INTERVAL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function benchContext(db: Db, signal = new AbortController().signal): Context {
  return { db, logger: silentLogger(), metrics: createMetrics(), signal };
}

/** The merchant that owns the payee address, so ingested events are routed to it (as in production). */
export async function registerMerchant(db: Db, fx: VaultFixture): Promise<void> {
  const address = (await fx.merchant.getAddress()).toLowerCase();
  await insertMerchant(db, { id: MERCHANT_ID, name: "Bench shop", addresses: [{ chain: CHAIN, address }], signingKey: { address, encryptedKey: "unused by the benchmark" } });
}

const readerFor = (node: HardhatNode, fx: VaultFixture) => createChainReader({ name: CHAIN, kind: "evm", rpcUrl: node.url, chainId: Number(fx.chainId) });

/** Catches an ingester up from the vault's deployment block to the head (confirmations 0). */
export async function measureIngest(db: Db, node: HardhatNode, fx: VaultFixture): Promise<{ events: number; domainEvents: number; seconds: number }> {
  const reader = readerFor(node, fx);
  const ingester = createIngester({
    chain: { name: CHAIN, vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0 },
    reader,
    store: createIngestRepository(db),
    ctx: benchContext(db),
    holder: "bench",
  });
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

/** Runs `parts` until `done()` or PHASE_MAX_MS, then aborts them and waits for them to finish. */
async function runUntil(db: Db, parts: (ctx: Context) => Promise<void>[], done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const controller = new AbortController();
  const loops = parts(benchContext(db, controller.signal));
  const deadline = Date.now() + PHASE_MAX_MS;
  try {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`${what} not finished after ${PHASE_MAX_MS / 60_000} min`);
      await sleep(CHECK_INTERVAL_MS);
    }
  } finally {
    controller.abort();
    await Promise.allSettled(loops);
  }
}

/** Delivers every outbox row (the ingested events) to one local endpoint with one dispatcher, as the runtime runs it. */
export async function measureWebhooks(db: Db, expected: number): Promise<{ delivered: number; seconds: number }> {
  const endpoint = await localEndpoint(db);
  const started = Date.now();
  try {
    await runUntil(db, (ctx) => [createWebhookDispatcher(ctx, { allowPrivateNetworks: true }).run()], () => endpoint.received.size >= expected, "webhook delivery");
    const last = Math.max(...[...endpoint.received.values()].map((r) => r.at));
    return { delivered: endpoint.received.size, seconds: (last - started) / 1000 };
  } finally {
    await endpoint.close();
  }
}

/** Moves chain time past every short hold, then runs the timeout driver until the vault has timed out `due` escrows. */
export async function measureTimeouts(db: Db, node: HardhatNode, fx: VaultFixture, due: number, shortHoldSeconds: number): Promise<{ closed: number; seconds: number }> {
  await node.rpc("evm_increaseTime", [shortHoldSeconds + 3_600]);
  await node.rpc("evm_mine");
  const fromBlock = Number(BigInt(await node.rpc<string>("eth_blockNumber")));
  const writer = createEvmWriter({ name: CHAIN, rpcUrl: node.url, chainId: fx.chainId, privateKey: accountKey(9) });
  const store = createTimeoutsRepository(db);
  let closed = 0;
  const started = Date.now();
  try {
    await runUntil(
      db,
      // Automining: each transaction is its receipt's block, so one confirmation is final here.
      (ctx) => [createTimeoutDriver(ctx, { chain: CHAIN, writer, store, options: { vault: fx.vault, chainId: fx.chainId, confirmations: 1, holder: "bench" } }).run()],
      async () => (closed = await countLogs(node, fx.vault, ESCROW_TIMED_OUT_TOPIC, fromBlock)) >= due,
      "timeouts",
    );
    return { closed, seconds: (Date.now() - started) / 1000 };
  } finally {
    await writer.close();
  }
}

export interface LatencyOptions {
  seconds: number;
  paymentsPerSecond: number;
  confirmations: number;
  /** Ingestion poll interval; the runtime's default (config pollIntervalMs) is 2000. */
  pollIntervalMs: number;
  holdSeconds: number;
}

/**
 * Mines a block every second, pays invoices at a steady rate, and runs the ingester and the
 * dispatcher as the runtime does. Latency of an event = its webhook's arrival at the loopback
 * receiver minus the wall time block (event block + confirmations) was first seen.
 */
export async function measureLatency(db: Db, node: HardhatNode, fx: VaultFixture, payments: Payments, o: LatencyOptions): Promise<{ latenciesMs: number[]; sent: number }> {
  const endpoint = await localEndpoint(db);
  const startBlock = Number(BigInt(await node.rpc<string>("eth_blockNumber"))) + 1;
  await node.rpc("evm_setAutomine", [false]);
  await node.rpc("evm_setIntervalMining", [1_000]);
  const watcher = watchBlocks(node, PHASE_MAX_MS);
  const reader = readerFor(node, fx);
  let sent = 0;
  try {
    const paying = (async () => {
      const started = Date.now();
      while (Date.now() - started < o.seconds * 1000) {
        await rpcBatch(node.url, [await payments.next(o.holdSeconds)]);
        sent += 1;
        await sleep(1000 / o.paymentsPerSecond);
      }
    })();
    await runUntil(
      db,
      (ctx) => [
        createIngester({ chain: { name: CHAIN, vault: fx.vault, startBlock, confirmations: o.confirmations, pollIntervalMs: o.pollIntervalMs }, reader, store: createIngestRepository(db), ctx, holder: "bench" }).run(),
        createWebhookDispatcher(ctx, { allowPrivateNetworks: true }).run(),
        paying,
      ],
      async () => {
        // Finished once paying stopped and every payment's webhook arrived.
        const stillPaying = await Promise.race([paying.then(() => false), sleep(0).then(() => true)]);
        return !stillPaying && endpoint.received.size >= sent;
      },
      "latency run",
    );
  } finally {
    await watcher.stop();
    await node.rpc("evm_setIntervalMining", [0]);
    await node.rpc("evm_setAutomine", [true]);
    await reader.close();
    await endpoint.close();
  }
  const latenciesMs: number[] = [];
  for (const { at, event } of endpoint.received.values()) {
    const block = Number((event.data as { blockNumber?: unknown }).blockNumber);
    const finalAt = watcher.firstSeen.get(block + o.confirmations);
    if (finalAt !== undefined) latenciesMs.push(at - finalAt);
  }
  return { latenciesMs, sent };
}
