import { describe, expect, it } from "vitest";
import { freeBalanceDelta } from "../../../relayer/src/domain/p2p-desk.js";
import { holdsOffChainReservation, MAX_MATCH_ATTEMPTS, OrderTransitionError, transition, type OrderInput, type OrderState } from "../../../relayer/src/domain/p2p-order.js";

const created = (overrides: Partial<OrderState> = {}): OrderState => ({
  kind: "deposit",
  status: "created",
  amount: 100n,
  acceptorId: null,
  attempt: 0,
  excluded: [],
  deadline: null,
  disputedAt: null,
  payeeAmount: null,
  payerAmount: null,
  reason: null,
  ...overrides,
});

/** Runs inputs in order and returns the final state and every event type emitted. */
function run(state: OrderState, inputs: OrderInput[]) {
  const types: string[] = [];
  for (const input of inputs) {
    const t = transition(state, input);
    types.push(...t.events.map((e) => e.type));
    state = t.state;
  }
  return { state, types };
}

const match = (acceptorId = "acc_1", autoAccept = false): OrderInput => ({ type: "match", acceptorId, autoAccept });

describe("P2P order state machine", () => {
  it("a deposit goes created → matched → reserving → reserved → paid_marked → confirmed → released with one webhook per step", () => {
    const { state, types } = run(created(), [
      match(),
      { type: "accept", by: "acceptor" },
      { type: "desk.reserved", deadline: 1_000n },
      { type: "mark_paid", by: "platform" },
      { type: "confirm", by: "acceptor" },
      { type: "desk.confirmed" },
    ]);
    expect(state).toMatchObject({ status: "released", acceptorId: "acc_1", attempt: 1, deadline: 1_000n });
    expect(types).toEqual(["order.matched", "order.reserved", "order.paid_marked", "order.confirmed", "order.released"]);
  });

  it("accepting queues the reservation; an auto-accepting acceptor skips the accept", () => {
    const matched = transition(created(), match()).state;
    expect(transition(matched, { type: "accept", by: "acceptor" }).effects).toMatchObject({ queueReservation: true });
    const auto = transition(created(), match("acc_1", true));
    expect(auto.state.status).toBe("reserving");
    expect(auto.effects.queueReservation).toBe(true);
  });

  it("the withdrawal flow mirrors the parties: the acceptor marks paid and the platform confirms", () => {
    const reserved = run(created({ kind: "withdrawal" }), [match(), { type: "accept", by: "acceptor" }, { type: "desk.reserved", deadline: 5n }]).state;
    expect(() => transition(reserved, { type: "mark_paid", by: "platform" })).toThrow(new OrderTransitionError("reserved", "mark_paid", "The acceptor marks a withdrawal paid."));
    const paid = transition(reserved, { type: "mark_paid", by: "acceptor" }).state;
    expect(() => transition(paid, { type: "confirm", by: "acceptor" })).toThrow(/The platform confirms its user received the fiat/);
    const confirmed = transition(paid, { type: "confirm", by: "platform" });
    expect(confirmed.effects.queueConfirm).toBe(true);
    expect(transition(confirmed.state, { type: "desk.confirmed" }).state.status).toBe("released");
  });

  it.each([
    ["a decline", { type: "decline", by: "acceptor", reason: "offline bank" } as OrderInput, "declined: offline bank"],
    ["an accept timeout", { type: "accept_timeout" } as OrderInput, "the acceptor did not accept in time"],
  ])("%s sends the order back to be matched without that acceptor and frees its slot", (_name, input, reason) => {
    const t = transition(transition(created(), match("acc_1")).state, input);
    expect(t.state).toMatchObject({ status: "created", acceptorId: null, excluded: ["acc_1"], reason, attempt: 1 });
    expect(t.effects).toMatchObject({ freeSlot: "previous", acceptorOutcome: "failed" });
    expect(t.events).toEqual([{ type: "order.rematching", audience: ["platform", "acceptor"], data: { reason, attempt: 1 } }]);
  });

  it("a failed reservation re-matches; after MAX_MATCH_ATTEMPTS the order fails", () => {
    let state = created();
    for (let i = 1; i < MAX_MATCH_ATTEMPTS; i++) {
      state = run(state, [match(`acc_${i}`, true), { type: "desk.reservation_failed", reason: "0xdeadbeef" }]).state;
      expect(state).toMatchObject({ status: "created", attempt: i });
    }
    const last = run(state, [match("acc_last", true), { type: "desk.reservation_failed", reason: "0xdeadbeef" }]);
    expect(last.state).toMatchObject({ status: "failed", excluded: ["acc_1", "acc_2", "acc_3", "acc_4", "acc_last"] });
    expect(last.types.at(-1)).toBe("order.failed");
  });

  it("disputes resolve with the split, and expiry and cancellation close the order", () => {
    const reserved = run(created(), [match("a", true), { type: "desk.reserved", deadline: 9n }]).state;
    const disputed = run(reserved, [{ type: "mark_paid", by: "platform" }, { type: "desk.disputed", disputedAt: 7n }]);
    expect(disputed.state).toMatchObject({ status: "disputed", disputedAt: 7n });
    const resolved = transition(disputed.state, { type: "desk.resolved", payeeAmount: 60n, payerAmount: 40n });
    expect(resolved.state).toMatchObject({ status: "resolved", payeeAmount: 60n, payerAmount: 40n });
    expect(resolved.events[0]).toMatchObject({ type: "order.resolved", data: { payeeAmount: "60", payerAmount: "40" } });
    expect(resolved.effects.freeSlot).toBe("closed");
    expect(transition(reserved, { type: "desk.expired" }).events[0]).toMatchObject({ type: "order.expired", data: { onChain: true } });
    expect(transition(reserved, { type: "desk.cancelled", by: "platform" }).state.status).toBe("cancelled");
    expect(transition(reserved, { type: "desk.extended", newDeadline: 99n }).state.deadline).toBe(99n);
  });

  it("a confirmation seen only on chain still tells the platform order.confirmed before order.released", () => {
    const reserved = run(created(), [match("a", true), { type: "desk.reserved", deadline: 9n }]).state;
    expect(transition(reserved, { type: "desk.confirmed" }).events.map((e) => e.type)).toEqual(["order.confirmed", "order.released"]);
  });

  it("desk events on a closed order are ignored (replays are harmless)", () => {
    const released = run(created(), [match("a", true), { type: "desk.reserved", deadline: 9n }, { type: "desk.confirmed" }]).state;
    const replay = transition(released, { type: "desk.confirmed" });
    expect(replay.state).toBe(released);
    expect(replay.events).toEqual([]);
  });

  it("refuses actions out of turn, saying what to do", () => {
    expect(() => transition(created(), { type: "accept", by: "acceptor" })).toThrow(new OrderTransitionError("created", "accept", "Accept an order while it is matched to you."));
    expect(() => transition(created(), { type: "accept", by: "platform" })).toThrow(/Only the matched acceptor accepts/);
    expect(() => transition(created(), { type: "confirm", by: "acceptor" })).toThrow(/Confirm an order that is reserved/);
    const matched = transition(created(), match()).state;
    expect(() => transition(matched, { type: "mark_paid", by: "platform" })).toThrow(/Mark an order paid once it is reserved/);
    expect(() => transition(matched, { type: "expire_unmatched" })).toThrow(OrderTransitionError);
  });

  it("unmatched orders expire or fail off chain, telling only the platform", () => {
    expect(transition(created(), { type: "expire_unmatched" }).events).toEqual([{ type: "order.expired", audience: ["platform"], data: { onChain: false } }]);
    expect(transition(created(), { type: "fail", reason: "blocked" }).state).toMatchObject({ status: "failed", reason: "blocked" });
  });

  it("a deposit holds liquidity off chain only while matched or reserving", () => {
    expect(holdsOffChainReservation({ kind: "deposit", status: "matched" })).toBe(true);
    expect(holdsOffChainReservation({ kind: "deposit", status: "reserving" })).toBe(true);
    expect(holdsOffChainReservation({ kind: "deposit", status: "reserved" })).toBe(false);
    expect(holdsOffChainReservation({ kind: "withdrawal", status: "matched" })).toBe(false);
  });
});

