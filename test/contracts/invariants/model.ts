import { AbiCoder, ZeroAddress, ZeroHash, keccak256 } from "ethers";
import type { Escrow } from "../helpers";

/**
 * A pure TypeScript model of the escrow vault, for the property-based invariant tests.
 *
 * It holds everything the vault and the tokens hold that the tests can observe: every account's token
 * balances, the vault's stored word per invoice id, open escrows, deferred payouts, accrued fees, the
 * fee, the pause flag, the USDT blacklists and the time of the next block. Each action method predicts,
 * from the model state alone, whether the call succeeds (and then the exact vault events and every
 * balance change) or which custom error it reverts with; it applies the effects only on success.
 *
 * The model is written from DESIGN.md section 3 and the NatSpec of the vault, check order included, so
 * that any disagreement with the chain is either a contract bug or a model bug worth reading.
 * No I/O: the driver in commands.ts runs the same action on the chain and compares.
 */

/** Cap on the protocol fee: 5%. */
export const MAX_FEE_BPS = 500n;
/** Basis points in one whole. */
export const BPS_DENOMINATOR = 10_000n;
/** Longest hold period an invoice may ask for: ten years. */
export const MAX_HOLD_PERIOD_IN_SECONDS = 3650n * 24n * 3600n;
/** How long the arbiter has before anyone may refund a disputed escrow. */
export const ARBITRATION_PERIOD_IN_SECONDS = 30n * 24n * 3600n;
/** The word the vault stores for a used invoice or a closed escrow before its pay-by time. */
export const USED_WORD = "0x0000000000000000000000000000000000000000000000000000000000000001";

/** Timeout actions, as the Solidity enum numbers them. */
export const TimeoutAction = { Release: 0n, Refund: 1n } as const;

/** The fee the vault charges on `amount` released to a payee: rounded up. */
export function feeOn(amount: bigint, bps: bigint): bigint {
  if (bps === 0n) return 0n;
  return (amount * bps + BPS_DENOMINATOR - 1n) / BPS_DENOMINATOR;
}

const ESCROW_TUPLE = "tuple(address,address,address,address,uint256,uint48,uint48,uint48,uint16,uint8)";

/** keccak256(abi.encode(escrow)): what the vault stores for an open escrow. */
export function hashEscrow(e: Escrow): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      [ESCROW_TUPLE],
      [[e.token, e.payer, e.payee, e.arbiter, e.remaining, e.payBy, e.deadline, e.disputedAt, e.feeBps, e.timeoutAction]],
    ),
  );
}

/** The last second at which the escrow's timeout is not yet executable. */
export function timeoutExecutableAfter(e: Escrow): bigint {
  return e.disputedAt !== 0n ? e.disputedAt + ARBITRATION_PERIOD_IN_SECONDS : e.deadline;
}

/** An invoice's fields, concrete (no ethers "BigNumberish" unions). */
export interface InvoiceTerms {
  merchant: string;
  token: string;
  amount: bigint;
  payBy: bigint;
  holdPeriod: bigint;
  timeoutAction: bigint;
  arbiter: string;
  payer: string;
  merchantReference: string;
  nonce: bigint;
}

/** An invoice the model knows of: signed off-chain, then maybe paid or cancelled. */
export interface InvoiceRecord {
  /** EIP-712 digest: the invoice id and, once paid, the escrow id. */
  id: string;
  terms: InvoiceTerms;
  /** False when the test signed it with a key that is neither the merchant nor its signer. */
  validSignature: boolean;
}

/** An escrow the model opened, with every version the vault committed to and its money trail. */
export interface EscrowRecord {
  id: string;
  /** Funded amount. */
  amount: bigint;
  /** Every committed version, oldest first; the last is the current one. */
  versions: Escrow[];
  open: boolean;
  /** Gross amount released to the payee (fees included), by party action, resolution or timeout. */
  releasedGross: bigint;
  /** Fees charged on those releases, each one rounded up on its own release. */
  fees: bigint;
  /** Credited to the payee: delivered or deferred. */
  toPayee: bigint;
  /** Credited to the payer: delivered or deferred. */
  toPayer: bigint;
}

/** A vault event as the model expects it: name and positional arguments. */
export interface ExpectedEvent {
  name: string;
  args: readonly unknown[];
}

