/**
 * P2P matching benchmark: a measurement, not a gate. On a throwaway PostgreSQL cluster it registers
 * BENCH_ACCEPTORS acceptors with varied terms and liquidity, opens BENCH_ORDERS orders, and runs the
 * matching engine until every order is matched or unmatchable; then again with two engines on the
 * same database at once. Writes bench/out/matching.json (flat keys):
 *   orders_per_s                        orders matched per second, one engine
 *   double_reservations                 counted from the store afterwards by an independent SQL check
 *   batch_size                          orders per batch transaction (BENCH_BATCH)
 *   matched, unmatchable, batches, batch_p50_ms, batch_p99_ms, rss_mb
 *   cpu_s.node, cpu_s.postgres          CPU seconds the one-engine run used in this process and in the cluster
 *   orders_per_cpu_s                    matched / (both): what the run costs apart from other load on the machine
 *   concurrent.orders_per_s, concurrent.double_reservations, concurrent.matched, concurrent.unmatchable, concurrent.retried
 * Run: npm run bench:matching (BENCH_ACCEPTORS=1000 BENCH_ORDERS=10000 BENCH_BATCH=2000 by default).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../relayer/src/common/logger.js";
import { createMetrics } from "../relayer/src/common/metrics.js";
import { createMatchingEngine, type BatchResult } from "../relayer/src/p2p/index.js";
import { seededRandom } from "../relayer/src/p2p/random.js";
import { openDb, type Db } from "../relayer/src/store/db.js";
import { migrate } from "../relayer/src/store/migrate.js";
import { recordsetFrom, recordsetJson } from "../relayer/src/store/recordset.js";
import { addAcceptor, CHAIN, doubleReservations, insertPlatform, TOKEN } from "../test/relayer/p2p/support.js";
import { postgresAvailable, startThrowawayPostgres } from "../test/relayer/support/postgres.js";

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};
const ACCEPTORS = env("BENCH_ACCEPTORS", 1_000);
const ORDERS = env("BENCH_ORDERS", 10_000);
const BATCH = env("BENCH_BATCH", 2_000);
const TARGET_ORDERS_PER_S = 1_000;
const USDT = 1_000_000n;
const METHODS = ["sepa", "revolut", "wise", "pix", "upi"];
const CURRENCIES = ["EUR", "USD", "BRL", "INR"];
const OUT_PATH = join(__dirname, "out", "matching.json");
/** BENCH_PROFILE=1: time every statement the engine runs, grouped by its first words, and print the totals. */
const PROFILE = process.env.BENCH_PROFILE === "1";
const log = (line: string) => process.stdout.write(`${line}\n`);

const random = seededRandom(2026);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
const some = <T>(items: readonly T[]) => {
  const chosen = items.filter(() => random() < 0.5);
  return chosen.length > 0 ? chosen : [pick(items)];
};
const between = (low: number, high: number) => BigInt(Math.floor(low + random() * (high - low)));

async function registerAcceptors(db: Db, platform: string): Promise<void> {
  for (let i = 0; i < ACCEPTORS; i++) {
    const currencies = some(CURRENCIES);
    await addAcceptor(db, platform, {
      liquidity: between(0, 50_000) * USDT,
      terms: {
        minAmount: between(1, 50) * USDT,
        maxAmount: between(500, 5_000) * USDT,
        dailyLimit: between(5_000, 100_000) * USDT,
        maxOpenOrders: Number(between(10, 60)),
        maxOrdersPerHour: Number(between(20, 200)),
        fiatMethods: some(METHODS),
        fiatCurrencies: currencies,
        rates: Object.fromEntries(currencies.map((c) => [c, (0.5 + random() * 90).toFixed(4)])),
        online: random() < 0.9,
        autoAccept: random() < 0.5,
      },
    });
    if ((i + 1) % 250 === 0) log(`  registered ${i + 1}/${ACCEPTORS} acceptors`);
  }
}

