import { mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Wallet } from "ethers";
import { createApi, type Readiness } from "./api/index.js";
import { createChainReader, type ChainReader } from "./chains/index.js";
import { createEvmWriter } from "./chains/evm-writer.js";
import { createTronWriter } from "./chains/tron-writer.js";
import type { ChainWriter } from "./chains/writer.js";
import type { Context } from "./common/context.js";
import { BaseError, ConfigError, NonRetryableUserError } from "./common/errors.js";
import { createLogger, type Logger } from "./common/logger.js";
import { createMetrics } from "./common/metrics.js";
import type { ChainConfig, RelayerConfig } from "./config.js";
import { createIngester, type Ingester } from "./ingest/index.js";
import { createAdaptiveRange } from "./ingest/range.js";
import { expireInvoices, type ChainDeposits } from "./merchants/index.js";
import { selectSweepableInvoices } from "./store/invoices-repository.js";
import { expireDeposits } from "./store/deposits-repository.js";
import { depositIngestion, platformSigner, readChainDeposits } from "./runtime-features.js";
import { applyDeskEvents, createMatchingEngine, type MatchingEngine } from "./p2p/index.js";
import { createP2pSender, createQueuedReservationPort } from "./p2p/chain-calls.js";
import { pruneIdempotencyKeys } from "./store/api-repository.js";
import { openDb, type Db } from "./store/db.js";
import { expireLeasesOfGoneProcess } from "./store/leases.js";
import { pruneWebSessions } from "./store/web-repository.js";
import { createIngestRepository, type IngestRepository } from "./store/ingest-repository.js";
import { migrate } from "./store/migrate.js";
import { createTimeoutsRepository } from "./store/timeouts-repository.js";
import { createTimeoutDriver, POLL_INTERVAL_MS as TIMEOUTS_POLL_INTERVAL_MS, type TimeoutDriver } from "./timeouts/index.js";
import { createWebhookDispatcher, createWebhookEndpoints, type WebhookDispatcher } from "./webhooks/index.js";

/**
 * The whole relayer in one process: per chain an ingester and (with an operator key) a timeout
 * driver, one webhook dispatcher, housekeeping, and the HTTP API. Every part shares one Context;
 * `stop()` aborts its signal and waits for each loop to finish the unit of work it is in.
 */

/** /readyz fails when a chain's ingestion has not completed a tick for this long (or 5 poll intervals, if longer). */
export const READY_MAX_TICK_AGE_MS = 60_000;
/** How often invoices are expired, idempotency keys pruned and pending timeouts counted. */
export const HOUSEKEEPING_INTERVAL_MS = 10_000;
/** Idempotency keys are kept this long, then pruned. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** The longest `stop()` waits for loops before closing the database under them. */
const STOP_TIMEOUT_MS = 30_000;

export interface StartOptions {
  logger?: Logger;
  /** Keys issued through the API: sk_live_ in production, sk_test_ locally. Default: "live". */
  apiKeyMode?: "live" | "test";
}

export interface RunningRelayer {
  /** Where the HTTP API listens, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Chain ids read from the nodes at start-up, by chain name. */
  chainIds: Record<string, bigint>;
  /** Aborts every loop, waits for them, then closes the server and the database. Safe to call twice. */
  stop(): Promise<void>;
}

interface ChainRuntime {
  config: ChainConfig;
  reader: ChainReader;
  /** Scan-to-pay facts read from the vault; undefined when it has no deposit addresses. */
  deposits?: ChainDeposits;
  ingest: IngestRepository;
  chainId: bigint;
  ingester: Ingester;
  driver?: TimeoutDriver;
  lastTickAt?: number;
  stoppedWith?: string;
}

