/**
 * Relayer performance benchmark: a measurement, not a gate. Prints a table of figures against the
 * relayer issue's targets and writes bench/out/relayer.json as a flat object:
 *   ingest.postgres.events_per_s, ingest.pglite.events_per_s  catching up on BENCH_EVENTS vault events
 *   webhooks.deliveries_per_s                                   outbox rows delivered to a local receiver
 *   latency.p50_ms, latency.p99_ms                              final block -> webhook arrival, 1 block/s
 *   timeouts.closed_per_min, timeouts.escrows                   BENCH_ESCROWS escrows due at once
 *   rss_mb, rss_mb.pglite                                       peak RSS of the relayer worker processes
 * Each relayer part runs in a worker process of its own (bench/relayer/worker.ts), so its memory is
 * measured without the benchmark's; the Hardhat node and PostgreSQL are separate processes too.
 * Exits 0 whether or not the targets are met, and says which are missed.
 *
 * Run: npm run bench:relayer. Scale down with environment variables:
 *   BENCH_EVENTS=20000         payInvoice transactions generated (one EscrowOpened vault event each)
 *   BENCH_ESCROWS=10000        of those, escrows with a short hold that fall due together (<= BENCH_EVENTS)
 *   BENCH_LATENCY_SECONDS=60   length of the steady-rate latency run
 *   BENCH_LATENCY_RATE=5       invoices paid per second during it
 *   BENCH_CONFIRMATIONS=1      ingestion confirmations during it
 *   BENCH_POLL_MS              ingestion poll interval during it (default: the relayer's, 500 ms)
 * e.g. BENCH_EVENTS=2000 BENCH_ESCROWS=1000 BENCH_LATENCY_SECONDS=15 npm run bench:relayer
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../relayer/src/store/db.js";
import { migrate } from "../relayer/src/store/migrate.js";
import { deployVaultFixture, startHardhatNode } from "../test/relayer/support/hardhat-node.js";
import { postgresAvailable, startThrowawayPostgres } from "../test/relayer/support/postgres.js";
import { createPayments, generatePayments } from "./relayer/chain.js";
import { benchTarget, measureIngest, measureLatency, measureTimeouts, measureWebhooks, registerMerchant } from "./relayer/phases.js";

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
/** Short holds fall due in the timeouts phase; long ones never do. */
const SHORT_HOLD_SECONDS = 3_600;
const LONG_HOLD_SECONDS = 5 * 365 * 86_400;
const EVENTS = Math.floor(env("BENCH_EVENTS", 20_000));
const ESCROWS = Math.min(Math.floor(env("BENCH_ESCROWS", 10_000)), EVENTS);
const LATENCY = {
  seconds: env("BENCH_LATENCY_SECONDS", 60),
  paymentsPerSecond: env("BENCH_LATENCY_RATE", 5),
  confirmations: Math.floor(Number(process.env.BENCH_CONFIRMATIONS ?? 1)),
  pollIntervalMs: process.env.BENCH_POLL_MS === undefined ? undefined : env("BENCH_POLL_MS", 500),
  holdSeconds: LONG_HOLD_SECONDS,
};
const OUT_PATH = join(__dirname, "out", "relayer.json");

