import { spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhook } from "standardwebhooks";
import type { Escrow } from "../../../scripts/lib/vault-typed-data.js";
import type { HardhatNode, VaultFixture } from "./hardhat-node.js";

/**
 * Pieces of the crash test (test/relayer/runtime/crash.test.ts): a seeded random source, a seeded plan
 * of payments and the loop that makes them on chain, a webhook receiver that records every request
 * (duplicates included) after verifying it with the official `standardwebhooks` library, and
 * `relayer start` run as a child process the way an operator runs it.
 */

/** Output kept per relayer process for the failure message; older lines are dropped. */
const MAX_OUTPUT_CHARS = 200_000;

/** mulberry32: a small seeded generator, so a failing run can be replayed with the same seed. */
export function seededRandom(seed: number): { next(): number; int(min: number, max: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

export interface PaymentPlanOptions {
  payments: number;
  /** Pause before each payment, ms. */
  pauseMs: readonly [number, number];
  /** Chance that chain time jumps ahead before a payment, and by how much (seconds). */
  timeJumpChance: number;
  timeJumpSeconds: readonly [number, number];
  /** Holds the relayer must time out during the run; long holds never come due. */
  shortHoldSeconds: readonly [number, number];
  longHoldSeconds: number;
}

type Payment = { kind: "direct" } | { kind: "short"; hold: number; action: 0 | 1 } | { kind: "long"; releaseAfter: number | null } | { kind: "cancel" };

export interface PaymentStep {
  payment: Payment;
  pauseMs: number;
  jumpSeconds: number;
}

/** What the payments did on chain, to compare with what the chain and the relayer report. */
export interface Ledger {
  /** Invoices settled at once (hold period 0). */
  direct: number;
  cancelled: number;
  /** Escrow ids whose hold ends during the run: the relayer times them out. */
  short: Set<string>;
  long: Set<string>;
  /** Long holds the payer released. */
  released: Set<string>;
}

/** 20 % settled at once, 40 % short holds (release or refund on timeout), 25 % long holds (half released by the payer later), 15 % cancelled. */
export function planPayments(seed: number, options: PaymentPlanOptions): PaymentStep[] {
  const rng = seededRandom(seed);
  return Array.from({ length: options.payments }, (_, index) => {
    const roll = rng.next();
    const payment: Payment =
      roll < 0.2
        ? { kind: "direct" }
        : roll < 0.6
          ? { kind: "short", hold: rng.int(...options.shortHoldSeconds), action: rng.next() < 0.5 ? 0 : 1 }
          : roll < 0.85
            ? { kind: "long", releaseAfter: rng.next() < 0.5 ? index + rng.int(2, 10) : null }
            : { kind: "cancel" };
    const jumpSeconds = rng.next() < options.timeJumpChance ? rng.int(...options.timeJumpSeconds) : 0;
    return { payment, pauseMs: rng.int(...options.pauseMs), jumpSeconds };
  });
}

/** Pays, cancels and releases as merchants and payers do, whether the relayer is up or not. */
export async function makePayments(node: HardhatNode, fx: VaultFixture, steps: PaymentStep[], longHoldSeconds: number): Promise<Ledger> {
  const ledger: Ledger = { direct: 0, cancelled: 0, short: new Set(), long: new Set(), released: new Set() };
  const releases: { at: number; escrowId: string; escrow: Escrow }[] = [];
  const release = async (r: { escrowId: string; escrow: Escrow }) => {
    await fx.send(fx.payer, "release", r.escrowId, r.escrow, r.escrow.remaining);
    ledger.released.add(r.escrowId);
  };
  for (const [index, step] of steps.entries()) {
    await sleep(step.pauseMs);
    if (step.jumpSeconds > 0) await node.rpc("evm_increaseTime", [step.jumpSeconds]);
    const { payment } = step;
    if (payment.kind === "cancel") {
      await fx.cancelInvoice();
      ledger.cancelled += 1;
    } else if (payment.kind === "direct") {
      await fx.payInvoice({ holdPeriod: 0 });
      ledger.direct += 1;
    } else {
      const short = payment.kind === "short";
      const paid = await fx.payInvoice({ holdPeriod: short ? payment.hold : longHoldSeconds, timeoutAction: short ? payment.action : 0 });
      (short ? ledger.short : ledger.long).add(paid.invoiceId);
      if (payment.kind === "long" && payment.releaseAfter !== null) releases.push({ at: payment.releaseAfter, escrowId: paid.invoiceId, escrow: paid.escrow! });
    }
    for (const due of releases.filter((r) => r.at === index)) await release(due);
  }
  for (const late of releases.filter((r) => r.at >= steps.length)) await release(late);
  return ledger;
}

export interface RecordedWebhook {
  id: string;
  type: string;
  body: string;
  data: Record<string, unknown>;
}

export interface RecordingReceiver {
  url: string;
  /** Every verified request in arrival order, repeats included. */
  requests: RecordedWebhook[];
  /** Requests that failed verification (or arrived before the secret was set). */
  rejected: number;
  /** Requests recorded but not answered yet: a kill now makes the relayer send them again. */
  unanswered: number;
  setSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * A merchant's endpoint on 127.0.0.1. It answers 200 to every verified request after `delay()` ms,
 * which widens the window in which a killed relayer has sent a webhook but not recorded it.
 */
export async function startRecordingReceiver(delay: () => number): Promise<RecordingReceiver> {
  let verifier: Webhook | undefined;
  const receiver: RecordingReceiver = {
    url: "",
    requests: [],
    rejected: 0,
    unanswered: 0,
    setSecret: (secret) => {
      verifier = new Webhook(secret);
    },
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    void readBody(req).then(async (body) => {
      const headers = { "webhook-id": header(req, "webhook-id"), "webhook-timestamp": header(req, "webhook-timestamp"), "webhook-signature": header(req, "webhook-signature") };
      let payload: { type?: unknown; data?: unknown };
      try {
        if (!verifier) throw new Error("no secret yet");
        payload = verifier.verify(body, headers) as typeof payload;
      } catch {
        receiver.rejected += 1;
        res.writeHead(401).end();
        return;
      }
      receiver.requests.push({ id: headers["webhook-id"], type: String(payload.type), body, data: payload.data as Record<string, unknown> });
      receiver.unanswered += 1;
      await new Promise((resolve) => setTimeout(resolve, delay()));
      receiver.unanswered -= 1;
      res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export interface RelayerProcess {
  pid: number;
  /** Whether "Relayer started" was logged. */
  started(): boolean;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/** `relayer start --config <file>` through the real CLI entry point, in its own process. */
export function spawnRelayer(configPath: string, env: NodeJS.ProcessEnv): RelayerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "relayer/src/cli.ts", "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  let started = false;
  const append = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (!started && output.includes('"msg":"Relayer started"')) started = true;
    if (output.length > MAX_OUTPUT_CHARS) output = output.slice(-MAX_OUTPUT_CHARS / 2);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  // A test runner that dies mid-run must not leave a relayer behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolve(code);
    }),
  );
  if (child.pid === undefined) throw new Error("could not spawn the relayer");
  return { pid: child.pid, started: () => started, exited, output: () => output, kill: (signal) => void child.kill(signal) };
}

/** Polls `probe` until it returns true; throws with `describe()` after `timeoutMs`. */
export async function pollUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>, describe: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. ${describe()}`);
}
