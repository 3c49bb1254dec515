import fc from "fast-check";
import { MAX_HOLD_PERIOD_IN_SECONDS, type VersionChoice } from "../model";
import { SetDepositsPaused, SetFee, WithdrawFees } from "./admin-commands";
import { Dispute, ExtendDeadline, MoveFunds, Timeout, TimeoutBatch } from "./escrow-commands";
import { CancelInvoice, CreateInvoice, PayInvoice } from "./invoice-commands";
import { Claim, ToggleBlacklist } from "./payout-commands";
import type { AmountPick, CallerPick, EscrowPick, VaultCommand } from "./picks";
import { TimeJump } from "./time-commands";

/**
 * How fast-check draws commands. Weights are relative within each `fc.oneof`: the common paths get
 * most draws, while edge values (zero, one over, stale copies, strangers as callers) still come up now
 * and then.
 */

const DAY = 24n * 3600n;

const escrowPick: fc.Arbitrary<EscrowPick> = fc.record({
  index: fc.nat(),
  anyState: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
  version: fc.oneof(
    { arbitrary: fc.constant<VersionChoice>("current"), weight: 14 },
    { arbitrary: fc.constant<VersionChoice>("stale"), weight: 1 },
  ),
});

const callerPick = (favourite: "payer" | "payee" | "arbiter"): fc.Arbitrary<CallerPick> =>
  fc.oneof(
    { arbitrary: fc.constant<CallerPick>({ role: favourite }), weight: 8 },
    { arbitrary: fc.constantFrom<CallerPick>({ role: "payer" }, { role: "payee" }, { role: "arbiter" }), weight: 2 },
    { arbitrary: fc.nat().map<CallerPick>((index) => ({ role: "anybody", index })), weight: 1 },
  );

const amountPick: fc.Arbitrary<AmountPick> = fc.oneof(
  { arbitrary: fc.constant<AmountPick>({ kind: "full" }), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 999 }).map<AmountPick>((permille) => ({ kind: "partial", permille })), weight: 4 },
  { arbitrary: fc.constant<AmountPick>({ kind: "one" }), weight: 1 },
  { arbitrary: fc.constant<AmountPick>({ kind: "zero" }), weight: 1 },
  { arbitrary: fc.constant<AmountPick>({ kind: "over" }), weight: 1 },
);

/** Owner actions are mostly by the owner; now and then by someone else, to hit the access checks. */
const mostlyByOwner = fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 });

// ---------------------------------------------------------------- invoices

const invoiceAmount = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: 1000n }), weight: 3 },
  { arbitrary: fc.bigInt({ min: 1n, max: 1_000_000_000n }), weight: 3 },
  { arbitrary: fc.constant(0n), weight: 1 },
);

const createInvoice = fc
  .record({
    merchant: fc.nat(),
    token: fc.nat(),
    amount: invoiceAmount,
    payIn: fc.oneof(
      { arbitrary: fc.bigInt({ min: 0n, max: 3600n }), weight: 4 },
      { arbitrary: fc.bigInt({ min: 0n, max: 20n * DAY }), weight: 4 },
      { arbitrary: fc.constant(-1n), weight: 1 },
    ),
    holdPeriod: fc.oneof(
      { arbitrary: fc.bigInt({ min: 1n, max: 3600n }), weight: 6 },
      { arbitrary: fc.bigInt({ min: 1n, max: 14n * DAY }), weight: 6 },
      { arbitrary: fc.constant(0n), weight: 2 },
      // The longest allowed hold, and one second more.
      { arbitrary: fc.constantFrom(MAX_HOLD_PERIOD_IN_SECONDS, MAX_HOLD_PERIOD_IN_SECONDS + 1n), weight: 1 },
    ),
    refundOnTimeout: fc.boolean(),
    arbiter: fc.oneof(
      { arbitrary: fc.constant({ kind: "none" as const }), weight: 3 },
      { arbitrary: fc.nat().map((index) => ({ kind: "arbiter" as const, index })), weight: 8 },
      { arbitrary: fc.constant({ kind: "merchant" as const }), weight: 1 },
      { arbitrary: fc.nat().map((index) => ({ kind: "actor" as const, index })), weight: 1 },
    ),
    payer: fc.oneof(
      { arbitrary: fc.constant(null), weight: 8 },
      { arbitrary: fc.integer({ min: 0, max: 2 }), weight: 2 },
      { arbitrary: fc.nat(), weight: 1 },
    ),
    forged: fc.oneof({ arbitrary: fc.constant(false), weight: 15 }, { arbitrary: fc.constant(true), weight: 1 }),
    payNow: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 2 }), weight: 6 },
      { arbitrary: fc.nat(), weight: 1 },
      { arbitrary: fc.constant(null), weight: 2 },
    ),
  })
  .map((p) => new CreateInvoice(p));

/** Payers are actors 0-2 in the cast; anybody else pays now and then. */
const payInvoice = fc
  .record({
    invoice: fc.nat(),
    payer: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 2 }), weight: 5 }, { arbitrary: fc.nat(), weight: 1 }),
  })
  .map((p) => new PayInvoice(p));