export async function startRelayer(config: RelayerConfig, options: StartOptions = {}): Promise<RunningRelayer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  const controller = new AbortController();
  logger.info(
    {
      chains: config.chains.map((c) => `${c.name} (${c.kind})`),
      database: config.databaseUrl ? "postgres (DATABASE_URL)" : `pglite ${config.dataDir}`,
      operator_key: config.operatorKey ? ("privateKey" in config.operatorKey ? "OPERATOR_PRIVATE_KEY" : "keystore") : "none (timeouts are not sent)",
      master_key: config.masterKey ? "set" : "not set (merchants and invoices cannot be signed)",
    },
    "Starting relayer",
  );
  const db = await openDatabase(config);
  const cleanups: (() => Promise<unknown>)[] = [() => db.close()];
  try {
    await migrate(db, (message) => logger.info({ migration: message.replace(/^applying /, "") }, "Applying migration"));
    if (db.kind === "pglite") {
      const expired = await expireLeasesOfGoneProcess(db);
      if (expired.ingest + expired.senders + expired.deliveries > 0) logger.warn(expired, "Took over the leases of a relayer that stopped without releasing them");
    }
    const ctx: Context = { db, logger, metrics, signal: controller.signal };
    const chainIds: Record<string, bigint> = {};
    const chains: ChainRuntime[] = [];
    const operatorKey = await resolveOperatorKey(config);
    const dispatcher = createWebhookDispatcher(ctx, { allowPrivateNetworks: config.webhooks.allowPrivateNetworks, requestTimeoutMs: config.webhooks.requestTimeoutMs });
    const formatters = new Map<string, (hex: string) => string>();
    const formatAddress = (chain: string, hex: string) => formatters.get(chain)?.(hex) ?? hex;
    for (const chainConfig of config.chains) {
      const chain = await buildChain(ctx, chainConfig, operatorKey, () => dispatcher.wake(), { formatAddress, masterKey: config.masterKey });
      formatters.set(chainConfig.name, chain.reader.formatAddress);
      cleanups.push(() => chain.reader.close());
      chainIds[chainConfig.name] = chain.chainId;
      chains.push(chain);
    }
    const webhooks = createWebhookEndpoints(ctx, { allowPrivateNetworks: config.webhooks.allowPrivateNetworks });
    const deposits = Object.fromEntries(chains.map((c) => [c.config.name, c.deposits]));
    // P2P: one matching engine per process; reservations and confirmations queue for the chains' senders.
    const reservations = createQueuedReservationPort();
    const engine = chains.some((c) => c.config.acceptorDeskAddress) ? createMatchingEngine(ctx, { reservations, formatAddress }) : undefined;
    const app = createApi(ctx, { config, webhooks, chainIds, deposits, p2p: { reservations }, readiness: async () => readiness(chains), apiKeyMode: options.apiKeyMode ?? "live" });
    const server = await listen(app, config.api.host, config.api.port);
    cleanups.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.api.host.includes(":") ? `[${config.api.host}]` : config.api.host}:${port}`;

    const loops = startLoops(ctx, dispatcher, chains, engine);
    logger.info({ url, chains: chains.map((c) => c.config.name), timeouts: chains.filter((c) => c.driver).map((c) => c.config.name) }, "Relayer started");

    let stopping: Promise<void> | undefined;
    return {
      url,
      chainIds,
      stop: () =>
        (stopping ??= (async () => {
          logger.info("Stopping relayer");
          controller.abort();
          await Promise.race([Promise.allSettled(loops), sleep(STOP_TIMEOUT_MS, undefined, { ref: false })]);
          // Last opened, first closed: the server before the readers before the database.
          for (const cleanup of [...cleanups].reverse()) await cleanup().catch((error: unknown) => logger.warn({ err: error }, "Shutdown step failed"));
          logger.info("Relayer stopped");
        })()),
    };
  } catch (error) {
    controller.abort();
    for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}

/** Every long-lived loop; each resolves once `ctx.signal` aborts and it has finished its unit of work. */
function startLoops(ctx: Context, dispatcher: WebhookDispatcher, chains: ChainRuntime[], engine: MatchingEngine | undefined): Promise<void>[] {
  const loops = [guard(ctx.logger, "webhook dispatcher", dispatcher.run())];
  if (engine) loops.push(guard(ctx.logger, "matching engine", engine.run()));
  for (const chain of chains) {
    const log = ctx.logger.child({ chain: chain.config.name });
    loops.push(
      guard(log, "ingestion", chain.ingester.run(), (error) => {
        chain.stoppedWith = error.message;
      }),
    );
    if (chain.driver) loops.push(guard(log, "timeout driver", chain.driver.run()));
    loops.push(guard(log, "housekeeping", housekeeping(ctx, chain)));
  }
  return loops;
}

async function openDatabase(config: RelayerConfig): Promise<Db> {
  if (!config.databaseUrl && !config.dataDir.startsWith("memory://")) mkdirSync(config.dataDir, { recursive: true });
  try {
    return await openDb(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
  } catch (error) {
    // The message of a pg connection error never contains the password; the URL itself is not repeated.
    throw new NonRetryableUserError(`Could not open the database: ${(error as Error).message}`, {
      cause: error,
      hints: [config.databaseUrl ? "Check DATABASE_URL and that the PostgreSQL server is up." : `Check that ${config.dataDir} is writable and not used by another relayer process (PGlite allows one).`],
    });
  }
}

/** `onIngested`: a range or reorg was committed, so the outbox has new events. */
async function buildChain(
  ctx: Context,
  config: ChainConfig,
  operatorKey: string | undefined,
  onIngested: () => void,
  p2p: { formatAddress: (chain: string, hex: string) => string; masterKey: Buffer | undefined },
): Promise<ChainRuntime> {
  const reader = createChainReader({ name: config.name, kind: config.kind, rpcUrl: config.rpcUrl }, { metrics: ctx.metrics });
  const chainId = await readChainId(reader, config);
  const vault = reader.parseAddress(config.vaultAddress);
  const deposits = await readChainDeposits(ctx, reader, vault);
  const desk = config.acceptorDeskAddress ? reader.parseAddress(config.acceptorDeskAddress) : undefined;
  const ingest = createIngestRepository(ctx.db);
  const runtime: Partial<ChainRuntime> & { config: ChainConfig; reader: ChainReader; ingest: IngestRepository; chainId: bigint } = {
    config,
    reader,
    ingest,
    chainId,
    ...(deposits ? { deposits } : {}),
  };
  const ticked = () => {
    runtime.lastTickAt = Date.now();
  };
  // A tick counts as healthy when it reached the node as leader, committed, or found another leader.
  const trackedStore: IngestRepository = {
    ...ingest,
    takeLease: async (...args) => {
      const held = await ingest.takeLease(...args);
      if (!held) ticked();
      return held;
    },
  };
  const trackedReader: ChainReader = {
    ...reader,
    getHeadBlockNumber: async (tag) => {
      const head = await reader.getHeadBlockNumber(tag);
      ticked();
      return head;
    },
  };
  runtime.ingester = createIngester({
    chain: { name: config.name, vault, startBlock: config.startBlock, confirmations: config.confirmations, pollIntervalMs: config.pollIntervalMs },
    reader: trackedReader,
    store: trackedStore,
    ctx,
    range: createAdaptiveRange({ max: config.maxBlockRange }),
    onChange: (result) => {
      if ((result.kind === "block" && result.domainEvents.length > 0) || result.kind === "reorg" || (result.kind === "idle" && (result.sightings ?? 0) > 0)) onIngested();
    },
    ...(deposits ? { deposits: depositIngestion(ctx, config.name, deposits, reader) } : {}),
    ...(desk ? { desk: { address: desk, apply: async (tx, records) => void (await applyDeskEvents(tx, records, { format: p2p.formatAddress })) } } : {}),
  });
  if (operatorKey) {
    runtime.driver = createTimeoutDriver(ctx, {
      chain: config.name,
      writer: buildWriter(ctx, config, chainId, operatorKey),
      store: createTimeoutsRepository(ctx.db),
      ...(deposits ? { sweeps: { router: deposits.router, list: (chainTime: bigint, limit: number) => selectSweepableInvoices(ctx.db, config.name, chainTime, limit) } } : {}),
      ...(desk && p2p.masterKey ? { p2p: createP2pSender({ db: ctx.db, chain: config.name, chainId, desk, platform: platformSigner(ctx, config.name, p2p.masterKey) }) } : {}),
      options: {
        vault,
        chainId,
        timeoutMarginSeconds: config.timeoutMarginSeconds,
        // The journal needs at least the receipt's own block.
        confirmations: Math.max(1, config.confirmations),
        feeLimitSun: BigInt(config.feeLimitSun),
        // Ingestion polls often for latency; the driver needs no more than its own, slower pace.
        pollIntervalMs: Math.max(config.pollIntervalMs, TIMEOUTS_POLL_INTERVAL_MS),
      },
    });
  }
  return runtime as ChainRuntime;
}

function buildWriter(ctx: Context, config: ChainConfig, chainId: bigint, privateKey: string): ChainWriter {
  if (config.kind === "tron") {
    const fullHost = config.tronFullHost ?? config.rpcUrl.replace(/\/jsonrpc\/?$/, "");
    return createTronWriter({ name: config.name, fullHost, privateKey, feeLimitSun: BigInt(config.feeLimitSun) }, { metrics: ctx.metrics });
  }
  return createEvmWriter({ name: config.name, rpcUrl: config.rpcUrl, chainId, privateKey: privateKey.startsWith("0x") ? privateKey : `0x${privateKey}` }, { metrics: ctx.metrics });
}

async function resolveOperatorKey(config: RelayerConfig): Promise<string | undefined> {
  const key = config.operatorKey;
  if (!key) return undefined;
  if ("privateKey" in key) return key.privateKey;
  let json: string;
  try {
    json = readFileSync(key.keystorePath, "utf8");
  } catch (error) {
    throw new ConfigError(`Could not read the operator keystore ${key.keystorePath}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return (await Wallet.fromEncryptedJson(json, key.password)).privateKey;
  } catch (error) {
    throw new ConfigError(`Could not decrypt the operator keystore ${key.keystorePath}`, { cause: error, hints: ["Check OPERATOR_KEYSTORE_PASSWORD."] });
  }
}