/** Orders written in bulk (the API's per-order checks are not what this measures). */
async function openOrders(db: Db, platform: string, tag: string): Promise<void> {
  const rows = Array.from({ length: ORDERS }, (_, i) => ({
    order_id: `0x${tag}${i.toString(16).padStart(64 - tag.length, "0")}`,
    reference: `${tag}-${i}`,
    kind: random() < 0.9 ? "deposit" : "withdrawal",
    amount: between(10, 1_000) * USDT,
    user_reference: `user-${i % 3_000}`,
    fiat_currency: pick(CURRENCIES),
    fiat_method: pick(METHODS),
  }));
  await db.query(
    `INSERT INTO p2p_orders (order_id, platform_id, reference, kind, chain, token, amount, token_decimals, user_reference, beneficiary, arbiter,
       fiat_currency, fiat_method, status, payment_window_s, match_by)
     SELECT order_id, $2, reference, kind, $3, $4, amount, 6, user_reference, $5, $6, fiat_currency, fiat_method, 'created', 1800, now() + interval '1 hour'
     FROM ${recordsetFrom("$1", { order_id: "text", reference: "text", kind: "text", amount: "numeric", user_reference: "text", fiat_currency: "text", fiat_method: "text" })} ORDER BY ordinality`,
    [recordsetJson(rows), platform, CHAIN, TOKEN, `0x${"bb".repeat(20)}`, `0x${"0".repeat(40)}`],
  );
}

async function resetOrders(db: Db): Promise<void> {
  await db.exec("TRUNCATE p2p_orders, p2p_audit, p2p_acceptor_days, domain_events CASCADE; UPDATE p2p_liquidity SET reserved = 0; DELETE FROM p2p_slots WHERE slot > 0; UPDATE p2p_slots SET order_id = NULL");
}

interface Run {
  matched: number;
  retried: number;
  batches: number[];
  seconds: number;
}

const profile = new Map<string, { n: number; ms: number }>();
const statementKey = (sql: string) => sql.replace(/\s+/g, " ").trim().slice(0, 70);
/** The same Db with every statement (inside transactions too) timed into `profile`. */
function profiled(db: Db): Db {
  const timed = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      const entry = profile.get(statementKey(sql)) ?? { n: 0, ms: 0 };
      entry.n++;
      entry.ms += performance.now() - started;
      profile.set(statementKey(sql), entry);
    }
  };
  return {
    kind: db.kind,
    query: (sql, params) => timed(sql, () => db.query(sql, params)),
    exec: (sql) => timed(sql, () => db.exec(sql)),
    transaction: (fn) => db.transaction((tx) => fn(profiled(tx))),
    close: () => db.close(),
  };
}

function printProfile(totalMs: number): void {
  const rows = [...profile.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const sqlMs = rows.reduce((s, [, e]) => s + e.ms, 0);
  log(`  profile: ${Math.round(totalMs)} ms wall, ${Math.round(sqlMs)} ms in SQL round trips (summed over engines), ${Math.round(totalMs - sqlMs)} ms elsewhere (JS)`);
  for (const [key, e] of rows) log(`  ${String(Math.round(e.ms)).padStart(7)} ms ${String(e.n).padStart(5)}x  ${key}`);
  profile.clear();
}

/** Runs one engine until a batch claims nothing (every order matched or deferred as unmatchable). */
async function drain(db: Db, seed: number): Promise<Omit<Run, "seconds">> {
  const ctx = { db: PROFILE ? profiled(db) : db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
  const engine = createMatchingEngine(ctx, { seed, batchSize: BATCH, engineId: `bench-${seed}` });
  const run = { matched: 0, retried: 0, batches: [] as number[] };
  for (let round = 0; round < 10 * Math.ceil(ORDERS / BATCH) + 10; round++) {
    const started = performance.now();
    const result: BatchResult = await engine.matchBatch();
    if (result.claimed === 0) break;
    run.batches.push(performance.now() - started);
    run.matched += result.matched;
    run.retried += result.retried;
  }
  return run;
}

async function measure(db: Db, engines: number): Promise<Run> {
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: engines }, (_, i) => drain(db, 100 + i)));
  const seconds = (performance.now() - started) / 1000;
  if (PROFILE) printProfile(seconds * 1000);
  return { matched: runs.reduce((s, r) => s + r.matched, 0), retried: runs.reduce((s, r) => s + r.retried, 0), batches: runs.flatMap((r) => r.batches), seconds };
}

