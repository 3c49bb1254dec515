import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HDNodeWallet, Interface } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../relayer/src/cli/program.js";
import { domainEventId, type DomainEventType } from "../../../relayer/src/domain/events.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { EscrowVault__factory } from "../../../typechain-types/index.js";
import {
  makePayments,
  planPayments,
  pollUntil,
  seededRandom,
  spawnRelayer,
  startRecordingReceiver,
  type Ledger,
  type RecordingReceiver,
  type RelayerProcess,
} from "../support/crash-harness.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";
import { postgresAvailable, startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";

/**
 * The crash test: `relayer start` runs as its own process while invoices are paid, cancelled and
 * released on a Hardhat chain and short holds come due; the test SIGKILLs it at seeded-random moments
 * and starts it again. Afterwards every outbox event reached the merchant's endpoint, the outbox holds
 * exactly what the chain's logs imply, repeats share their webhook-id and body, and every timeout was
 * sent once. Runs on PostgreSQL and on embedded PGlite. Replay a failure with CRASH_SEED=<printed seed>.
 */

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : randomInt(2 ** 31);
const PLAN = {
  payments: 40,
  pauseMs: [0, 150],
  timeJumpChance: 0.15,
  timeJumpSeconds: [5, 15],
  shortHoldSeconds: [5, 30],
  longHoldSeconds: 2 * 86_400,
} as const;
/** A block every this many ms during the run (not automine): the operator's transactions wait in the mempool, as on a real chain. */
const BLOCK_INTERVAL_MS = 300;
const KILLS = 5;
/** One kill (which one is seeded) hits a process still starting (database, migration check, node), this long after spawn. */
const STARTING_KILL_MS = [300, 3_000] as const;
/** The other kills come this long after "Relayer started" (starting takes 3–6 s on two busy cores). */
const RUNNING_KILL_MS = [0, 2_500] as const;
const START_WAIT_MS = 30_000;
/** The receiver answers after this long: a kill inside that window makes the relayer send the event again. */
const RECEIVER_DELAY_MS = [50, 600] as const;
const FINAL_WAIT_MS = 60_000;
const STOP_WAIT_MS = 40_000;
const MNEMONIC = "test test test test test test test test test test test junk";
const MASTER_KEY = randomBytes(32).toString("hex");

/** The domain event each vault event becomes (docs/relayer/ingestion.md, "Events derived"). */
const DERIVED_TYPE: Record<string, DomainEventType> = {
  EscrowOpened: "invoice.paid",
  InvoiceSettled: "invoice.paid",
  InvoiceCancelled: "invoice.cancelled",
  EscrowReleased: "escrow.released",
  EscrowRefunded: "escrow.refunded",
  EscrowDisputed: "escrow.disputed",
  EscrowResolved: "escrow.resolved",
  EscrowDeadlineExtended: "escrow.extended",
  EscrowTimedOut: "escrow.timeout_executed",
  PayoutDeferred: "escrow.payout_deferred",
  PayoutClaimed: "payout.claimed",
};
const vaultAbi = new Interface(EscrowVault__factory.abi);

interface Engine {
  name: "postgres" | "pglite";
  /** Operator account index: each engine has its own vault and nonces. */
  operatorIndex: number;
  /** DATABASE_URL for PostgreSQL; nothing for PGlite (the config's dataDir). */
  env(): NodeJS.ProcessEnv;
  /** Opens the store; PGlite only while no relayer process has it open. */
  open(dataDir: string): Promise<Db>;
}

interface KillRecord {
  /** "starting" kills come this long after spawn; the others this long after "Relayer started". */
  afterMs: number;
  phase: "starting" | "running";
  /** Webhook requests the receiver had not answered when the process died. */
  unansweredWebhooks: number;
  /** Journal rows the dead process left between intended and mined. */
  openTransactions: number;
}

interface ChainEvent {
  id: string;
  name: string;
  escrowId: string;
}

interface StoreSnapshot {
  outbox: { id: string; merchant_id: string | null; type: string; payload: Record<string, unknown> }[];
  deliveries: { event_id: string; status: string }[];
  journal: { kind: string; state: string; nonce: string | null; tx_hash: string | null; data: string }[];
}

let node: HardhatNode;
let pg: ThrowawayPostgres | undefined;

beforeAll(async () => {
  if (!postgresAvailable()) throw new Error("PostgreSQL binaries missing: apt-get install postgresql (CI installs it)");
  [node, pg] = await Promise.all([startHardhatNode(), startThrowawayPostgres()]);
  console.log(`crash test seed ${SEED} (replay: CRASH_SEED=${SEED} npx vitest run test/relayer/runtime/crash.test.ts)`);
});

afterAll(async () => {
  await pg?.stop();
  await node?.stop();
});

/** Resolves true once the process logged "Relayer started", false if it exited first; bounded. */
async function untilStarted(relayer: RelayerProcess): Promise<boolean> {
  const deadline = Date.now() + START_WAIT_MS;
  while (!relayer.started() && Date.now() < deadline) {
    if (await Promise.race([relayer.exited.then(() => true), sleep(50).then(() => false)])) return false;
  }
  return relayer.started();
}

/**
 * Kills the relayer KILLS times at seeded-random moments and starts a new one each time: once while it
 * starts, the other times soon after it started, when it works through what piled up while it was down.
 * `afterKill` runs while no relayer is up; it returns how many journal rows the dead one left open.
 */
async function killRepeatedly(seed: number, start: () => RelayerProcess, afterKill: (pid: number) => Promise<number>, receiver: RecordingReceiver): Promise<KillRecord[]> {
  const rng = seededRandom(seed);
  const kills: KillRecord[] = [];
  const startingKill = rng.int(0, KILLS - 1);
  let relayer = start();
  for (let k = 0; k < KILLS; k++) {
    const phase = k === startingKill ? "starting" : "running";
    const [min, max] = phase === "starting" ? STARTING_KILL_MS : RUNNING_KILL_MS;
    const afterMs = rng.int(min, max);
    if (phase === "running" && !(await untilStarted(relayer))) throw new Error(`relayer ${relayer.pid} did not start:\n${relayer.output().slice(-4_000)}`);
    if (await Promise.race([relayer.exited.then(() => true), sleep(afterMs).then(() => false)])) {
      throw new Error(`relayer ${relayer.pid} exited on its own:\n${relayer.output().slice(-4_000)}`);
    }
    const unansweredWebhooks = receiver.unanswered;
    relayer.kill("SIGKILL");
    expect(await relayer.exited).toBeNull();
    kills.push({ afterMs, phase, unansweredWebhooks, openTransactions: await afterKill(relayer.pid) });
    relayer = start();
  }
  return kills;
}

/**
 * A dead process's leases pass to the next one after their TTL (30 s; deliveries: request timeout +
 * 30 s). The test expires them at once, the state the TTL reaches, so five kills fit in a minute.
 */
async function expireLeasesOf(db: Db, pid: number): Promise<number> {
  const holder = `%:${pid}:%`;
  const open = await db.query(`SELECT id FROM tx_journal WHERE state IN ('intended', 'signed', 'sent', 'mined')`);
  await db.query(`UPDATE ingest_leases SET lease_until = '-infinity' WHERE holder LIKE $1`, [holder]);
  await db.query(`UPDATE tx_sender_leases SET lease_until = '-infinity' WHERE holder LIKE $1`, [holder]);
  await db.query(`UPDATE webhook_deliveries SET lease_until = '-infinity' WHERE status = 'delivering' AND leased_by LIKE $1`, [holder]);
  return open.length;
}

/** The domain events the chain's vault logs imply, with the ids the relayer must give them. */
async function eventsFromChain(fx: VaultFixture): Promise<ChainEvent[]> {
  const logs = await fx.provider.getLogs({ address: fx.vault, fromBlock: fx.deployBlock, toBlock: "latest" });
  const events: ChainEvent[] = [];
  for (const log of logs) {
    const parsed = vaultAbi.parseLog(log);
    const type = parsed && DERIVED_TYPE[parsed.name];
    if (!parsed || !type) continue;
    events.push({ id: domainEventId("local", log.blockHash, log.index, type), name: parsed.name, escrowId: String(parsed.args[0]).toLowerCase() });
  }
  return events;
}

async function readStore(db: Db): Promise<StoreSnapshot> {
  return {
    outbox: await db.query(`SELECT id, merchant_id, type, payload FROM domain_events ORDER BY id`),
    deliveries: await db.query(`SELECT event_id, status FROM webhook_deliveries`),
    journal: await db.query(`SELECT kind, state, nonce, tx_hash, data FROM tx_journal ORDER BY id`),
  };
}

const sorted = (items: Iterable<string>) => [...items].sort();
const countBy = (items: string[]) => Object.fromEntries([...new Set(items)].map((item) => [item, items.filter((i) => i === item).length]));

/** 1. Every outbox event reached the endpoint with its stored body, and nothing else did. */
function expectOutboxDelivered(store: StoreSnapshot, receiver: RecordingReceiver, merchantId: string): void {
  expect(receiver.rejected).toBe(0);
  const outbox = new Map(store.outbox.map((e) => [e.id, e]));
  expect(sorted(new Set(receiver.requests.map((r) => r.id)))).toEqual(sorted(outbox.keys()));
  for (const request of receiver.requests) {
    const event = outbox.get(request.id)!;
    expect({ type: request.type, data: request.data }).toEqual({ type: event.type, data: event.payload });
  }
  expect(store.outbox.filter((e) => e.merchant_id !== merchantId)).toEqual([]);
  expect(sorted(store.deliveries.map((d) => d.event_id))).toEqual(sorted(outbox.keys()));
  expect(store.deliveries.filter((d) => d.status !== "succeeded")).toEqual([]);
}

/** 2. The outbox holds exactly the events the chain's logs imply, under the ids derived from them. */
function expectOutboxMatchesChain(store: StoreSnapshot, chain: ChainEvent[], ledger: Ledger): void {
  expect(sorted(store.outbox.map((e) => e.id))).toEqual(sorted(chain.map((e) => e.id)));
  const count = (name: string) => chain.filter((e) => e.name === name).length;
  expect({ InvoiceSettled: count("InvoiceSettled"), EscrowOpened: count("EscrowOpened"), InvoiceCancelled: count("InvoiceCancelled"), EscrowReleased: count("EscrowReleased") }).toEqual({
    InvoiceSettled: ledger.direct,
    EscrowOpened: ledger.short.size + ledger.long.size,
    InvoiceCancelled: ledger.cancelled,
    EscrowReleased: ledger.released.size,
  });
}

/** 3. A repeat is the same webhook-id with the same body; one chain event or subject sequence never has two ids. */
function expectRepeatsShareIdAndBody(receiver: RecordingReceiver): void {
  const group = (key: (r: RecordingReceiver["requests"][number]) => string, value: (r: RecordingReceiver["requests"][number]) => string) => {
    const groups = new Map<string, Set<string>>();
    for (const r of receiver.requests) groups.set(key(r), (groups.get(key(r)) ?? new Set()).add(value(r)));
    return [...groups.entries()].filter(([, values]) => values.size > 1);
  };
  expect(group((r) => r.id, (r) => r.body)).toEqual([]);
  expect(group((r) => `${r.type}:${String(r.data.txHash)}:${String(r.data.logIndex)}`, (r) => r.id)).toEqual([]);
  expect(group((r) => `${String(r.data.invoiceId)}:${String(r.data.sequence)}`, (r) => r.id)).toEqual([]);
}

/** 4. Each due escrow timed out once, and every transaction of the operator is a journal row sent once. */
async function expectTimeoutsSentOnce(store: StoreSnapshot, chain: ChainEvent[], ledger: Ledger, fx: VaultFixture, operator: string): Promise<number> {
  expect(sorted(chain.filter((e) => e.name === "EscrowTimedOut").map((e) => e.escrowId))).toEqual(sorted(ledger.short));
  expect(store.journal.filter((row) => ["intended", "signed", "sent", "mined"].includes(row.state))).toEqual([]);
  const mined: { nonce: number; escrows: string[]; executed: string[] }[] = [];
  for (const row of store.journal) {
    const receipt = row.tx_hash ? await fx.provider.getTransactionReceipt(row.tx_hash) : null;
    if (!receipt) continue;
    expect(receipt.from.toLowerCase()).toBe(operator);
    const executed = receipt.logs.map((log) => vaultAbi.parseLog(log)).filter((l) => l?.name === "EscrowTimedOut");
    const calls = row.kind === "timeouts" ? (vaultAbi.decodeFunctionData("executeTimeouts", row.data)[0] as { escrowId: string }[]) : [];
    mined.push({ nonce: Number(row.nonce), escrows: calls.map((c) => c.escrowId.toLowerCase()), executed: executed.map((l) => String(l!.args[0]).toLowerCase()) });
  }
  // The operator's nonce counts every transaction it ever sent: each one is a mined journal row.
  const nonce = await fx.provider.getTransactionCount(operator, "latest");
  expect(mined.map((m) => m.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: nonce }, (_, i) => i));
  // No batch carried an escrow another batch had already timed out (the vault would skip it).
  expect(mined.filter((m) => m.escrows.length !== m.executed.length)).toEqual([]);
  expect(sorted(mined.flatMap((m) => m.escrows))).toEqual(sorted(ledger.short));
  return mined.length;
}

