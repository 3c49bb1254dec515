/**
 * Relayer performance benchmark: a measurement, not a gate. Prints a table of figures against the
 * relayer issue's targets and writes bench/out/relayer.json as a flat object:
 *   ingest.postgres.events_per_s, ingest.pglite.events_per_s  catching up on BENCH_EVENTS vault events
 *   webhooks.deliveries_per_s                                   outbox rows delivered to a local receiver
 *   latency.p50_ms, latency.p99_ms                              final block -> webhook arrival, 1 block/s
 *   timeouts.closed_per_min, timeouts.escrows                   BENCH_ESCROWS escrows due at once
 *   rss_mb                                                      peak RSS of this process (relayer parts)
 * The Hardhat node and PostgreSQL run as separate processes; their memory is not counted.
 * Exits 0 whether or not the targets are met, and says which are missed.
 *
 * Run: npm run bench:relayer (about 8 minutes on 2 cores). Scale down with environment variables:
 *   BENCH_EVENTS=20000         payInvoice transactions generated (one EscrowOpened vault event each)
 *   BENCH_ESCROWS=10000        of those, escrows with a short hold that fall due together (<= BENCH_EVENTS)
 *   BENCH_LATENCY_SECONDS=60   length of the steady-rate latency run
 *   BENCH_LATENCY_RATE=5       invoices paid per second during it
 *   BENCH_CONFIRMATIONS=1      ingestion confirmations during it
 *   BENCH_POLL_MS=2000         ingestion poll interval during it (the relayer's default pollIntervalMs)
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
import { measureIngest, measureLatency, measureTimeouts, measureWebhooks, registerMerchant } from "./relayer/phases.js";

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
  pollIntervalMs: env("BENCH_POLL_MS", 2_000),
  holdSeconds: LONG_HOLD_SECONDS,
};
const RSS_SAMPLE_MS = 250;
const OUT_PATH = join(__dirname, "out", "relayer.json");

type Direction = "min" | "max";
const TARGETS: Record<string, { value: number; direction: Direction }> = {
  "ingest.postgres.events_per_s": { value: 2_000, direction: "min" },
  "webhooks.deliveries_per_s": { value: 500, direction: "min" },
  "latency.p99_ms": { value: 1_000, direction: "max" },
  rss_mb: { value: 300, direction: "max" },
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const rssNow = () => `(RSS now ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB)`;

function sampleRss() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  return { peakMb: () => Math.max(peak, process.memoryUsage().rss) / 2 ** 20, stop: () => clearInterval(timer) };
}

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
  const rss = sampleRss();
  const results: Record<string, number> = {};
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    log(`Relayer benchmark: ${EVENTS} events, ${ESCROWS} due escrows, ${LATENCY.seconds} s latency run at ${LATENCY.paymentsPerSecond} payments/s`);
    const node = await startHardhatNode();
    cleanups.push(() => node.stop());
    const fx = await deployVaultFixture(node);
    const payments = await createPayments(node, fx);
    log(`Generating ${EVENTS} vault events on a Hardhat node…`);
    await generatePayments(node, payments, EVENTS, (i) => (i < ESCROWS ? SHORT_HOLD_SECONDS : LATENCY.holdSeconds), log);
    log(`  done ${rssNow()}`);

    log("Ingesting on PGlite (a fresh data directory)…");
    const pgliteDir = mkdtempSync(join(tmpdir(), "bench-pglite-"));
    cleanups.push(async () => rmSync(pgliteDir, { recursive: true, force: true }));
    const pglite = await migrated({ dataDir: pgliteDir });
    await registerMerchant(pglite, fx);
    const onPglite = await measureIngest(pglite, node, fx);
    await pglite.close();
    results["ingest.pglite.events_per_s"] = onPglite.events / onPglite.seconds;
    log(`  ${onPglite.events} events in ${onPglite.seconds.toFixed(1)} s ${rssNow()}`);

    log("Ingesting on PostgreSQL (a fresh throwaway cluster)…");
    const pgServer = await startThrowawayPostgres();
    const stopPg = () => pgServer.stop();
    cleanups.push(stopPg);
    const pg = await migrated({ databaseUrl: pgServer.url });
    cleanups.push(() => pg.close());
    await registerMerchant(pg, fx);
    const onPg = await measureIngest(pg, node, fx);
    results["ingest.postgres.events_per_s"] = onPg.events / onPg.seconds;
    log(`  ${onPg.events} events (${onPg.domainEvents} outbox rows) in ${onPg.seconds.toFixed(1)} s ${rssNow()}`);

    log(`Delivering the ${onPg.domainEvents} outbox rows to a local receiver (one dispatcher, PostgreSQL)…`);
    const hooks = await measureWebhooks(pg, onPg.domainEvents);
    results["webhooks.deliveries_per_s"] = hooks.delivered / hooks.seconds;
    log(`  ${hooks.delivered} deliveries in ${hooks.seconds.toFixed(1)} s ${rssNow()}`);

    log(`Closing ${ESCROWS} escrows due at once with the timeout driver (PostgreSQL)…`);
    const timeouts = await measureTimeouts(pg, node, fx, ESCROWS, SHORT_HOLD_SECONDS);
    results["timeouts.closed_per_min"] = timeouts.closed / (timeouts.seconds / 60);
    results["timeouts.escrows"] = ESCROWS;
    log(`  ${timeouts.closed} escrows timed out in ${timeouts.seconds.toFixed(1)} s ${rssNow()}`);

    log(`Latency: a block a second, ${LATENCY.paymentsPerSecond} payments/s for ${LATENCY.seconds} s, confirmations ${LATENCY.confirmations}, poll ${LATENCY.pollIntervalMs} ms (fresh PostgreSQL database)…`);
    await pg.query("CREATE DATABASE bench_latency");
    const latencyDb = await migrated({ databaseUrl: pgServer.url.replace(/\/postgres$/, "/bench_latency") });
    cleanups.push(() => latencyDb.close());
    await registerMerchant(latencyDb, fx);
    const latency = await measureLatency(latencyDb, node, fx, payments, LATENCY);
    const sorted = [...latency.latenciesMs].sort((a, b) => a - b);
    results["latency.p50_ms"] = percentile(sorted, 50);
    results["latency.p99_ms"] = percentile(sorted, 99);
    log(`  ${sorted.length} of ${latency.sent} payments measured; min ${sorted[0]} ms, max ${sorted.at(-1)} ms ${rssNow()}`);

    results.rss_mb = rss.peakMb();
    const missed = printTable(results);
    mkdirSync(join(__dirname, "out"), { recursive: true });
    writeFileSync(OUT_PATH, `${JSON.stringify(results, null, 2)}\n`);
    log(`\nWrote ${OUT_PATH}. RSS is this process only (ingester, dispatcher, receiver, driver, PGlite); the Hardhat node and PostgreSQL are not counted.`);
    log(missed.length === 0 ? "All targets met." : `Targets missed: ${missed.join(", ")}.`);
  } finally {
    rss.stop();
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