/** What an action does: succeeds with these vault events, or reverts with this custom error. */
export type Outcome =
  | { ok: true; events: ExpectedEvent[] }
  | { ok: false; error: string; args: readonly unknown[] };

/** Which escrow version an action passes: the current one, or an older one the vault must refuse. */
export type VersionChoice = "current" | "stale";

/** The fixed cast of a model: who owns, who collects fees, which tokens have a blacklist. */
export interface ModelSetup {
  vault: string;
  owner: string;
  feeRecipient: string;
  /** Token addresses; those listed in `blacklistable` behave like USDT (blacklist on both ends). */
  tokens: readonly string[];
  blacklistable: readonly string[];
  /** Every account whose balances the tests watch, with its starting balance per token. */
  balances: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
  /** Time of the next block. */
  now: bigint;
  feeBps: bigint;
}

const ok = (...events: ExpectedEvent[]): Outcome => ({ ok: true, events });
const revert = (error: string, ...args: unknown[]): Outcome => ({ ok: false, error, args });
const ev = (name: string, ...args: unknown[]): ExpectedEvent => ({ name, args });
const key = (address: string) => address.toLowerCase();

/** Counts what happened, so the test can prove that every path it claims to hammer was taken. */
export type Coverage = Map<string, number>;

export class VaultModel {
  /** Timestamp of the next transaction's block; every transaction (mined, reverted or not) adds one. */
  now: bigint;
  paused = false;
  feeBps: bigint;
  readonly setup: ModelSetup;
  /** token -> account -> balance, for the watched accounts and the vault. */
  readonly balances = new Map<string, Map<string, bigint>>();
  readonly accruedFees = new Map<string, bigint>();
  /** token -> recipient -> deferred payout. */
  readonly deferred = new Map<string, Map<string, bigint>>();
  /** token -> blacklisted accounts (USDT-like tokens only). */
  readonly blacklisted = new Map<string, Set<string>>();
  /** invoice id -> stored word; absent means zero. */
  readonly words = new Map<string, string>();
  readonly invoices: InvoiceRecord[] = [];
  readonly escrows: EscrowRecord[] = [];
  readonly coverage: Coverage = new Map();

  constructor(setup: ModelSetup) {
    this.setup = setup;
    this.now = setup.now;
    this.feeBps = setup.feeBps;
    for (const token of setup.tokens) {
      const perAccount = new Map<string, bigint>();
      for (const [account, perToken] of setup.balances) perAccount.set(key(account), perToken.get(token) ?? 0n);
      this.balances.set(token, perAccount);
      this.accruedFees.set(token, 0n);
      this.deferred.set(token, new Map());
      this.blacklisted.set(token, new Set());
    }
  }

  // ---------------------------------------------------------------- reading

  balanceOf(token: string, account: string): bigint {
    return this.balances.get(token)!.get(key(account)) ?? 0n;
  }

  deferredOf(recipient: string, token: string): bigint {
    return this.deferred.get(token)!.get(key(recipient)) ?? 0n;
  }

  wordOf(id: string): string {
    return this.words.get(id) ?? ZeroHash;
  }

  isBlacklisted(token: string, account: string): boolean {
    return this.blacklisted.get(token)!.has(key(account));
  }

  openEscrows(): EscrowRecord[] {
    return this.escrows.filter((e) => e.open);
  }

  current(record: EscrowRecord): Escrow {
    return record.versions[record.versions.length - 1];
  }

  /** The version an action passes: the current one, or the oldest when it differs (a stale copy). */
  version(record: EscrowRecord, choice: VersionChoice): Escrow {
    return choice === "stale" ? record.versions[0] : this.current(record);
  }

  /** What the vault owes in `token`: open escrows' remainders, deferred payouts and accrued fees. */
  liabilities(token: string): { escrowed: bigint; deferred: bigint; fees: bigint } {
    let escrowed = 0n;
    for (const record of this.openEscrows()) {
      const e = this.current(record);
      if (e.token === token) escrowed += e.remaining;
    }
    let deferred = 0n;
    for (const amount of this.deferred.get(token)!.values()) deferred += amount;
    return { escrowed, deferred, fees: this.accruedFees.get(token)! };
  }

  count(label: string): void {
    this.coverage.set(label, (this.coverage.get(label) ?? 0) + 1);
  }

  // ---------------------------------------------------------------- off-chain and time

  /** The merchant signed an invoice: nothing happens on chain. */
  addInvoice(invoice: InvoiceRecord): void {
    this.invoices.push(invoice);
  }

