import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "../common/context.js";
import type { Db } from "../store/db.js";
import type { UnnumberedEvent } from "../store/outbox-rows.js";
import { selectBlocked } from "../store/p2p-acceptors-repository.js";
import {
  addDayUsage,
  allocateSlots,
  claimAcceptTimeouts,
  claimOrdersToMatch,
  deferOrders,
  lockCandidates,
  reserveLiquidity,
  selectAvailable,
  selectCandidates,
  type CandidateRow,
} from "../store/p2p-matching-rows.js";
import { persistTransitions, type AuditEntry, type OrderChange, type P2pOrderRow } from "../store/p2p-orders-repository.js";
import { idleReservationPort, type ReservationPort, type ReservationRequest } from "./ports.js";
import { seededRandom } from "./random.js";
import { auditDetail, book, bucketOf, chooseIn, fiatAmount, rejection, type Available, type Bucket, type Candidate, type OrderToMatch } from "./select.js";
import { applySteps, byChain, hexAddresses, type AddressFormatter, type Step } from "./transitions.js";

/** Orders claimed per batch transaction. */
export const BATCH_SIZE = 250;
/** A matched acceptor has this long to accept before the order is offered to another. */
export const ACCEPT_TIMEOUT_MS = 120_000;
/** An order with no eligible acceptor is looked at again after this. */
export const UNMATCHED_RETRY_MS = 15_000;
/** `run()` sleeps this long when a round found nothing to do. */
export const POLL_INTERVAL_MS = 500;
/** A batch that deadlocks with another engine or a desk transaction is retried this many times. */
const MAX_BATCH_RETRIES = 3;

export interface MatchingEngineOptions {
  /** Seeds the weighted draws: same seed and same store, same choices. Default: random. */
  seed?: number;
  /** Default: 250 (BATCH_SIZE). */
  batchSize?: number;
  /** Names this engine in the audit log. Default: random. */
  engineId?: string;
  /** Default: 120000 (ACCEPT_TIMEOUT_MS). */
  acceptTimeoutMs?: number;
  /** Default: 15000 (UNMATCHED_RETRY_MS). */
  unmatchedRetryMs?: number;
  /** Default: 500 (POLL_INTERVAL_MS). */
  pollIntervalMs?: number;
  /** Default: `() => new Date()`. */
  clock?: () => Date;
  /** Where auto-accepted matches go to be reserved on chain. Default: idle (wait for the lead's journal). */
  reservations?: ReservationPort;
  /** Addresses in webhooks. Default: hex. */
  formatAddress?: AddressFormatter;
}

export interface BatchResult {
  /** Orders claimed by this batch. */
  claimed: number;
  matched: number;
  /** No eligible acceptor now: looked at again after unmatchedRetryMs. */
  unmatchable: number;
  /** Lost a race for liquidity or a slot to another engine: retried next batch. */
  retried: number;
  expired: number;
  failed: number;
}

export interface MatchingEngine {
  /** Claims and matches one batch in one transaction. */
  matchBatch(): Promise<BatchResult>;
  /** Re-matches orders whose acceptor did not accept in time; returns how many. */
  sweepAcceptTimeouts(): Promise<number>;
  /** Matches and sweeps until `ctx.signal` aborts. */
  run(): Promise<void>;
}

interface Plan {
  order: P2pOrderRow;
  candidate: Candidate;
  detail: Record<string, unknown>;
}

const toMatch = (o: P2pOrderRow): OrderToMatch => ({
  orderId: o.orderId,
  platformId: o.platformId,
  kind: o.kind,
  chain: o.chain,
  token: o.token,
  amount: o.amount,
  fiatCurrency: o.fiatCurrency,
  fiatMethod: o.fiatMethod,
  excluded: o.excluded,
});

/**
 * The matching engine: for each open order, a weighted random choice among the acceptors eligible
 * for it (select.ts), recorded with its reasons in the audit log, its liquidity reserved off chain
 * and a slot allocated, all in the batch's one transaction.
 */
