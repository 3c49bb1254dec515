import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChainReader } from "../chains/index.js";
import type { ChainWriter, TxFees } from "../chains/writer.js";
import type { Context } from "../common/context.js";
import { isRetryable } from "../common/errors.js";
import type { TimeoutsRepository } from "../store/timeouts-repository.js";
import { MAX_TIMEOUT_BATCH, buildTimeoutCall } from "./batch.js";
import { createJournal } from "./journal.js";
import { buildActionCall } from "./signed-actions.js";
import { buildSweepCall, MAX_SWEEP_BATCH } from "./sweeps.js";
import type { P2pSender } from "../p2p/chain-calls.js";
import type { InvoiceRecord } from "../store/invoices-repository.js";

export { enqueueSignedAction, type SignedActionInput } from "./signed-actions.js";

/** Wait between ticks when there is nothing to do. */
export const POLL_INTERVAL_MS = 3_000;
/** A sender lease not renewed for this long passes to another process. */
export const SENDER_LEASE_TTL_MS = 30_000;
/** An EVM transaction not mined after this long is replaced with higher fees. */
export const STUCK_AFTER_MS = 90_000;
/** P2P transactions (reservation batches, confirmations) sent per tick. */
const P2P_TXS_PER_TICK = 5;
/** Signed actions sent per tick. */
const ACTIONS_PER_TICK = 10;
/** Backoff after failed ticks: doubles up to the cap. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

export interface TimeoutDriverOptions {
  /** The vault, lower-case 0x hex. */
  vault: string;
  /** EIP-712/TIP-712 chain id (enqueueSignedAction verifies signatures against it). */
  chainId: bigint;
  /** Seconds of chain time past a deadline before the timeout is sent. Default: 30. */
  timeoutMarginSeconds?: number;
  /** Blocks including the receipt's before `confirmed`. Default: 12 (TRON receipts are final). */
  confirmations?: number;
  /** Default: MAX_TIMEOUT_BATCH (50). */
  maxBatch?: number;
  /** Default: STUCK_AFTER_MS. */
  stuckAfterMs?: number;
  maxFeePerGasCapWei?: bigint;
  /** TRON fee limit (sun). Default: the writer's. */
  feeLimitSun?: bigint;
  /** Default: SENDER_LEASE_TTL_MS. */
  leaseTtlMs?: number;
  /** Default: POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** Lease holder id. Default: host:pid:random. */
  holder?: string;
  /** Fee override (tests). Default: the writer's suggestion. */
  fees?: () => Promise<TxFees>;
  /** Wall clock in ms, for stuck detection (tests). Default: Date.now. */
  now?: () => number;
}

export type TimeoutTickResult =
  | { kind: "follower" }
  | { kind: "worked"; reconciled: number; timeoutTxs: number; escrows: number; sweepTxs: number; sweeps: number; p2pTxs: number; actions: number; chainTime: number };

export interface TimeoutDriver {
  readonly holder: string;
  /** One bounded unit: take the sender lease, reconcile the journal, send due timeouts and queued actions. */
  tick(): Promise<TimeoutTickResult>;
  /** Ticks until `ctx.signal` aborts, then gives the lease up. */
  run(): Promise<void>;
}

export interface TimeoutDriverParams {
  chain: string;
  writer: ChainWriter;
  /** Unused today: chain time comes from the writer's node. Kept for a reader-based head later. */
  reader?: ChainReader;
  store: TimeoutsRepository;
  options: TimeoutDriverOptions;
  /** Scan-to-pay: sweep deposit addresses that hold their invoice's amount through this router. */
  sweeps?: {
    /** The DepositRouter, lower-case hex. */
    router: string;
    /** Sweepable invoices at chain time, not carried by a live transaction, with their deposit version. */
    list(chainTime: bigint, limit: number): Promise<{ invoice: InvoiceRecord; version: string }[]>;
  };
  /** P2P: reservations and confirmations the AcceptorDesk is owed. */
  p2p?: P2pSender;
}

/**
 * Drives one chain's timeouts and signed actions through the transaction journal, as the only sender
 * for (chain, operator address) among relayer processes sharing the database.
 */