  /** Moves the clock forward; the next transaction is mined at the new time. */
  jump(seconds: bigint): void {
    if (seconds < 0n) throw new Error("time only moves forward");
    this.now += seconds;
  }

  /** Moves the clock to `timestamp` when it lies ahead. */
  jumpTo(timestamp: bigint): void {
    if (timestamp > this.now) this.now = timestamp;
  }

  // ---------------------------------------------------------------- token behaviour

  /** Whether a token call moving funds between these accounts reverts (USDT blacklist on both ends). */
  private blocked(token: string, from: string, to: string): boolean {
    return this.isBlacklisted(token, from) || this.isBlacklisted(token, to);
  }

  private move(token: string, from: string, to: string, amount: bigint): void {
    const perAccount = this.balances.get(token)!;
    const fromBalance = perAccount.get(key(from)) ?? 0n;
    if (fromBalance < amount) throw new Error(`model: ${from} cannot pay ${amount} of ${token}`);
    perAccount.set(key(from), fromBalance - amount);
    perAccount.set(key(to), (perAccount.get(key(to)) ?? 0n) + amount);
  }

  /** The vault's `_payout`: push, or credit a deferred payout when the token refuses. */
  private payout(token: string, recipient: string, amount: bigint, events: ExpectedEvent[]): void {
    if (amount === 0n) return;
    if (this.blocked(token, this.setup.vault, recipient)) {
      const perRecipient = this.deferred.get(token)!;
      perRecipient.set(key(recipient), (perRecipient.get(key(recipient)) ?? 0n) + amount);
      events.push(ev("PayoutDeferred", recipient, token, amount));
      this.count("payout deferred");
      return;
    }
    this.move(token, this.setup.vault, recipient, amount);
  }

  private accrue(token: string, fee: bigint): void {
    this.accruedFees.set(token, this.accruedFees.get(token)! + fee);
  }

  /** Every transaction is mined, reverted or not (the driver sends with a fixed gas limit). */
  private tick<T>(outcome: T): T {
    this.now += 1n;
    return outcome;
  }

  private close(record: EscrowRecord): void {
    record.open = false;
    const payBy = this.current(record).payBy;
    if (this.now > payBy) this.words.delete(record.id);
    else this.words.set(record.id, USED_WORD);
  }

  private commit(record: EscrowRecord, updated: Escrow): void {
    record.versions.push(updated);
    this.words.set(record.id, hashEscrow(updated));
  }

  /** Takes `amount` out of the escrow, closing it when nothing remains. */
  private debit(record: EscrowRecord, amount: bigint): void {
    const e = this.current(record);
    if (amount === e.remaining) {
      record.versions.push({ ...e, remaining: 0n });
      this.close(record);
      return;
    }
    this.commit(record, { ...e, remaining: e.remaining - amount });
  }

  private isOpen(record: EscrowRecord, passed: Escrow): boolean {
    return this.wordOf(record.id) === hashEscrow(passed);
  }

  // ---------------------------------------------------------------- owner and fee recipient

  setFee(caller: string, bps: bigint): Outcome {
    if (key(caller) !== key(this.setup.owner)) return this.tick(revert("OwnableUnauthorizedAccount", caller));
    if (bps > MAX_FEE_BPS) return this.tick(revert("FeeTooHigh", bps, MAX_FEE_BPS));
    const previous = this.feeBps;
    this.feeBps = bps;
    return this.tick(ok(ev("FeeUpdated", previous, bps)));
  }

  setDepositsPaused(caller: string, paused: boolean): Outcome {
    if (key(caller) !== key(this.setup.owner)) return this.tick(revert("OwnableUnauthorizedAccount", caller));
    this.paused = paused;
    return this.tick(ok(ev("DepositsPaused", paused)));
  }

  withdrawFees(caller: string, token: string): Outcome {
    const recipient = this.setup.feeRecipient;
    if (key(caller) !== key(recipient)) return this.tick(revert("NotAuthorized", caller));
    const amount = this.accruedFees.get(token)!;
    if (amount === 0n) return this.tick(revert("NothingToClaim", recipient, token));
    if (this.blocked(token, this.setup.vault, recipient)) {
      return this.tick(revert("TokenMovementsPushFailed", token, recipient));
    }
    this.accruedFees.set(token, 0n);
    this.move(token, this.setup.vault, recipient, amount);
    return this.tick(ok(ev("FeesWithdrawn", token, recipient, amount)));
  }