const engines: Engine[] = [
  { name: "postgres", operatorIndex: 10, env: () => ({ DATABASE_URL: pg!.url }), open: () => openDb({ databaseUrl: pg!.url }) },
  { name: "pglite", operatorIndex: 11, env: () => ({}), open: (dataDir) => openDb({ dataDir }) },
];

describe.each(engines)("relayer start on $name, SIGKILLed and restarted during a run of payments", (engine) => {
  const operator = HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${engine.operatorIndex}`);
  let dir: string;
  let receiver: RecordingReceiver;
  let fx: VaultFixture;
  let configPath: string;
  let env: NodeJS.ProcessEnv;
  let merchantId: string;
  let relayer: RelayerProcess | undefined;
  const dataDir = () => join(dir, "pglite");

  const withDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = await engine.open(dataDir());
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  /** An admin command, as an operator types it. */
  const cli = async (...args: string[]): Promise<string> => {
    const lines: string[] = [];
    const io = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l), env };
    const code = await runCli([...args, "--config", configPath], io, { untilStopped: async () => "test" });
    expect(code, lines.join("\n")).toBe(0);
    return lines.join("\n");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `relayer-crash-${engine.name}-`));
    fx = await deployVaultFixture(node);
    const delays = seededRandom(SEED + 2);
    receiver = await startRecordingReceiver(() => delays.int(...RECEIVER_DELAY_MS));
    configPath = join(dir, "relayer.config.json");
    const chain = { name: "local", kind: "evm", rpcUrl: node.url, vaultAddress: fx.vault, startBlock: fx.deployBlock, confirmations: 0, timeoutMarginSeconds: 0, pollIntervalMs: 200 };
    const webhooks = { allowPrivateNetworks: true, requestTimeoutMs: 5_000 };
    writeFileSync(configPath, JSON.stringify({ chains: [chain], dataDir: dataDir(), api: { host: "127.0.0.1", port: 0 }, webhooks, logLevel: "info" }));
    const { DATABASE_URL: _inherited, ...base } = process.env;
    env = { ...base, ...engine.env(), RELAYER_MASTER_KEY: MASTER_KEY, OPERATOR_PRIVATE_KEY: operator.privateKey, LOG_LEVEL: "info" };
    await cli("migrate");
    const created = await cli("merchant", "create", "--name", "Crash shop", "--address", `local:${await fx.merchant.getAddress()}`);
    merchantId = /Created merchant (mer_\w+)/.exec(created)![1]!;
    const added = await cli("webhook", "add", "--merchant", merchantId, "--url", receiver.url);
    receiver.setSecret(/signing secret: (whsec_\S+)/.exec(added)![1]!);
  });

  afterAll(async () => {
    relayer?.kill("SIGKILL");
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("delivers every event of the chain, repeats only under one webhook-id, and sends every timeout once", { timeout: 150_000 }, async () => {
    const startedAt = Date.now();
    const at = async <T>(work: Promise<T>): Promise<[T, number]> => [await work, Date.now() - startedAt];
    const start = () => (relayer = spawnRelayer(configPath, env));
    await node.rpc("evm_setAutomine", [false]);
    await node.rpc("evm_setIntervalMining", [BLOCK_INTERVAL_MS]);
    const [[ledger, paidAt], [kills, killedAt]] = await Promise.all([
      at(makePayments(node, fx, planPayments(SEED, PLAN), PLAN.longHoldSeconds)),
      at(killRepeatedly(SEED + 1, start, (pid) => withDb((db) => expireLeasesOf(db, pid)), receiver)),
    ]).finally(async () => {
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [true]);
    });

    // Every short hold comes due; the last relayer finishes the work without further kills. It must be
    // up first: earlier ones may have finished everything already, and a stop must find it running.
    if (!(await untilStarted(relayer!))) throw new Error(`the last relayer did not start:\n${relayer!.output().slice(-4_000)}`);
    await node.rpc("evm_increaseTime", [PLAN.shortHoldSeconds[1] + 60]);
    await node.rpc("evm_mine");
    let chain: ChainEvent[] = [];
    const received = () => new Set(receiver.requests.map((r) => r.id));
    await pollUntil(
      "every short hold timed out on chain and every chain event delivered",
      FINAL_WAIT_MS,
      async () => {
        chain = await eventsFromChain(fx);
        const timedOut = new Set(chain.filter((e) => e.name === "EscrowTimedOut").map((e) => e.escrowId));
        return [...ledger.short].every((id) => timedOut.has(id)) && chain.every((e) => received().has(e.id));
      },
      () => `chain events: ${chain.length}, received ids: ${received().size}\n${relayer!.output().slice(-4_000)}`,
    );
    const settledAt = Date.now() - startedAt;
    relayer!.kill("SIGTERM");
    const code = await Promise.race([relayer!.exited, sleep(STOP_WAIT_MS).then(() => "still running")]);
    expect(code, relayer!.output().slice(-4_000)).toBe(0);

    const store = await withDb(readStore);
    expectOutboxDelivered(store, receiver, merchantId);
    expectOutboxMatchesChain(store, chain, ledger);
    expectRepeatsShareIdAndBody(receiver);
    const transactions = await expectTimeoutsSentOnce(store, chain, ledger, fx, operator.address.toLowerCase());

    // 5. Repeats are allowed (delivery is at least once): report them.
    const duplicates = receiver.requests.length - received().size;
    const killed = kills.map((k) => `${k.afterMs} ms after ${k.phase === "starting" ? "spawn" : "start"} (${k.unansweredWebhooks} webhooks in flight, ${k.openTransactions} open txs)`);
    console.log(
      `crash test [${engine.name}] seed ${SEED}: ${kills.length} kills, ${killed.join(", ")}; ${store.outbox.length} events (${ledger.short.size} timeouts in ${transactions} transactions), ` +
        `${receiver.requests.length} requests, ${duplicates} duplicates; journal ${JSON.stringify(countBy(store.journal.map((row) => row.state)))}; ` +
        `payments done at ${paidAt} ms, kills at ${killedAt} ms, all delivered at ${settledAt} ms, checked at ${Date.now() - startedAt} ms`,
    );
  });
});
