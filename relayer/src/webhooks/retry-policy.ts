/**
 * When to try a webhook delivery again, and when to give up on it or on its endpoint. Pure: the
 * caller passes the clock and the random source, so tests pin both.
 */

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/** Delays after the first try (Standard Webhooks' example schedule): 10 tries over about 3 days. */
export const RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND_MS,
  5 * MINUTE_MS,
  30 * MINUTE_MS,
  2 * HOUR_MS,
  5 * HOUR_MS,
  10 * HOUR_MS,
  14 * HOUR_MS,
  20 * HOUR_MS,
  24 * HOUR_MS,
];

/** Each delay is stretched or shrunk by up to this fraction so retries of one outage spread out. */
export const JITTER_RATIO = 0.1;

/** A `Retry-After` longer than this is cut to it: a receiver cannot park a delivery for a month. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR_MS;

/** An endpoint whose attempts have all failed for this long is disabled and its merchant told. */
export const ENDPOINT_DISABLE_AFTER_MS = 5 * 24 * HOUR_MS;

/** How one HTTP attempt ended, as far as retrying is concerned. */
export type AttemptOutcome =
  | "succeeded" // 2xx
  | "gone" // 410: the receiver wants no more webhooks
  | "redirect" // 3xx: never followed; the merchant should fix the URL
  | "http_error" // any other status
  | "timeout"
  | "network_error"
  | "refused"; // the SSRF guard refused the address

/** Classifies a response status (undefined: no response arrived). */
export function outcomeForStatus(status: number): AttemptOutcome {
  if (status >= 200 && status <= 299) return "succeeded";
  if (status === 410) return "gone";
  if (status >= 300 && status <= 399) return "redirect";
  return "http_error";
}

export type RetryDecision = { action: "done" } | { action: "retry"; at: Date } | { action: "give_up" } | { action: "disable_endpoint" };

export interface RetryInput {
  outcome: AttemptOutcome;
  /** Attempts made so far for this delivery, including the one that just ended (1 after the first). */
  attemptCount: number;
  now: Date;
  /** The response's `Retry-After` header, if any. */
  retryAfter?: string | undefined;
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
}

/** What to do with a delivery after an attempt. */
export function decideRetry(input: RetryInput): RetryDecision {
  if (input.outcome === "succeeded") return { action: "done" };
  if (input.outcome === "gone") return { action: "disable_endpoint" };
  const base = RETRY_DELAYS_MS[input.attemptCount - 1];
  if (base === undefined) return { action: "give_up" };
  const jittered = jitter(base, input.random ?? Math.random);
  const asked = input.retryAfter === undefined ? undefined : parseRetryAfterMs(input.retryAfter, input.now);
  // The receiver's wish is a floor, never a way to retry sooner than the schedule.
  const delay = Math.max(jittered, asked ?? 0);
  return { action: "retry", at: new Date(input.now.getTime() + delay) };
}

/** `base` scaled by a factor in [1 - JITTER_RATIO, 1 + JITTER_RATIO). */
export function jitter(baseMs: number, random: () => number): number {
  const factor = 1 - JITTER_RATIO + 2 * JITTER_RATIO * random();
  return Math.round(baseMs * factor);
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date, capped at
 * MAX_RETRY_AFTER_MS; undefined when the header is malformed (then only the schedule counts).
 */
export function parseRetryAfterMs(header: string, now: Date): number | undefined {
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value) * SECOND_MS, MAX_RETRY_AFTER_MS);
  // Date.parse accepts many formats; an HTTP date always names a weekday and "GMT".
  if (!/GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now.getTime(), 0), MAX_RETRY_AFTER_MS);
}

/** Whether an endpoint failing since `failingSince` has failed long enough to be disabled. */
export function shouldDisableEndpoint(failingSince: Date | null, now: Date): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= ENDPOINT_DISABLE_AFTER_MS;
}
