import { describe, expect, it } from "vitest";
import {
  decideRetry,
  ENDPOINT_DISABLE_AFTER_MS,
  jitter,
  JITTER_RATIO,
  MAX_RETRY_AFTER_MS,
  outcomeForStatus,
  parseRetryAfterMs,
  RETRY_DELAYS_MS,
  shouldDisableEndpoint,
} from "../../../relayer/src/webhooks/retry-policy.js";

const now = new Date("2026-11-22T00:00:00.000Z");
const S = 1000;
const H = 3600 * S;
const noJitter = () => 0.5;

describe("retry policy", () => {
  it("follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after the first try, then gives up", () => {
    expect(RETRY_DELAYS_MS).toEqual([5 * S, 300 * S, 1800 * S, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
    const delays: number[] = [];
    for (let attemptCount = 1; attemptCount <= 9; attemptCount++) {
      const decision = decideRetry({ outcome: "http_error", attemptCount, now, random: noJitter });
      if (decision.action !== "retry") throw new Error(`attempt ${attemptCount}: ${decision.action}`);
      delays.push(decision.at.getTime() - now.getTime());
    }
    expect(delays).toEqual(RETRY_DELAYS_MS);
    expect(decideRetry({ outcome: "http_error", attemptCount: 10, now, random: noJitter })).toEqual({ action: "give_up" });
  });

  it("keeps jitter within ±10% of each delay", () => {
    expect(JITTER_RATIO).toBe(0.1);
    for (const base of RETRY_DELAYS_MS) {
      expect(jitter(base, () => 0)).toBe(Math.round(base * 0.9));
      expect(jitter(base, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.1));
      expect(jitter(base, () => 0.999999)).toBeGreaterThan(base);
    }
    for (let i = 0; i < 1000; i++) {
      const decision = decideRetry({ outcome: "timeout", attemptCount: 1, now });
      if (decision.action !== "retry") throw new Error("expected a retry");
      const delay = decision.at.getTime() - now.getTime();
      expect(delay).toBeGreaterThanOrEqual(4500);
      expect(delay).toBeLessThanOrEqual(5500);
    }
  });

  it("treats only 2xx as success, 410 as disabling, 3xx as a redirect failure", () => {
    expect([200, 201, 204, 299].map(outcomeForStatus)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect([301, 302, 307, 308].map(outcomeForStatus)).toEqual(["redirect", "redirect", "redirect", "redirect"]);
    expect(outcomeForStatus(410)).toBe("gone");
    expect([100, 400, 404, 429, 500, 503].map(outcomeForStatus)).toEqual(Array(6).fill("http_error"));
    expect(decideRetry({ outcome: "succeeded", attemptCount: 1, now })).toEqual({ action: "done" });
    expect(decideRetry({ outcome: "gone", attemptCount: 1, now })).toEqual({ action: "disable_endpoint" });
    expect(decideRetry({ outcome: "redirect", attemptCount: 1, now, random: noJitter })).toEqual({ action: "retry", at: new Date(now.getTime() + 5 * S) });
  });

  it("parses Retry-After as seconds or an HTTP date, capped at 24 h", () => {
    expect(parseRetryAfterMs("120", now)).toBe(120 * S);
    expect(parseRetryAfterMs(" 0 ", now)).toBe(0);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 00:10:00 GMT", now)).toBe(600 * S);
    expect(parseRetryAfterMs("Sat, 21 Nov 2026 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs("99999999", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs("Fri, 01 Jan 2027 00:00:00 GMT", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
    expect(parseRetryAfterMs("-5", now)).toBeUndefined();
    expect(parseRetryAfterMs("2026-11-22", now)).toBeUndefined();
  });

  it("waits at least as long as Retry-After asks, never less than the schedule", () => {
    const longer = decideRetry({ outcome: "http_error", attemptCount: 1, now, retryAfter: "120", random: noJitter });
    expect(longer).toEqual({ action: "retry", at: new Date(now.getTime() + 120 * S) });
    const shorter = decideRetry({ outcome: "http_error", attemptCount: 2, now, retryAfter: "1", random: noJitter });
    expect(shorter).toEqual({ action: "retry", at: new Date(now.getTime() + 300 * S) });
    const capped = decideRetry({ outcome: "http_error", attemptCount: 1, now, retryAfter: "31536000", random: noJitter });
    expect(capped).toEqual({ action: "retry", at: new Date(now.getTime() + MAX_RETRY_AFTER_MS) });
    const garbage = decideRetry({ outcome: "http_error", attemptCount: 1, now, retryAfter: "later", random: noJitter });
    expect(garbage).toEqual({ action: "retry", at: new Date(now.getTime() + 5 * S) });
  });

  it("disables an endpoint after 5 days of failures, not before", () => {
    expect(ENDPOINT_DISABLE_AFTER_MS).toBe(5 * 24 * H);
    expect(shouldDisableEndpoint(null, now)).toBe(false);
    expect(shouldDisableEndpoint(new Date(now.getTime() - ENDPOINT_DISABLE_AFTER_MS + 1), now)).toBe(false);
    expect(shouldDisableEndpoint(new Date(now.getTime() - ENDPOINT_DISABLE_AFTER_MS), now)).toBe(true);
  });
});