  /** The token's own admin call, not the vault's: anyone may toggle the mock's blacklist. */
  setBlacklisted(token: string, account: string, blocked: boolean): Outcome {
    if (!this.setup.blacklistable.includes(token)) throw new Error("model: token has no blacklist");
    if (blocked) this.blacklisted.get(token)!.add(key(account));
    else this.blacklisted.get(token)!.delete(key(account));
    return this.tick(ok());
  }

  // ---------------------------------------------------------------- invoices

  payInvoice(invoice: InvoiceRecord, caller: string): Outcome {
    const t = invoice.terms;
    const id = invoice.id;
    // Checks, in the vault's order.
    if (this.now > t.payBy) return this.tick(revert("InvoiceExpired", this.now, t.payBy));
    if (t.merchant === ZeroAddress) return this.tick(revert("ZeroMerchant"));
    if (t.amount === 0n) return this.tick(revert("ZeroAmount"));
    if (t.holdPeriod > MAX_HOLD_PERIOD_IN_SECONDS) {
      return this.tick(revert("HoldPeriodTooLong", t.holdPeriod, MAX_HOLD_PERIOD_IN_SECONDS));
    }
    if (t.payer !== ZeroAddress && key(t.payer) !== key(caller)) return this.tick(revert("PayerMismatch", t.payer, caller));
    if (t.arbiter !== ZeroAddress && (key(t.arbiter) === key(t.merchant) || key(t.arbiter) === key(caller))) {
      return this.tick(revert("ArbiterConflict", t.arbiter));
    }
    if (this.wordOf(id) !== ZeroHash) return this.tick(revert("InvoiceAlreadyUsed", id));
    if (!invoice.validSignature) return this.tick(revert("InvalidInvoiceSignature", id));
    if (this.paused) return this.tick(revert("DepositsArePaused"));
    if (!this.setup.tokens.includes(t.token)) return this.tick(revert("TokenNotAllowed", t.token));

    const feeBps = this.feeBps;
    const events: ExpectedEvent[] = [];
    // The payment always lands in the vault first, measured by the vault's balance delta.
    if (this.blocked(t.token, caller, this.setup.vault)) {
      return this.tick(revert("TokenMovementsPullFailed", t.token, caller));
    }
    if (t.holdPeriod === 0n) {
      // Settled at once: the merchant is paid (minus fee) like any payout, deferred when blocked.
      const fee = feeOn(t.amount, feeBps);
      this.words.set(id, USED_WORD);
      this.accrue(t.token, fee);
      events.push(ev("InvoiceSettled", id, caller, t.merchant, t.token, t.amount, fee, t.merchantReference));
      this.move(t.token, caller, this.setup.vault, t.amount);
      this.payout(t.token, t.merchant, t.amount - fee, events);
      this.count(fee === 0n ? "pay settled" : "pay settled with fee");
      return this.tick(ok(...events));
    }

    const escrow: Escrow = {
      token: t.token,
      payer: caller,
      payee: t.merchant,
      arbiter: t.arbiter,
      remaining: t.amount,
      payBy: t.payBy,
      deadline: this.now + t.holdPeriod,
      disputedAt: 0n,
      feeBps,
      timeoutAction: t.timeoutAction,
    };
    const record: EscrowRecord = {
      id,
      amount: t.amount,
      versions: [],
      open: true,
      releasedGross: 0n,
      fees: 0n,
      toPayee: 0n,
      toPayer: 0n,
    };
    this.escrows.push(record);
    this.commit(record, escrow);
    this.move(t.token, caller, this.setup.vault, t.amount);
    this.count("pay escrowed");
    return this.tick(
      ok(
        ev(
          "EscrowOpened",
          id,
          caller,
          t.merchant,
          t.token,
          t.arbiter,
          t.amount,
          t.payBy,
          escrow.deadline,
          feeBps,
          t.timeoutAction,
          t.merchantReference,
        ),
      ),
    );
  }