describe("freeBalanceDelta", () => {
  const base = { orderId: "0x1", acceptor: "0xa", slot: 0n };
  it("follows the desk's table for deposits and withdrawals", () => {
    expect(freeBalanceDelta({ name: "LiquidityDeposited", acceptor: "0xa", token: "0xt", amount: 5n }, null)).toBe(5n);
    expect(freeBalanceDelta({ name: "LiquidityWithdrawn", acceptor: "0xa", token: "0xt", to: "0xb", amount: 5n }, null)).toBe(-5n);
    const deposit = { kind: "deposit" as const, amount: 100n };
    const withdrawal = { kind: "withdrawal" as const, amount: 100n };
    expect(freeBalanceDelta({ name: "OrderConfirmed", ...base, by: "0xa" }, deposit)).toBe(0n);
    expect(freeBalanceDelta({ name: "OrderConfirmed", ...base, by: "0xp" }, withdrawal)).toBe(100n);
    expect(freeBalanceDelta({ name: "OrderExpired", ...base }, deposit)).toBe(100n);
    expect(freeBalanceDelta({ name: "OrderCancelled", ...base, by: "0xp" }, withdrawal)).toBe(0n);
    expect(freeBalanceDelta({ name: "OrderResolved", ...base, payeeAmount: 70n, payerAmount: 30n }, deposit)).toBe(30n);
    expect(freeBalanceDelta({ name: "OrderResolved", ...base, payeeAmount: 70n, payerAmount: 30n }, withdrawal)).toBe(70n);
  });
});
