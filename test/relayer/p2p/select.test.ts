import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../relayer/src/p2p/random.js";
import { choose, completionScore, fiatAmount, liquidityKey, rejection, weightOf, type Available, type Candidate, type OrderToMatch } from "../../../relayer/src/p2p/select.js";

const TOKEN = "0xt";
const order = (overrides: Partial<OrderToMatch> = {}): OrderToMatch => ({
  orderId: "0x01",
  platformId: "mer_p",
  kind: "deposit",
  chain: "local",
  token: TOKEN,
  amount: 100n,
  fiatCurrency: "EUR",
  fiatMethod: "sepa",
  excluded: [],
  ...overrides,
});
const candidate = (id: string, overrides: Partial<Candidate> = {}): Candidate => ({
  acceptorId: id,
  platformId: "mer_p",
  chain: "local",
  address: `0x${id}`,
  minAmount: 10n,
  maxAmount: 1_000n,
  dailyLimit: 5_000n,
  maxOpenOrders: 5,
  maxOrdersPerHour: 10,
  fiatMethods: ["sepa"],
  fiatCurrencies: ["EUR"],
  rates: { EUR: "0.9" },
  online: true,
  autoAccept: false,
  completedCount: 0,
  failedCount: 0,
  blocked: false,
  dayVolume: 0n,
  openOrders: 0,
  hourOrders: 0,
  ...overrides,
});
const liquidity = (entries: [string, bigint][]): Available => new Map(entries.map(([id, amount]) => [liquidityKey("local", `0x${id}`, TOKEN), amount]));

describe("eligibility", () => {
  const pool = liquidity([["a", 1_000n]]);
  it.each([
    ["offline", { online: false }, {}],
    ["blocklisted", { blocked: true }, {}],
    ["excluded", {}, { excluded: ["a"] }],
    ["method", { fiatMethods: ["pix"] }, {}],
    ["currency", { fiatCurrencies: ["USD"] }, {}],
    ["currency", { rates: {} }, {}],
    ["below_min_amount", { minAmount: 101n }, {}],
    ["above_max_amount", { maxAmount: 99n }, {}],
    ["daily_limit", { dayVolume: 4_901n }, {}],
    ["max_open_orders", { openOrders: 5 }, {}],
    ["hourly_velocity", { hourOrders: 10 }, {}],
    ["insufficient_liquidity", { maxAmount: 2_000n }, { amount: 1_001n }],
  ] as [string, Partial<Candidate>, Partial<OrderToMatch>][])("rejects with %s", (reason, c, o) => {
    expect(rejection(order(o), candidate("a", c), pool)).toBe(reason);
  });

  it("accepts an acceptor within every rule; withdrawals need no liquidity", () => {
    expect(rejection(order(), candidate("a"), pool)).toBeNull();
    expect(rejection(order({ kind: "withdrawal" }), candidate("a"), new Map())).toBeNull();
  });
});

describe("weights", () => {
  it("deposits weigh liquidity times the completion record; withdrawals the record alone", () => {
    const pool = liquidity([["a", 1_000n]]);
    expect(completionScore({ completedCount: 0, failedCount: 0 })).toBe(0.5);
    expect(completionScore({ completedCount: 98, failedCount: 0 })).toBeCloseTo(0.99);
    expect(weightOf(order(), candidate("a", { completedCount: 8, failedCount: 0 }), pool)).toBeCloseTo(900);
    expect(weightOf(order({ kind: "withdrawal" }), candidate("a", { completedCount: 8, failedCount: 0 }), pool)).toBeCloseTo(0.9);
  });

  it("chooses in proportion to weight (seeded, 20,000 draws, within 2 percentage points)", () => {
    // Weights 1 : 2 : 1: 2,000 x 0.5, 4,000 x 0.5, and 4,000 x 0.25 (two failures, no completions).
    const cands = [candidate("a"), candidate("b"), candidate("c", { completedCount: 0, failedCount: 2 })];
    const pool = liquidity([
      ["a", 2_000n],
      ["b", 4_000n],
      ["c", 4_000n],
    ]);
    const random = seededRandom(11);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[choose(order(), cands, pool, random()).acceptor!.acceptorId]! += 1;
    expect(Math.abs(counts.a! / draws - 0.25)).toBeLessThan(0.02);
    expect(Math.abs(counts.b! / draws - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(counts.c! / draws - 0.25)).toBeLessThan(0.02);
  });

  it("is deterministic under a seed and reports candidates, totals and rejections", () => {
    const cands = [candidate("a"), candidate("b"), candidate("x", { online: false })];
    const pool = liquidity([
      ["a", 500n],
      ["b", 1_500n],
    ]);
    const pick = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => choose(order(), cands, pool, random()).acceptor!.acceptorId).join("");
    };
    expect(pick(5)).toBe(pick(5));
    expect(pick(5)).not.toBe(pick(6));
    const choice = choose(order(), cands, pool, 0.1);
    expect(choice).toMatchObject({ totalWeight: 1_000, candidates: [{ acceptorId: "a", weight: 250 }, { acceptorId: "b", weight: 750 }], rejectionExamples: [["x", "offline"]] });
    expect(choice.acceptor!.acceptorId).toBe("a");
    expect(choose(order(), cands, pool, 0.25).acceptor!.acceptorId).toBe("b");
    expect(choose(order({ amount: 5_000n }), cands, pool, 0.5).acceptor).toBeNull();
  });
});

describe("fiatAmount", () => {
  it("converts token units at a decimal rate, rounding half up to cents", () => {
    expect(fiatAmount(100_000_000n, 6, "0.92")).toBe("92.00");
    expect(fiatAmount(1_234_567n, 6, "36.512")).toBe("45.08");
    expect(fiatAmount(5_000n, 6, "1")).toBe("0.01");
    expect(fiatAmount(4_999n, 6, "1")).toBe("0.00");
    expect(fiatAmount(10n ** 18n, 18, "5.5", 0)).toBe("6");
  });
});