  cancelInvoice(invoice: InvoiceRecord, caller: string): Outcome {
    const t = invoice.terms;
    // No invoice signer is ever registered in these tests, so only the merchant may cancel.
    if (key(caller) !== key(t.merchant)) return this.tick(revert("NotAuthorized", caller));
    if (this.now > t.payBy) return this.tick(revert("InvoiceExpired", this.now, t.payBy));
    if (this.wordOf(invoice.id) !== ZeroHash) return this.tick(revert("InvoiceAlreadyUsed", invoice.id));
    this.words.set(invoice.id, USED_WORD);
    this.count("cancel");
    return this.tick(ok(ev("InvoiceCancelled", invoice.id, t.merchant)));
  }

  // ---------------------------------------------------------------- party actions

  release(record: EscrowRecord, passed: Escrow, caller: string, amount: bigint): Outcome {
    const id = record.id;
    if (!this.isOpen(record, passed)) return this.tick(revert("EscrowNotOpen", id));
    const authorized = passed.disputedAt === 0n ? passed.payer : passed.arbiter;
    if (key(caller) !== key(authorized)) return this.tick(revert("NotAuthorized", caller));
    if (amount === 0n) return this.tick(revert("ZeroAmount"));
    if (amount > passed.remaining) return this.tick(revert("AmountExceedsRemaining", amount, passed.remaining));

    const fee = feeOn(amount, passed.feeBps);
    const events = [ev("EscrowReleased", id, amount, fee)];
    this.debit(record, amount);
    this.accrue(passed.token, fee);
    record.releasedGross += amount;
    record.fees += fee;
    record.toPayee += amount - fee;
    this.payout(passed.token, passed.payee, amount - fee, events);
    this.countPartyAction("release", amount === passed.remaining);
    return this.tick(ok(...events));
  }

  refund(record: EscrowRecord, passed: Escrow, caller: string, amount: bigint): Outcome {
    const id = record.id;
    if (!this.isOpen(record, passed)) return this.tick(revert("EscrowNotOpen", id));
    const byArbiter = passed.disputedAt !== 0n && key(caller) === key(passed.arbiter);
    if (key(caller) !== key(passed.payee) && !byArbiter) return this.tick(revert("NotAuthorized", caller));
    if (amount === 0n) return this.tick(revert("ZeroAmount"));
    if (amount > passed.remaining) return this.tick(revert("AmountExceedsRemaining", amount, passed.remaining));

    const events = [ev("EscrowRefunded", id, amount)];
    this.debit(record, amount);
    record.toPayer += amount;
    this.payout(passed.token, passed.payer, amount, events);
    this.countPartyAction("refund", amount === passed.remaining);
    return this.tick(ok(...events));
  }

  dispute(record: EscrowRecord, passed: Escrow, caller: string): Outcome {
    const id = record.id;
    if (!this.isOpen(record, passed)) return this.tick(revert("EscrowNotOpen", id));
    if (key(caller) !== key(passed.payer) && key(caller) !== key(passed.payee)) {
      return this.tick(revert("NotAuthorized", caller));
    }
    if (passed.arbiter === ZeroAddress) return this.tick(revert("NoArbiter", id));
    if (passed.disputedAt !== 0n) return this.tick(revert("EscrowIsDisputed", id));
    if (this.now > passed.deadline) return this.tick(revert("DeadlinePassed", this.now, passed.deadline));

    this.commit(record, { ...passed, disputedAt: this.now });
    this.count(this.now === passed.deadline ? "dispute at the deadline" : "dispute");
    return this.tick(ok(ev("EscrowDisputed", id, caller, this.now)));
  }

  resolve(record: EscrowRecord, passed: Escrow, caller: string, payeeAmount: bigint): Outcome {
    const id = record.id;
    if (!this.isOpen(record, passed)) return this.tick(revert("EscrowNotOpen", id));
    if (key(caller) !== key(passed.arbiter)) return this.tick(revert("NotAuthorized", caller));
    if (passed.disputedAt === 0n) return this.tick(revert("EscrowNotDisputed", id));
    if (payeeAmount > passed.remaining) {
      return this.tick(revert("AmountExceedsRemaining", payeeAmount, passed.remaining));
    }

    const fee = feeOn(payeeAmount, passed.feeBps);
    const payerAmount = passed.remaining - payeeAmount;
    const events = [ev("EscrowResolved", id, payeeAmount, fee, payerAmount)];
    record.versions.push({ ...passed, remaining: 0n });
    this.close(record);
    this.accrue(passed.token, fee);
    record.releasedGross += payeeAmount;
    record.fees += fee;
    record.toPayee += payeeAmount - fee;
    record.toPayer += payerAmount;
    this.payout(passed.token, passed.payee, payeeAmount - fee, events);
    this.payout(passed.token, passed.payer, payerAmount, events);
    this.count(this.paused ? "resolve while paused" : "resolve");
    return this.tick(ok(...events));
  }