export function createTimeoutDriver(ctx: Context, params: TimeoutDriverParams): TimeoutDriver {
  const { chain, writer, store, options } = params;
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = ctx.logger.child({ chain, holder, module: "timeouts" });
  const margin = BigInt(options.timeoutMarginSeconds ?? 30);
  const maxBatch = Math.min(options.maxBatch ?? MAX_TIMEOUT_BATCH, MAX_TIMEOUT_BATCH);
  const journal = createJournal({
    writer,
    store,
    log,
    options: {
      chain,
      confirmations: options.confirmations ?? 12,
      stuckAfterMs: options.stuckAfterMs ?? STUCK_AFTER_MS,
      maxFeePerGasCapWei: options.maxFeePerGasCapWei,
      feeLimitSun: options.feeLimitSun,
      fees: options.fees ?? (options.feeLimitSun !== undefined && writer.kind === "tron" ? async () => ({ kind: "tron", feeLimitSun: options.feeLimitSun! }) : undefined),
      now: options.now ?? Date.now,
    },
  });
  let registered = false;

  async function sendTimeouts(before: bigint): Promise<{ txs: number; escrows: number }> {
    const due = await store.listDueUnclaimed(chain, before, maxBatch);
    if (due.length === 0) return { txs: 0, escrows: 0 };
    const subjects = due.map((escrow) => ({ id: escrow.escrowId, version: escrow.updatedTxHash }));
    const row = await journal.submit("timeouts", buildTimeoutCall(options.vault, due), subjects);
    return row ? { txs: 1, escrows: due.length } : { txs: 0, escrows: 0 };
  }

  async function sendSweeps(chainTime: bigint): Promise<{ txs: number; sweeps: number }> {
    if (!params.sweeps) return { txs: 0, sweeps: 0 };
    const due = await params.sweeps.list(chainTime, MAX_SWEEP_BATCH);
    if (due.length === 0) return { txs: 0, sweeps: 0 };
    const subjects = due.map(({ invoice, version }) => ({ id: `sweep:${invoice.invoiceId}`, version }));
    const row = await journal.submit("sweeps", buildSweepCall(params.sweeps.router, due.map((d) => d.invoice)), subjects);
    if (row) log.info({ tx_id: row.id, invoices: due.length }, "Sweeping deposit addresses");
    return row ? { txs: 1, sweeps: due.length } : { txs: 0, sweeps: 0 };
  }

  async function sendP2p(chainTime: bigint): Promise<number> {
    if (!params.p2p) return 0;
    let sent = 0;
    for (let i = 0; i < P2P_TXS_PER_TICK; i++) {
      const next = await params.p2p.next(chainTime);
      if (!next) break;
      const row = await journal.submit("p2p", next.call, next.subjects, (reserved) => next.attach(reserved.id));
      if (row) sent++;
      else await next.notSent("the desk would refuse the call");
    }
    return sent;
  }

  async function sendActions(): Promise<number> {
    await store.requeueOrphanActions(chain);
    let sent = 0;
    for (const action of await store.claimActions(chain, ACTIONS_PER_TICK)) {
      const escrow = await store.getEscrow(chain, action.escrowId);
      if (!escrow || (escrow.status !== "open" && escrow.status !== "disputed")) {
        await store.failAction(action.id, `escrow is ${escrow?.status ?? "unknown"}`);
        continue;
      }
      const subjects = [{ id: `action:${action.id}`, version: "1" }];
      const row = await journal.submit("signed_action", buildActionCall(escrow, action), subjects, (reserved) => store.attachAction(action.id, reserved.id));
      if (row) sent++;
    }
    return sent;
  }

  async function updateMetrics(before: bigint): Promise<void> {
    ctx.metrics.pendingTimeouts.set({ chain }, await store.countDue(chain, before));
    for (const [state, n] of Object.entries(await store.countByState(chain))) ctx.metrics.txJournal.set({ chain, state }, n);
  }

  async function tick(): Promise<TimeoutTickResult> {
    if (!registered) {
      await store.registerChain({ chain, kind: writer.kind, chainId: options.chainId, vault: options.vault });
      registered = true;
    }
    if (!(await store.takeSenderLease(chain, writer.address, holder, options.leaseTtlMs ?? SENDER_LEASE_TTL_MS))) return { kind: "follower" };
    const reconciled = await journal.reconcile();
    const head = await writer.getChainTime();
    const before = BigInt(head.timestamp) - margin;
    const timeouts = await sendTimeouts(before);
    const sweeps = await sendSweeps(BigInt(head.timestamp));
    const p2pTxs = await sendP2p(BigInt(head.timestamp));
    const actions = await sendActions();
    await updateMetrics(before);
    return { kind: "worked", reconciled, timeoutTxs: timeouts.txs, escrows: timeouts.escrows, sweepTxs: sweeps.txs, sweeps: sweeps.sweeps, p2pTxs, actions, chainTime: head.timestamp };
  }

  return {
    holder,
    tick,
    async run() {
      let failures = 0;
      while (!ctx.signal.aborted) {
        let wait = options.pollIntervalMs ?? POLL_INTERVAL_MS;
        try {
          const result = await tick();
          failures = 0;
          if (result.kind === "worked" && (result.timeoutTxs > 0 || result.sweepTxs > 0 || result.p2pTxs > 0 || result.actions > 0)) wait = 0;
        } catch (error) {
          if (!isRetryable(error)) log.error({ err: error }, "Timeout driver tick failed; retrying with backoff");
          else log.warn({ err: error }, "Timeout driver tick failed; retrying");
          wait = Math.min(RETRY_BASE_MS * 2 ** failures++, RETRY_MAX_MS);
        }
        await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
      await store.releaseSenderLease(chain, writer.address, holder).catch(() => undefined);
    },
  };
}