/**
 * CPU seconds used so far by the cluster's postmaster and its children (the pool's backends), from
 * /proc; 0 where /proc is missing. With the node process's own CPU time this says what a run costs
 * apart from the other work on the machine.
 */
function clusterCpuSeconds(postmasterPid: number): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // Fields after the parenthesised command: state ppid … utime (14th) stime (15th).
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(entry) === postmasterPid || Number(fields[1]) === postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

async function postmasterPid(db: Db): Promise<number> {
  const dir = (await db.query<{ data_directory: string }>(`SHOW data_directory`))[0]!.data_directory;
  return Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
}

const cpuNow = (pid: number) => ({ node: process.cpuUsage(), postgres: clusterCpuSeconds(pid) });
const cpuSince = (start: ReturnType<typeof cpuNow>, pid: number) => {
  const used = process.cpuUsage(start.node);
  return { node: (used.user + used.system) / 1e6, postgres: clusterCpuSeconds(pid) - start.postgres };
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const unmatchable = async (db: Db) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM p2p_orders WHERE status = 'created'`))[0]!.n);

async function main(): Promise<void> {
  if (!postgresAvailable()) throw new Error("PostgreSQL server binaries missing: apt-get install postgresql (or set PG_BIN)");
  const pg = await startThrowawayPostgres();
  const db = await openDb({ databaseUrl: pg.url, poolSize: 4 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    await migrate(db);
    const platform = await insertPlatform(db);
    log(`Registering ${ACCEPTORS} acceptors`);
    await registerAcceptors(db, platform);
    log(`Opening ${ORDERS} orders; matching with one engine (batches of ${BATCH})`);
    await openOrders(db, platform, "a");
    const pid = await postmasterPid(db);
    const cpuStart = cpuNow(pid);
    const single = await measure(db, 1);
    const cpu = cpuSince(cpuStart, pid);
    const figures: Record<string, number> = {
      batch_size: BATCH,
      orders_per_s: Math.round(single.matched / single.seconds),
      double_reservations: await doubleReservations(db),
      matched: single.matched,
      unmatchable: await unmatchable(db),
      batches: single.batches.length,
      batch_p50_ms: Math.round(percentile(single.batches, 50)),
      batch_p99_ms: Math.round(percentile(single.batches, 99)),
      "cpu_s.node": Number(cpu.node.toFixed(1)),
      "cpu_s.postgres": Number(cpu.postgres.toFixed(1)),
      orders_per_cpu_s: Math.round(single.matched / (cpu.node + cpu.postgres)),
    };
    log(`Again with two engines at once on the same database`);
    await resetOrders(db);
    await openOrders(db, platform, "b");
    const both = await measure(db, 2);
    figures["concurrent.orders_per_s"] = Math.round(both.matched / both.seconds);
    figures["concurrent.double_reservations"] = await doubleReservations(db);
    figures["concurrent.matched"] = both.matched;
    figures["concurrent.unmatchable"] = await unmatchable(db);
    figures["concurrent.retried"] = both.retried;
    figures.rss_mb = Math.round(peakRss / 1024 / 1024);
    mkdirSync(join(__dirname, "out"), { recursive: true });
    writeFileSync(OUT_PATH, `${JSON.stringify(figures, null, 2)}\n`);
    for (const [key, value] of Object.entries(figures)) log(`${key.padEnd(32)} ${value}`);
    const missed = [figures.orders_per_s! < TARGET_ORDERS_PER_S && `orders_per_s below ${TARGET_ORDERS_PER_S}`, (figures.double_reservations! > 0 || figures["concurrent.double_reservations"]! > 0) && "double reservations found"].filter(Boolean);
    log(missed.length === 0 ? `Targets met (>= ${TARGET_ORDERS_PER_S} orders/s, 0 double reservations). Wrote ${OUT_PATH}` : `Targets missed: ${missed.join("; ")}. Wrote ${OUT_PATH}`);
  } finally {
    clearInterval(sampler);
    await db.close();
    await pg.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