const cancelInvoice = fc.record({ invoice: fc.nat(), byMerchant: fc.boolean(), other: fc.nat() }).map((p) => new CancelInvoice(p));

// ---------------------------------------------------------------- escrows

const moveFunds = (action: "release" | "refund" | "resolve", favourite: "payer" | "payee" | "arbiter") =>
  fc.record({ action: fc.constant(action), escrow: escrowPick, caller: callerPick(favourite), amount: amountPick }).map((p) => new MoveFunds(p));

const dispute = fc.record({ escrow: escrowPick, caller: callerPick("payer") }).map((p) => new Dispute(p));

const extendDeadline = fc
  .record({
    escrow: escrowPick,
    caller: fc.oneof(callerPick("payee"), callerPick("payer")),
    bySeconds: fc.oneof({ arbitrary: fc.bigInt({ min: 1n, max: 30n * DAY }), weight: 4 }, { arbitrary: fc.constantFrom(0n, -1n), weight: 1 }),
  })
  .map((p) => new ExtendDeadline(p));

const timeout = fc.record({ escrow: escrowPick, caller: fc.nat() }).map((p) => new Timeout(p));

const timeoutBatch = fc
  .record({ escrows: fc.array(escrowPick, { minLength: 1, maxLength: 5 }), caller: fc.nat() })
  .map((p) => new TimeoutBatch(p));

// ---------------------------------------------------------------- owner, fees and deferred payouts

const setDepositsPaused = fc
  .record({
    paused: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    byOwner: mostlyByOwner,
    other: fc.nat(),
  })
  .map((p) => new SetDepositsPaused(p));

const setFee = fc
  .record({
    bps: fc.oneof(fc.constantFrom(0n, 1n, 33n, 250n, 500n, 501n), fc.bigInt({ min: 0n, max: 600n })),
    byOwner: mostlyByOwner,
    other: fc.nat(),
  })
  .map((p) => new SetFee(p));

const withdrawFees = fc.record({ token: fc.nat(), byRecipient: fc.boolean(), other: fc.nat() }).map((p) => new WithdrawFees(p));

const toggleBlacklist = fc
  .record({
    token: fc.nat(),
    actor: fc.nat(),
    party: fc.oneof(
      { arbitrary: fc.record({ escrow: fc.nat(), payee: fc.boolean() }), weight: 3 },
      { arbitrary: fc.constant(null), weight: 1 },
    ),
  })
  .map((p) => new ToggleBlacklist(p));

const claim = fc
  .record({
    owed: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
    recipient: fc.nat(),
    token: fc.nat(),
    to: fc.oneof(
      { arbitrary: fc.constant({ kind: "clean" as const }), weight: 3 },
      { arbitrary: fc.constant({ kind: "self" as const }), weight: 1 },
      { arbitrary: fc.nat().map((index) => ({ kind: "actor" as const, index })), weight: 1 },
    ),
  })
  .map((p) => new Claim(p));

// ---------------------------------------------------------------- time

const timeJump = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: 600n }).map((seconds) => new TimeJump({ kind: "seconds", seconds })), weight: 2 },
  { arbitrary: fc.bigInt({ min: 1n, max: 3n * DAY }).map((seconds) => new TimeJump({ kind: "seconds", seconds })), weight: 2 },
  {
    arbitrary: fc
      .record({ escrow: escrowPick, offset: fc.oneof(fc.constantFrom(-1n, 0n, 1n), fc.bigInt({ min: 1n, max: DAY })) })
      .map((p) => new TimeJump({ kind: "deadline", ...p })),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({ escrow: escrowPick, offset: fc.constantFrom(-1n, 0n, 1n, 3600n) })
      .map((p) => new TimeJump({ kind: "arbitration", ...p })),
    weight: 1,
  },
  {
    arbitrary: fc.record({ invoice: fc.nat(), offset: fc.constantFrom(0n, 1n) }).map((p) => new TimeJump({ kind: "payBy", ...p })),
    weight: 1,
  },
);

/** Every action, weighted so that sequences open escrows early and then work on them. */
export const vaultCommand: fc.Arbitrary<VaultCommand> = fc.oneof(
  { arbitrary: createInvoice, weight: 8 },
  { arbitrary: payInvoice, weight: 3 },
  { arbitrary: cancelInvoice, weight: 1 },
  { arbitrary: moveFunds("release", "payer"), weight: 4 },
  { arbitrary: moveFunds("refund", "payee"), weight: 3 },
  { arbitrary: dispute, weight: 5 },
  { arbitrary: moveFunds("resolve", "arbiter"), weight: 5 },
  { arbitrary: extendDeadline, weight: 2 },
  { arbitrary: timeout, weight: 3 },
  { arbitrary: timeoutBatch, weight: 2 },
  { arbitrary: setDepositsPaused, weight: 2 },
  { arbitrary: toggleBlacklist, weight: 2 },
  { arbitrary: claim, weight: 2 },
  { arbitrary: setFee, weight: 2 },
  { arbitrary: withdrawFees, weight: 1 },
  { arbitrary: timeJump, weight: 5 },
);