type Direction = "min" | "max";
const TARGETS: Record<string, { value: number; direction: Direction }> = {
  "ingest.postgres.events_per_s": { value: 2_000, direction: "min" },
  "webhooks.deliveries_per_s": { value: 500, direction: "min" },
  "latency.p99_ms": { value: 1_000, direction: "max" },
  rss_mb: { value: 300, direction: "max" },
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const rssOf = (mb: number) => `(worker peak RSS ${mb.toFixed(0)} MB)`;

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function migrated(options: { databaseUrl?: string; dataDir?: string }): Promise<Db> {
  const db = await openDb(options);
  await migrate(db);
  return db;
}

function printTable(results: Record<string, number>): string[] {
  const missed: string[] = [];
  log("\n| Figure | Measured | Target | Status |\n| --- | ---: | ---: | --- |");
  for (const [key, value] of Object.entries(results)) {
    const target = TARGETS[key];
    let status = "";
    if (target) {
      const ok = Number.isFinite(value) && (target.direction === "min" ? value >= target.value : value < target.value);
      status = ok ? "ok" : "below";
      if (!ok) missed.push(key);
    }
    const shown = target ? `${target.direction === "min" ? ">=" : "<"} ${target.value.toLocaleString("en-US")}` : "";
    log(`| ${key} | ${value.toLocaleString("en-US", { maximumFractionDigits: 1 })} | ${shown} | ${status} |`);
  }
  return missed;
}

async function main(): Promise<void> {
  if (!postgresAvailable()) throw new Error("PostgreSQL 15 server binaries are needed (apt-get install postgresql, or set PG_BIN)");
  const results: Record<string, number> = {};
  const relayerRss: number[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    log(`Relayer benchmark: ${EVENTS} events, ${ESCROWS} due escrows, ${LATENCY.seconds} s latency run at ${LATENCY.paymentsPerSecond} payments/s`);
    const node = await startHardhatNode();
    cleanups.push(() => node.stop());
    const fx = await deployVaultFixture(node);
    const target = benchTarget(node, fx);
    const payments = await createPayments(node, fx);
    log(`Generating ${EVENTS} vault events on a Hardhat node…`);
    await generatePayments(node, payments, EVENTS, (i) => (i < ESCROWS ? SHORT_HOLD_SECONDS : LATENCY.holdSeconds), log);

    log("Ingesting on PGlite (a fresh data directory, in a worker process)…");
    const pgliteDir = mkdtempSync(join(tmpdir(), "bench-pglite-"));
    cleanups.push(async () => rmSync(pgliteDir, { recursive: true, force: true }));
    const pglite = await migrated({ dataDir: pgliteDir });
    await registerMerchant(pglite, fx);
    await pglite.close(); // PGlite allows one process on a data directory: the worker's
    const onPglite = await measureIngest({ dataDir: pgliteDir }, target);
    results["ingest.pglite.events_per_s"] = onPglite.result.events / onPglite.result.seconds;
    results["rss_mb.pglite"] = onPglite.peakRssMb;
    log(`  ${onPglite.result.events} events in ${onPglite.result.seconds.toFixed(1)} s ${rssOf(onPglite.peakRssMb)}`);

    log("Ingesting on PostgreSQL (a fresh throwaway cluster, in a worker process)…");
    const pgServer = await startThrowawayPostgres();
    cleanups.push(() => pgServer.stop());
    const pgJob = { databaseUrl: pgServer.url };
    const pg = await migrated(pgJob);
    cleanups.push(() => pg.close());
    await registerMerchant(pg, fx);
    const onPg = await measureIngest(pgJob, target);
    results["ingest.postgres.events_per_s"] = onPg.result.events / onPg.result.seconds;
    relayerRss.push(onPg.peakRssMb);
    log(`  ${onPg.result.events} events (${onPg.result.domainEvents} outbox rows) in ${onPg.result.seconds.toFixed(1)} s ${rssOf(onPg.peakRssMb)}`);

    log(`Delivering the ${onPg.result.domainEvents} outbox rows to a local receiver (one dispatcher in a worker, PostgreSQL)…`);
    const hooks = await measureWebhooks(pg, pgJob, target, onPg.result.domainEvents);
    results["webhooks.deliveries_per_s"] = hooks.delivered / hooks.seconds;
    relayerRss.push(hooks.peakRssMb);
    log(`  ${hooks.delivered} deliveries in ${hooks.seconds.toFixed(1)} s ${rssOf(hooks.peakRssMb)}`);

    log(`Closing ${ESCROWS} escrows due at once with the timeout driver (in a worker, PostgreSQL)…`);
    const timeouts = await measureTimeouts(node, pgJob, target, ESCROWS, SHORT_HOLD_SECONDS);
    results["timeouts.closed_per_min"] = timeouts.result.closed / (timeouts.result.seconds / 60);
    results["timeouts.escrows"] = ESCROWS;
    relayerRss.push(timeouts.peakRssMb);
    log(`  ${timeouts.result.closed} escrows timed out in ${timeouts.result.seconds.toFixed(1)} s ${rssOf(timeouts.peakRssMb)}`);

    const poll = LATENCY.pollIntervalMs === undefined ? "the default poll interval" : `poll ${LATENCY.pollIntervalMs} ms`;
    log(`Latency: a block a second, ${LATENCY.paymentsPerSecond} payments/s for ${LATENCY.seconds} s, confirmations ${LATENCY.confirmations}, ${poll} (fresh PostgreSQL database)…`);
    await pg.query("CREATE DATABASE bench_latency");
    const latencyJob = { databaseUrl: pgServer.url.replace(/\/postgres$/, "/bench_latency") };
    const latencyDb = await migrated(latencyJob);
    cleanups.push(() => latencyDb.close());
    await registerMerchant(latencyDb, fx);
    const latency = await measureLatency(latencyDb, latencyJob, node, target, payments, LATENCY);
    const sorted = [...latency.latenciesMs].sort((a, b) => a - b);
    results["latency.p50_ms"] = percentile(sorted, 50);
    results["latency.p99_ms"] = percentile(sorted, 99);
    results["latency.events"] = sorted.length;
    relayerRss.push(latency.peakRssMb);
    log(`  ${sorted.length} of ${latency.sent} payments measured; min ${sorted[0]} ms, max ${sorted.at(-1)} ms ${rssOf(latency.peakRssMb)}`);

    results.rss_mb = Math.max(...relayerRss);
    const missed = printTable(results);
    mkdirSync(join(__dirname, "out"), { recursive: true });
    writeFileSync(OUT_PATH, `${JSON.stringify(results, null, 2)}\n`);
    log(`\nWrote ${OUT_PATH}. rss_mb is the peak of the relayer worker processes on PostgreSQL; rss_mb.pglite that of the PGlite ingest worker (PGlite runs inside it).`);
    log(missed.length === 0 ? "All targets met." : `Targets missed: ${missed.join(", ")}.`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