  extendDeadline(record: EscrowRecord, passed: Escrow, caller: string, newDeadline: bigint): Outcome {
    const id = record.id;
    if (!this.isOpen(record, passed)) return this.tick(revert("EscrowNotOpen", id));
    const favoured = passed.timeoutAction === TimeoutAction.Release ? passed.payee : passed.payer;
    if (key(caller) !== key(favoured)) return this.tick(revert("NotAuthorized", caller));
    if (passed.disputedAt !== 0n) return this.tick(revert("EscrowIsDisputed", id));
    if (newDeadline <= passed.deadline) return this.tick(revert("DeadlineNotExtended", passed.deadline, newDeadline));

    this.commit(record, { ...passed, deadline: newDeadline });
    this.count("extend");
    return this.tick(ok(ev("EscrowDeadlineExtended", id, passed.deadline, newDeadline)));
  }

  // ---------------------------------------------------------------- timeouts and claims

  executeTimeout(record: EscrowRecord, passed: Escrow): Outcome {
    if (!this.isOpen(record, passed)) return this.tick(revert("EscrowNotOpen", record.id));
    const executableAfter = timeoutExecutableAfter(passed);
    if (this.now <= executableAfter) return this.tick(revert("TimeoutNotReached", this.now, executableAfter));
    const events: ExpectedEvent[] = [];
    this.timeOut(record, passed, events);
    this.count(this.paused ? "timeout while paused" : "timeout");
    return this.tick(ok(...events));
  }

  /** The batch skips closed, changed and not-yet-due escrows instead of reverting. */
  executeTimeouts(items: readonly { record: EscrowRecord; passed: Escrow }[]): Outcome {
    const events: ExpectedEvent[] = [];
    let executed = 0;
    for (const { record, passed } of items) {
      if (!this.isOpen(record, passed)) continue;
      if (this.now <= timeoutExecutableAfter(passed)) continue;
      this.timeOut(record, passed, events);
      executed += 1;
    }
    this.count(executed === items.length ? "batch timeout, none skipped" : "batch timeout, some skipped");
    if (executed > 0 && this.paused) this.count("timeout while paused");
    return this.tick(ok(...events));
  }

  private timeOut(record: EscrowRecord, passed: Escrow, events: ExpectedEvent[]): void {
    // An expired arbitration refunds: the arbiter never ruled for the payee.
    const releases = passed.disputedAt === 0n && passed.timeoutAction === TimeoutAction.Release;
    const amount = passed.remaining;
    record.versions.push({ ...passed, remaining: 0n });
    this.close(record);
    if (releases) {
      const fee = feeOn(amount, passed.feeBps);
      this.accrue(passed.token, fee);
      record.releasedGross += amount;
      record.fees += fee;
      record.toPayee += amount - fee;
      events.push(ev("EscrowTimedOut", record.id, TimeoutAction.Release, amount, fee));
      this.payout(passed.token, passed.payee, amount - fee, events);
    } else {
      record.toPayer += amount;
      events.push(ev("EscrowTimedOut", record.id, TimeoutAction.Refund, amount, 0n));
      this.payout(passed.token, passed.payer, amount, events);
    }
  }

  claim(recipient: string, token: string, to: string): Outcome {
    if (to === ZeroAddress) return this.tick(revert("ZeroAddress"));
    const amount = this.deferredOf(recipient, token);
    if (amount === 0n) return this.tick(revert("NothingToClaim", recipient, token));
    if (this.blocked(token, this.setup.vault, to)) return this.tick(revert("TokenMovementsPushFailed", token, to));
    this.deferred.get(token)!.delete(key(recipient));
    this.move(token, this.setup.vault, to, amount);
    this.count(this.isBlacklisted(token, recipient) ? "claim by a blacklisted recipient" : "claim");
    return this.tick(ok(ev("PayoutClaimed", recipient, token, to, amount)));
  }

  private countPartyAction(action: string, full: boolean): void {
    this.count(`${action} ${full ? "full" : "partial"}`);
    if (this.paused) this.count(`${action} while paused`);
  }
}
