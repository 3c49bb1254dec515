import type { OrderKind } from "../domain/p2p-order.js";
import type { CandidateRow } from "../store/p2p-matching-rows.js";

/**
 * Which acceptors may take an order, how much each weighs, and the weighted random choice. Pure and
 * deterministic: the same candidates, usage and random draw give the same choice (the engine's
 * seed fixes the draws).
 */

/**
 * Audit entries keep this many of the heaviest candidates (the chosen one, the count and total
 * weight are always kept). Twenty made the audit row the largest write of a matching batch.
 */
export const AUDIT_MAX_CANDIDATES = 5;
/** ...and this many example rejections (the counts by reason are always kept). */
export const AUDIT_MAX_REJECTIONS = 3;

export type RejectionReason =
  | "offline"
  | "excluded"
  | "below_min_amount"
  | "above_max_amount"
  | "daily_limit"
  | "insufficient_liquidity"
  | "method"
  | "currency"
  | "blocklisted"
  | "max_open_orders"
  | "hourly_velocity";

/**
 * An acceptor as the engine sees it: terms plus usage at the time of the batch (as the store reads
 * them), whether it is blocklisted for the order's platform, and the planning walk's number copies.
 * Usage is updated in memory as the batch assigns orders.
 */
export interface Candidate extends CandidateRow {
  blocked: boolean;
  /** Number copies of the amounts for the planning walk: made by chooseIn, kept current by book. */
  fast?: FastTerms;
}

interface FastTerms {
  min: number;
  max: number;
  /** dailyLimit - dayVolume */
  room: number;
}

const fastTerms = (c: Candidate): FastTerms => ({ min: Number(c.minAmount), max: Number(c.maxAmount), room: Number(c.dailyLimit - c.dayVolume) });

/** free - reserved of a desk account per token, keyed "chain:address:token"; updated as orders are assigned. */
export type Available = Map<string, bigint>;
export const liquidityKey = (chain: string, address: string, token: string) => `${chain}:${address}:${token}`;

export interface OrderToMatch {
  orderId: string;
  platformId: string;
  kind: OrderKind;
  chain: string;
  token: string;
  amount: bigint;
  fiatCurrency: string;
  fiatMethod: string;
  excluded: string[];
}

/**
 * The rules that depend only on the acceptor and the order's method and currency: the engine sorts
 * acceptors into buckets by them once per batch, so each order only walks the acceptors that can
 * possibly take it (the counts of the others still reach the audit log).
 */
export function staticRejection(c: Candidate, fiatMethod: string, fiatCurrency: string): RejectionReason | null {
  if (!c.online) return "offline";
  if (c.blocked) return "blocklisted";
  if (!c.fiatMethods.includes(fiatMethod)) return "method";
  if (!c.fiatCurrencies.includes(fiatCurrency) || c.rates[fiatCurrency] === undefined) return "currency";
  return null;
}

/** Why an acceptor may not take the order, or null when it may. Checked in this order. */
export function rejection(order: OrderToMatch, c: Candidate, available: Available): RejectionReason | null {
  return staticRejection(c, order.fiatMethod, order.fiatCurrency) ?? dynamicRejection(order, c, available.get(liquidityKey(c.chain, c.address, order.token)) ?? 0n);
}