/**
 * The chain id, for the writer's signatures and the invoices' EIP-712 domain. Read from the node
 * rather than configured, so a config pointing at the wrong network cannot sign for it.
 */
async function readChainId(reader: ChainReader, config: ChainConfig): Promise<bigint> {
  try {
    return await reader.getChainId();
  } catch (error) {
    await reader.close();
    throw new NonRetryableUserError(`Chain ${config.name}: the node at ${redactUrl(config.rpcUrl)} did not answer eth_chainId (${(error as Error).message})`, {
      cause: error,
      hints: [`Check chains[].rpcUrl for ${config.name} and that the node is running.`],
    });
  }
}

/** RPC URLs often carry an API key in the path or query: show only scheme, host and port. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" && !parsed.search ? "" : "/…"}`;
  } catch {
    return "(invalid URL)";
  }
}

function readiness(chains: ChainRuntime[]): Readiness {
  const now = Date.now();
  const ingest: Record<string, string> = {};
  let ok = true;
  for (const chain of chains) {
    const maxAge = Math.max(READY_MAX_TICK_AGE_MS, 5 * chain.config.pollIntervalMs);
    if (chain.stoppedWith) {
      ok = false;
      ingest[chain.config.name] = `stopped: ${chain.stoppedWith}`;
    } else if (chain.lastTickAt === undefined) {
      ok = false;
      ingest[chain.config.name] = "starting";
    } else {
      const age = now - chain.lastTickAt;
      if (age > maxAge) ok = false;
      ingest[chain.config.name] = `ticked ${Math.round(age / 1000)} s ago`;
    }
  }
  return { ok, details: { ingest } };
}

/** Expires unpaid invoices at the time ingestion has reached, prunes idempotency keys, counts due timeouts. */
async function housekeeping(ctx: Context, chain: ChainRuntime): Promise<void> {
  const timeouts = createTimeoutsRepository(ctx.db);
  while (!ctx.signal.aborted) {
    try {
      const cursor = await chain.ingest.getCursor(chain.config.name);
      if (cursor?.blockHash) {
        const block = await chain.reader.getBlock(cursor.blockNumber);
        await expireInvoices(ctx, chain.config.name, block.timestamp);
        if (chain.deposits) await expireDeposits(ctx.db, chain.config.name, BigInt(block.timestamp), chain.reader);
        // With a driver, the driver keeps this gauge at chain-head time; without one, nobody else does.
        if (!chain.driver) ctx.metrics.pendingTimeouts.set({ chain: chain.config.name }, await timeouts.countDue(chain.config.name, BigInt(block.timestamp) - BigInt(chain.config.timeoutMarginSeconds)));
      }
      await pruneIdempotencyKeys(ctx.db, new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS));
      await pruneWebSessions(ctx.db, new Date());
    } catch (error) {
      ctx.logger.warn({ err: error }, "Housekeeping failed; retrying next round");
    }
    await sleep(HOUSEKEEPING_INTERVAL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** A loop that ends on an error is logged (with its hints); the rest of the relayer keeps running. */
async function guard(logger: Logger, name: string, loop: Promise<void>, onFailure?: (error: Error) => void): Promise<void> {
  try {
    await loop;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    logger.error({ err, hints: error instanceof BaseError ? error.hints : undefined }, `The ${name} stopped`);
    onFailure?.(err);
  }
}

function listen(app: ReturnType<typeof createApi>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once("listening", () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new ConfigError(`Port ${port} on ${host} is already in use`, { hints: ["Stop what listens there, or set api.port in the configuration."] })
          : error,
      );
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), 5_000);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