export function createMatchingEngine(ctx: Pick<Context, "db" | "logger" | "signal">, options: MatchingEngineOptions = {}): MatchingEngine {
  const seed = options.seed ?? randomBytes(4).readUInt32BE(0);
  const random = seededRandom(seed);
  const engineId = options.engineId ?? `eng_${randomBytes(4).toString("hex")}`;
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const clock = options.clock ?? (() => new Date());
  const port = options.reservations ?? idleReservationPort;
  const format = options.formatAddress ?? hexAddresses;
  const log = ctx.logger.child({ module: "p2p", engine: engineId });

  async function matchIn(tx: Db): Promise<BatchResult> {
    const now = clock();
    const orders = await claimOrdersToMatch(tx, { now, limit: batchSize });
    const result: BatchResult = { claimed: orders.length, matched: 0, unmatchable: 0, retried: 0, expired: 0, failed: 0 };
    if (orders.length === 0) return result;
    const steps = new Map<P2pOrderRow, Step[]>();
    const live: P2pOrderRow[] = [];
    const blockedUsers = await selectBlocked(tx, orders.map((o) => o.platformId), orders.flatMap((o) => [o.userReference, o.beneficiary]));
    for (const order of orders) {
      if (order.matchBy.getTime() <= now.getTime()) {
        steps.set(order, [{ input: { type: "expire_unmatched" } }]);
        result.expired++;
      } else if (blockedUsers.has(`${order.platformId}:user:${order.userReference}`) || blockedUsers.has(`${order.platformId}:address:${order.beneficiary}`)) {
        steps.set(order, [{ input: { type: "fail", reason: "the user or beneficiary is blocklisted" }, decision: "rejected" }]);
        result.failed++;
      } else live.push(order);
    }
    const { plans, unmatched } = await plan(tx, live, now);
    const confirmed = await confirmUnderLocks(tx, plans, now);
    result.retried = plans.length - confirmed.length;
    const slots = await allocateSlots(tx, confirmed.map((p) => ({ orderId: p.order.orderId, chain: p.order.chain, address: p.candidate.address })));
    const placed = confirmed.filter((p) => slots.has(p.order.orderId));
    result.retried += confirmed.length - placed.length;
    await reserveLiquidity(tx, placed.filter((p) => p.order.kind === "deposit").map((p) => ({ chain: p.order.chain, address: p.candidate.address, token: p.order.token, amount: p.order.amount })));
    await addDayUsage(tx, placed.map((p) => ({ acceptorId: p.candidate.acceptorId, amount: p.order.amount })), now);
    for (const p of placed) steps.set(p.order, [matchStep(p, slots.get(p.order.orderId)!, now)]);
    result.matched = placed.length;
    result.unmatchable = unmatched.length;
    await write(tx, steps, now, unmatched);
    return result;
  }

  /** Weighted choices for the batch, in order of creation, booking each into in-memory usage. */
  async function plan(tx: Db, orders: readonly P2pOrderRow[], now: Date): Promise<{ plans: Plan[]; unmatched: { order: P2pOrderRow; detail: Record<string, unknown> }[] }> {
    if (orders.length === 0) return { plans: [], unmatched: [] };
    const rows = await selectCandidates(tx, { platformIds: [...new Set(orders.map((o) => o.platformId))], chains: [...new Set(orders.map((o) => o.chain))], now });
    const { byGroup, available } = await prepare(tx, rows, orders, false);
    const buckets = new Map<string, Bucket>();
    const bucketFor = (order: P2pOrderRow) => {
      const key = `${order.platformId}:${order.chain}:${order.fiatMethod}:${order.fiatCurrency}:${order.token}`;
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = bucketOf(byGroup.get(`${order.platformId}:${order.chain}`) ?? [], order.fiatMethod, order.fiatCurrency, order.token)));
      return bucket;
    };
    const plans: Plan[] = [];
    const unmatched: { order: P2pOrderRow; detail: Record<string, unknown> }[] = [];
    for (const order of orders) {
      const choice = chooseIn(toMatch(order), bucketFor(order), available, random());
      const detail = { engine: engineId, seed, ...auditDetail(choice) };
      if (!choice.acceptor) {
        unmatched.push({ order, detail });
        continue;
      }
      book(toMatch(order), choice.acceptor, available);
      plans.push({ order, candidate: choice.acceptor, detail });
    }
    return { plans, unmatched };
  }

  /** Candidates grouped by platform and chain, their blocklist flags, and the liquidity they have. */
  async function prepare(tx: Db, rows: CandidateRow[], orders: readonly P2pOrderRow[], lock: boolean): Promise<{ byGroup: Map<string, Candidate[]>; available: Available }> {
    const blocked = await selectBlocked(tx, rows.map((r) => r.platformId), rows.map((r) => r.address));
    const byGroup = new Map<string, Candidate[]>();
    for (const row of rows) {
      const key = `${row.platformId}:${row.chain}`;
      const list = byGroup.get(key) ?? [];
      list.push({ ...row, blocked: blocked.has(`${row.platformId}:address:${row.address}`) });
      byGroup.set(key, list);
    }
    const deposits = orders.filter((o) => o.kind === "deposit");
    const available =
      deposits.length === 0 || rows.length === 0
        ? new Map<string, bigint>()
        : await selectAvailable(tx, { chains: rows.map((r) => r.chain), addresses: rows.map((r) => r.address), tokens: deposits.map((o) => o.token), lock });
    return { byGroup, available };
  }

  /**
   * Locks the chosen acceptors, then their liquidity rows, and re-checks every plan against what is
   * committed now, in plan order. A plan another engine invalidated meanwhile is dropped (retried).
   */
  async function confirmUnderLocks(tx: Db, plans: readonly Plan[], now: Date): Promise<Plan[]> {
    if (plans.length === 0) return [];
    const fresh = await lockCandidates(tx, [...new Set(plans.map((p) => p.candidate.acceptorId))], now);
    const { byGroup, available } = await prepare(tx, fresh, plans.map((p) => p.order), true);
    const byId = new Map([...byGroup.values()].flat().map((c) => [c.acceptorId, c]));
    const kept: Plan[] = [];
    for (const p of plans) {
      const candidate = byId.get(p.candidate.acceptorId);
      if (!candidate || rejection(toMatch(p.order), candidate, available) !== null) continue;
      book(toMatch(p.order), candidate, available);
      kept.push({ ...p, candidate });
    }
    return kept;
  }

  function matchStep(p: Plan, slot: { slot: bigint; previous: string }, now: Date): Step {
    const rate = p.candidate.rates[p.order.fiatCurrency]!;
    return {
      input: { type: "match", acceptorId: p.candidate.acceptorId, autoAccept: p.candidate.autoAccept },
      patch: {
        acceptorAddress: p.candidate.address,
        slot: slot.slot,
        slotPrevious: slot.previous,
        fiatAmount: fiatAmount(p.order.amount, p.order.tokenDecimals, rate),
        matchedAt: now,
        acceptBy: p.candidate.autoAccept ? null : new Date(now.getTime() + (options.acceptTimeoutMs ?? ACCEPT_TIMEOUT_MS)),
      },
      decision: "matched",
      detail: { ...p.detail, rate },
    };
  }

  /** Transitions, audit, outbox and queued reservations of a batch; unmatched orders only audited and deferred. */
  async function write(tx: Db, steps: Map<P2pOrderRow, Step[]>, now: Date, unmatched: readonly { order: P2pOrderRow; detail: Record<string, unknown> }[]): Promise<void> {
    const changes: OrderChange[] = [];
    const events = new Map<string, UnnumberedEvent[]>();
    const reservations: ReservationRequest[] = [];
    // Not a transition: an unmatched order stays created; the decision and its reasons are kept.
    const audit: AuditEntry[] = unmatched.map(({ order, detail }) => ({ orderId: order.orderId, platformId: order.platformId, decision: "unmatchable", acceptorId: null, attempt: order.attempt, detail }));
    for (const [order, orderSteps] of steps) {
      const applied = applySteps(order, orderSteps, { now, format });
      changes.push(applied.change);
      audit.push(...applied.audit);
      byChain(order.chain, applied.events, events);
      reservations.push(...applied.reservations);
    }
    await deferOrders(tx, unmatched.map((u) => u.order.orderId), new Date(now.getTime() + (options.unmatchedRetryMs ?? UNMATCHED_RETRY_MS)));
    await persistTransitions(tx, changes, audit, events);
    if (reservations.length > 0) await port.queueReservations(tx, reservations);
  }

  async function withRetry<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ctx.db.transaction(fn);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_BATCH_RETRIES || (code !== "40P01" && code !== "40001")) throw error;
        log.warn({ attempt, code }, "Matching batch conflicted with another transaction; retrying");
      }
    }
  }

  async function sweepIn(tx: Db): Promise<number> {
    const now = clock();
    const due = await claimAcceptTimeouts(tx, { now, limit: batchSize });
    if (due.length === 0) return 0;
    const changes: OrderChange[] = [];
    const audit: AuditEntry[] = [];
    const events = new Map<string, UnnumberedEvent[]>();
    for (const order of due) {
      const applied = applySteps(order, [{ input: { type: "accept_timeout" }, decision: "timed_out", detail: { engine: engineId, acceptBy: order.acceptBy?.toISOString() } }], { now, format });
      changes.push(applied.change);
      audit.push(...applied.audit);
      byChain(order.chain, applied.events, events);
    }
    await persistTransitions(tx, changes, audit, events);
    return due.length;
  }

  return {
    matchBatch: () => withRetry(matchIn),
    sweepAcceptTimeouts: () => withRetry(sweepIn),
    async run() {
      log.info({ seed, batch_size: batchSize }, "Matching engine started");
      while (!ctx.signal.aborted) {
        let busy = false;
        try {
          busy = (await this.sweepAcceptTimeouts()) > 0;
          const batch = await this.matchBatch();
          busy ||= batch.claimed > 0;
          if (batch.matched > 0) log.info({ ...batch }, "Matched orders");
        } catch (error) {
          log.warn({ err: error }, "Matching round failed; retrying next round");
        }
        if (!busy) await sleep(options.pollIntervalMs ?? POLL_INTERVAL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    },
  };
}