/** The rules that change with the order's amount and the acceptor's usage; `free` is its available liquidity. */
function dynamicRejection(order: OrderToMatch, c: Candidate, free: bigint): RejectionReason | null {
  if (order.excluded.length > 0 && order.excluded.includes(c.acceptorId)) return "excluded";
  if (order.amount < c.minAmount) return "below_min_amount";
  if (order.amount > c.maxAmount) return "above_max_amount";
  if (c.dayVolume + order.amount > c.dailyLimit) return "daily_limit";
  if (c.openOrders >= c.maxOpenOrders) return "max_open_orders";
  if (c.hourOrders >= c.maxOrdersPerHour) return "hourly_velocity";
  if (order.kind === "deposit" && free < order.amount) return "insufficient_liquidity";
  return null;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** dynamicRejection for an order whose amount is a safe integer, on Number copies (same answers). */
function fastRejection(order: OrderToMatch, amount: number, c: Candidate, free: bigint): RejectionReason | null {
  if (order.excluded.length > 0 && order.excluded.includes(c.acceptorId)) return "excluded";
  const terms = (c.fast ??= fastTerms(c));
  if (amount < terms.min) return "below_min_amount";
  if (amount > terms.max) return "above_max_amount";
  if (amount > terms.room) return "daily_limit";
  if (c.openOrders >= c.maxOpenOrders) return "max_open_orders";
  if (c.hourOrders >= c.maxOrdersPerHour) return "hourly_velocity";
  if (order.kind === "deposit" && Number(free) < amount) return "insufficient_liquidity";
  return null;
}

/**
 * Completion record with a prior of one success and one failure: a new acceptor scores 0.5, one
 * with 99 releases and 1 failure about 0.98, so a bad record costs real share without ever
 * excluding anybody outright (the limits do that).
 */
export const completionScore = (c: Pick<Candidate, "completedCount" | "failedCount">) => (c.completedCount + 1) / (c.completedCount + c.failedCount + 2);

/**
 * Deposit: available liquidity (in whole-token-ish float units; weights need no precision) times
 * the completion score, so deep and reliable acceptors get proportionally more orders. Withdrawal:
 * the acceptor receives tokens, so liquidity says nothing: the completion score alone.
 */
export function weightOf(order: OrderToMatch, c: Candidate, available: Available): number {
  return weightWith(order, c, available.get(liquidityKey(c.chain, c.address, order.token)) ?? 0n);
}

const weightWith = (order: OrderToMatch, c: Candidate, free: bigint) => (order.kind === "withdrawal" ? completionScore(c) : Number(free) * completionScore(c));

export interface Choice {
  acceptor: Candidate | null;
  /** The chosen acceptor's weight; 0 when none. */
  weight: number;
  candidates: { acceptorId: string; weight: number }[];
  totalWeight: number;
  draw: number;
  rejections: Map<RejectionReason, number>;
  rejectionExamples: [string, RejectionReason][];
}

/**
 * The acceptors that pass the static rules for one (method, currency, token) of a batch, with the
 * counts of the others, and each one's liquidity key built once: building and hashing a fresh key
 * of about ninety characters for every candidate of every order cost ten times the rest of the walk.
 */
export interface Bucket {
  candidates: Candidate[];
  keys: string[];
  counts: ReadonlyMap<RejectionReason, number>;
  examples: readonly [string, RejectionReason][];
}

/** Sorts `all` (in their order) into the bucket of one method, currency and token. */
export function bucketOf(all: readonly Candidate[], fiatMethod: string, fiatCurrency: string, token: string): Bucket {
  const bucket = { candidates: [] as Candidate[], keys: [] as string[], counts: new Map<RejectionReason, number>(), examples: [] as [string, RejectionReason][] };
  for (const c of all) {
    const reason = staticRejection(c, fiatMethod, fiatCurrency);
    if (!reason) {
      bucket.candidates.push(c);
      bucket.keys.push(liquidityKey(c.chain, c.address, token));
      continue;
    }
    bucket.counts.set(reason, (bucket.counts.get(reason) ?? 0) + 1);
    if (bucket.examples.length < AUDIT_MAX_REJECTIONS) bucket.examples.push([c.acceptorId, reason]);
  }
  return bucket;
}

/** Weighted choice among the eligible candidates (in the given order) with one draw in [0, 1). */
export function choose(order: OrderToMatch, candidates: readonly Candidate[], available: Available, draw: number): Choice {
  return chooseIn(order, bucketOf(candidates, order.fiatMethod, order.fiatCurrency, order.token), available, draw);
}

/** `choose` within a bucket made for the order's method, currency and token (static rejections first, then the rest). */
export function chooseIn(order: OrderToMatch, bucket: Bucket, available: Available, draw: number): Choice {
  // Parallel arrays: one object per eligible candidate instead of two (allocation showed in profiles).
  const candidates: { acceptorId: string; weight: number }[] = [];
  const eligible: Candidate[] = [];
  let totalWeight = 0;
  const rejections = new Map<RejectionReason, number>(bucket.counts);
  const rejectionExamples: [string, RejectionReason][] = [...bucket.examples];
  const deposit = order.kind === "deposit";
  // Bigint comparisons and sums cost most of the walk. Comparing a safe integer with Number(x) gives
  // the same answer as comparing the bigints (rounding is monotonic and every integer up to 2^53 is
  // a double), so amounts that fit take the number path; the re-check under locks is always bigint.
  const fast = order.amount <= MAX_SAFE && order.amount >= -MAX_SAFE;
  const amount = Number(order.amount);
  for (let i = 0; i < bucket.candidates.length; i++) {
    const c = bucket.candidates[i]!;
    const free = deposit ? (available.get(bucket.keys[i]!) ?? 0n) : 0n;
    const reason = fast ? fastRejection(order, amount, c, free) : dynamicRejection(order, c, free);
    if (reason) {
      rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
      if (rejectionExamples.length < AUDIT_MAX_REJECTIONS) rejectionExamples.push([c.acceptorId, reason]);
      continue;
    }
    const weight = weightWith(order, c, free);
    candidates.push({ acceptorId: c.acceptorId, weight });
    eligible.push(c);
    totalWeight += weight;
  }
  let acceptor: Candidate | null = null;
  let weight = 0;
  if (eligible.length > 0) {
    // A zero total (every eligible acceptor with a zero weight) cannot happen for deposits (liquidity
    // >= amount > 0) nor withdrawals (score > 0); pick uniformly then, rather than nobody.
    let point = totalWeight > 0 ? draw * totalWeight : draw * eligible.length;
    let chosen = eligible.length - 1;
    for (let i = 0; i < candidates.length; i++) {
      point -= totalWeight > 0 ? candidates[i]!.weight : 1;
      if (point < 0) {
        chosen = i;
        break;
      }
    }
    acceptor = eligible[chosen]!;
    weight = candidates[chosen]!.weight;
  }
  return { acceptor, weight, candidates, totalWeight, draw, rejections, rejectionExamples };
}

/** Books an assignment into the in-memory usage so the rest of the batch sees it. */
export function book(order: OrderToMatch, c: Candidate, available: Available): void {
  c.dayVolume += order.amount;
  if (c.fast) c.fast.room = Number(c.dailyLimit - c.dayVolume);
  c.openOrders += 1;
  c.hourOrders += 1;
  if (order.kind === "deposit") {
    const key = liquidityKey(c.chain, c.address, order.token);
    available.set(key, (available.get(key) ?? 0n) - order.amount);
  }
}

/** What the audit log keeps of a choice: the heaviest candidates, totals, rejection counts and examples. */
export function auditDetail(choice: Choice): Record<string, unknown> {
  const top = heaviest(choice.candidates, AUDIT_MAX_CANDIDATES);
  return {
    ...(choice.acceptor ? { chosen: [choice.acceptor.acceptorId, round(choice.weight)] } : {}),
    candidates: top.map((c) => [c.acceptorId, round(c.weight)]),
    candidateCount: choice.candidates.length,
    totalWeight: round(choice.totalWeight),
    draw: round(choice.draw),
    rejections: Object.fromEntries(choice.rejections),
    rejectionExamples: choice.rejectionExamples,
  };
}

/** The n heaviest, heaviest first: one pass with a small sorted list instead of sorting them all. */
function heaviest(items: readonly { acceptorId: string; weight: number }[], n: number): { acceptorId: string; weight: number }[] {
  const top: { acceptorId: string; weight: number }[] = [];
  for (const item of items) {
    if (top.length === n && item.weight <= top[n - 1]!.weight) continue;
    let i = top.length;
    while (i > 0 && top[i - 1]!.weight < item.weight) i--;
    top.splice(i, 0, item);
    if (top.length > n) top.pop();
  }
  return top;
}

const round = (x: number) => Number(x.toPrecision(6));

/** Fiat for `amount` token units at `rate` fiat per whole token, rounded half up to `fiatDecimals`. */
export function fiatAmount(amount: bigint, tokenDecimals: number, rate: string, fiatDecimals = 2): string {
  const [whole, fraction = ""] = rate.split(".");
  const rateUnits = BigInt(`${whole}${fraction}`);
  const denominator = 10n ** BigInt(tokenDecimals + fraction.length);
  const scaled = amount * rateUnits * 10n ** BigInt(fiatDecimals);
  const minor = (scaled * 2n + denominator) / (denominator * 2n);
  const text = minor.toString().padStart(fiatDecimals + 1, "0");
  return fiatDecimals === 0 ? text : `${text.slice(0, -fiatDecimals)}.${text.slice(-fiatDecimals)}`;
}
