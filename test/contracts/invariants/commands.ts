import fc from "fast-check";
import { Interface, TypedDataEncoder, ZeroAddress, ZeroHash, type TypedDataDomain } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { EIP1193Provider } from "hardhat/types";
import { INVOICE_TYPES, type Escrow } from "../helpers";
import {
  ARBITRATION_PERIOD_IN_SECONDS,
  MAX_HOLD_PERIOD_IN_SECONDS,
  TimeoutAction,
  USED_WORD,
  VaultModel,
  feeOn,
  timeoutExecutableAfter,
  type EscrowRecord,
  type ExpectedEvent,
  type InvoiceRecord,
  type InvoiceTerms,
  type Outcome,
  type VersionChoice,
} from "./model";

/**
 * The chain side of the invariant tests: a driver that sends each action as a raw transaction at the
 * model's time and reads the whole observable state back in one call, and one fast-check command per
 * action. Every command asks the model for its prediction, runs the action on the chain, requires the
 * same outcome (success with the same vault events, or the same custom error and arguments), then
 * checks the invariants of DESIGN.md section 3 against the state read back.
 */

/** Gas for every transaction: fixed, so a reverting call is mined (and spends its second) like any other. */
const TX_GAS_LIMIT = "0x7a1200"; // 8,000,000

/** A token under test. */
export interface TokenUnderTest {
  name: string;
  address: string;
  /** Behaves like USDT: a blacklist that blocks senders and recipients. */
  blacklistable: boolean;
}

/** Everyone and everything the commands act with. */
export interface Cast {
  provider: EIP1193Provider;
  vault: string;
  vaultInterface: Interface;
  tokenInterface: Interface;
  domain: TypedDataDomain;
  tokens: readonly TokenUnderTest[];
  owner: HardhatEthersSigner;
  feeRecipient: HardhatEthersSigner;
  /** Invoice signers and payees. */
  merchants: readonly HardhatEthersSigner[];
  /** Everyone who pays, disputes, arbitrates or pokes: merchants, payers and arbiters alike. */
  actors: readonly HardhatEthersSigner[];
  /** Arbiters an invoice may name. */
  arbiters: readonly HardhatEthersSigner[];
  /** Never blacklisted and never a party: where blacklisted recipients claim to. */
  clean: HardhatEthersSigner;
  /** Signs invoices it has no right to sign. */
  forger: HardhatEthersSigner;
}

/** What the chain did: the same shape as the model's {@link Outcome}. */
type ChainOutcome = { ok: true; events: ExpectedEvent[] } | { ok: false; error: string; args: readonly unknown[] };

/** Totals across all runs, printed by the test. */
export interface RunTotals {
  runs: number;
  steps: number;
  transactions: number;
  outcomes: Map<string, number>;
  coverage: Map<string, number>;
}

export function newTotals(): RunTotals {
  return { runs: 0, steps: 0, transactions: 0, outcomes: new Map(), coverage: new Map() };
}

function bump(counts: Map<string, number>, label: string): void {
  counts.set(label, (counts.get(label) ?? 0) + 1);
}

/** Lower-cases strings and turns numbers and ethers Results into plain bigints and arrays. */
function normalize(value: unknown): unknown {
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number") return BigInt(value);
  if (Array.isArray(value)) return value.map(normalize);
  return value;
}

function show(value: unknown): string {
  return JSON.stringify(normalize(value), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

// ---------------------------------------------------------------- reading everything in one call

/** One view call: `data` sent to `target`, returning one word. */
interface Query {
  label: string;
  target: string;
  data: string;
}

const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, "0");

/**
 * Init code that performs every query as a STATICCALL and returns [allSucceeded, result0, result1, ...].
 * Run through `eth_call` without a `to` ("deployless" reads): nothing is deployed, and one round trip
 * replaces a hundred, which is what lets 500 sequences with a full state check after every step run
 * in minutes.
 */
function lensInitCode(queries: readonly Query[]): string {
  const OUT = 0x80; // results start here; calldata is written at 0x00-0x5f
  let code = "6001"; // PUSH1 1: the running "all succeeded" flag
  queries.forEach((q, i) => {
    const data = q.data.slice(2);
    if (data.length > 0x60 * 2) throw new Error(`query ${q.label} has too much calldata`);
    const padded = data.padEnd(Math.ceil(data.length / 64) * 64, "0");
    for (let w = 0; w * 64 < padded.length; w++) {
      code += "7f" + padded.slice(w * 64, w * 64 + 64) + "60" + hex(w * 32, 1) + "52"; // MSTORE(w*32, word)
    }
    code += "6020"; // retSize 32
    code += "61" + hex(OUT + 32 * (i + 1), 2); // retOffset
    code += "60" + hex(data.length / 2, 1); // argsSize
    code += "6000"; // argsOffset 0
    code += "73" + q.target.slice(2).toLowerCase(); // address
    code += "5a" + "fa" + "16"; // GAS STATICCALL AND
  });
  code += "60" + hex(OUT, 1) + "52"; // MSTORE(OUT, flag)
  code += "61" + hex(32 * (queries.length + 1), 2) + "60" + hex(OUT, 1) + "f3"; // RETURN(OUT, size)
  return "0x" + code;
}

// ---------------------------------------------------------------- driver

export class VaultDriver {
  readonly cast: Cast;
  readonly totals: RunTotals;
  /** Per escrow, the money trail as the chain's own events tell it (invariant 3). */
  private readonly ledger = new Map<
    string,
    { funded: bigint; feeBps: bigint; released: bigint; fees: bigint; toPayee: bigint; toPayer: bigint }
  >();
  private readonly staticQueries: Query[];
  private readonly staticIndex = new Map<string, number>();
  /** The static part of the last state read. */
  private lastStatic: bigint[] | undefined;
  private readonly watched: string[];
  /** Invoice id -> the signature the test made for it. */
  readonly signatures = new Map<string, string>();

  constructor(cast: Cast, totals: RunTotals) {
    this.cast = cast;
    this.totals = totals;
    const vi = cast.vaultInterface;
    const ti = cast.tokenInterface;
    this.watched = unique([
      ...cast.actors.map((s) => s.address),
      cast.owner.address,
      cast.feeRecipient.address,
      cast.clean.address,
      cast.vault,
    ]);
    const queries: Query[] = [];
    for (const token of cast.tokens) {
      for (const account of this.watched) {
        queries.push({
          label: `${token.name}.balanceOf(${account})`,
          target: token.address,
          data: ti.encodeFunctionData("balanceOf", [account]),
        });
      }
      // Payouts only ever go to actors (payers and payees), so only they can be owed one.
      for (const actor of cast.actors) {
        queries.push({
          label: `deferredPayouts(${actor.address}, ${token.name})`,
          target: cast.vault,
          data: vi.encodeFunctionData("deferredPayouts", [actor.address, token.address]),
        });
      }
      queries.push({
        label: `accruedFees(${token.name})`,
        target: cast.vault,
        data: vi.encodeFunctionData("accruedFees", [token.address]),
      });
    }
    queries.push({ label: "feeBps()", target: cast.vault, data: vi.encodeFunctionData("feeBps") });
    queries.push({ label: "depositsPaused()", target: cast.vault, data: vi.encodeFunctionData("depositsPaused") });
    this.staticQueries = queries;
    queries.forEach((q, i) => this.staticIndex.set(q.label, i));
  }

  /** The model's view of every static query, in the same order. */
  private expectedStatic(model: VaultModel): bigint[] {
    const values: bigint[] = [];
    for (const token of this.cast.tokens) {
      for (const account of this.watched) values.push(model.balanceOf(token.address, account));
      for (const actor of this.cast.actors) values.push(model.deferredOf(actor.address, token.address));
      values.push(model.accruedFees.get(token.address)!);
    }
    values.push(model.feeBps);
    values.push(model.paused ? 1n : 0n);
    return values;
  }

  /** Reads every watched value in one `eth_call`. */
  private async readAll(queries: readonly Query[]): Promise<bigint[]> {
    const out = (await this.cast.provider.request({
      method: "eth_call",
      params: [{ data: lensInitCode(queries) }, "latest"],
    })) as string;
    const words: bigint[] = [];
    for (let i = 2; i < out.length; i += 64) words.push(BigInt("0x" + out.slice(i, i + 64)));
    if (words.length !== queries.length + 1 || words[0] !== 1n) throw new Error("a state read failed");
    return words.slice(1);
  }

  /**
   * Sends `data` from `from` to `to` in a block at `timestamp` and reports what happened. Raw JSON-RPC
   * with a fixed gas limit: no gas estimation, so a reverting call is mined like any other and the
   * model's clock stays exact.
   */
  async send(timestamp: bigint, from: string, to: string, data: string): Promise<ChainOutcome> {
    const provider = this.cast.provider;
    await provider.request({ method: "evm_setNextBlockTimestamp", params: [Number(timestamp)] });
    this.totals.transactions += 1;
    let hash: string;
    try {
      hash = (await provider.request({
        method: "eth_sendTransaction",
        params: [{ from, to, data, gas: TX_GAS_LIMIT }],
      })) as string;
    } catch (error) {
      const revertData = (error as { data?: unknown }).data;
      if (typeof revertData !== "string") throw error;
      const parsed = this.cast.vaultInterface.parseError(revertData);
      if (parsed === null) throw new Error(`unknown revert data ${revertData} (${(error as Error).message})`);
      return { ok: false, error: parsed.name, args: parsed.args.toArray(true) as unknown[] };
    }
    const receipt = (await provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
      status: string;
      logs: { address: string; topics: string[]; data: string }[];
    };
    if (receipt.status !== "0x1") throw new Error(`transaction ${hash} failed without revert data`);
    const events: ExpectedEvent[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.cast.vault.toLowerCase()) continue;
      const parsed = this.cast.vaultInterface.parseLog(log)!;
      events.push({ name: parsed.name, args: parsed.args.toArray(true) as unknown[] });
    }
    this.recordEvents(events);
    return { ok: true, events };
  }

  /** Invariant 3 from the chain's own events: fees rounded up per release, nobody paid beyond the escrow. */
  private recordEvents(events: readonly ExpectedEvent[]): void {
    for (const { name, args } of events) {
      const id = args[0] as string;
      if (name === "EscrowOpened") {
        this.ledger.set(id, {
          funded: args[5] as bigint,
          feeBps: args[8] as bigint,
          released: 0n,
          fees: 0n,
          toPayee: 0n,
          toPayer: 0n,
        });
        continue;
      }
      const entry = this.ledger.get(id);
      if (!entry) continue;
      if (name === "EscrowReleased") this.payPayee(entry, args[1] as bigint, args[2] as bigint, name);
      if (name === "EscrowRefunded") entry.toPayer += args[1] as bigint;
      if (name === "EscrowResolved") {
        this.payPayee(entry, args[1] as bigint, args[2] as bigint, name);
        entry.toPayer += args[3] as bigint;
      }
      if (name === "EscrowTimedOut") {
        if (args[1] === TimeoutAction.Release) this.payPayee(entry, args[2] as bigint, args[3] as bigint, name);
        else {
          if (args[3] !== 0n) throw new Error(`invariant 3: ${name} refund charged a fee of ${args[3]}`);
          entry.toPayer += args[2] as bigint;
        }
      }
      if (entry.toPayer > entry.funded) {
        throw new Error(`invariant 3: escrow ${id} refunded ${entry.toPayer}, more than the ${entry.funded} funded`);
      }
      if (entry.toPayee + entry.fees + entry.toPayer > entry.funded) {
        throw new Error(`invariant 3: escrow ${id} paid out more than the ${entry.funded} funded`);
      }
    }
  }

  private payPayee(entry: { feeBps: bigint; released: bigint; fees: bigint; toPayee: bigint }, gross: bigint, fee: bigint, name: string) {
    const expectedFee = feeOn(gross, entry.feeBps);
    if (fee !== expectedFee) throw new Error(`invariant 3: ${name} of ${gross} charged fee ${fee}, not ${expectedFee}`);
    entry.released += gross;
    entry.fees += fee;
    entry.toPayee += gross - fee;
    if (entry.toPayee > entry.released - entry.fees) throw new Error("invariant 3: payee got more than released minus fee");
  }

  /**
   * Compares the chain's outcome with the model's prediction: success with the same events, or the same
   * custom error with the same arguments.
   */
  expectOutcome(label: string, actual: ChainOutcome, predicted: Outcome): void {
    bump(this.totals.outcomes, `${label}: ${actual.ok ? "ok" : actual.error}`);
    if (actual.ok !== predicted.ok) {
      throw new Error(
        `${label}: chain ${actual.ok ? "succeeded" : `reverted ${actual.error}${show(actual.args)}`}, model predicted ${
          predicted.ok ? "success" : `${predicted.error}${show(predicted.args)}`
        }`,
      );
    }
    if (!actual.ok && !predicted.ok) {
      if (actual.error !== predicted.error || show(actual.args) !== show(predicted.args)) {
        throw new Error(
          `${label}: chain reverted ${actual.error}${show(actual.args)}, model predicted ${predicted.error}${show(predicted.args)}`,
        );
      }
      return;
    }
    if (actual.ok && predicted.ok) {
      const chain = actual.events.map((e) => `${e.name}${show(e.args)}`);
      const model = predicted.events.map((e) => `${e.name}${show(e.args)}`);
      if (show(chain) !== show(model)) {
        throw new Error(`${label}: events differ\n  chain: ${chain.join("\n         ")}\n  model: ${model.join("\n         ")}`);
      }
    }
  }

  /**
   * Reads the whole observable state and checks it against the model and the invariants: every
   * watched balance, deferred payout, accrued fee and stored invoice/escrow word, the fee and the pause
   * flag equal the model's (invariant 3: only the table moved funds, by exactly the model's amounts),
   * and per token the vault holds at least what it owes (invariant 1).
   *
   * A step that sent no transaction (signing an invoice, waiting) cannot have changed the chain, so it
   * re-checks against the last read instead of reading again: the model must not have moved money either.
   */
  async checkInvariants(model: VaultModel, chainChanged = true): Promise<void> {
    this.totals.steps += 1;
    let chainStatic = this.lastStatic;
    if (chainChanged || chainStatic === undefined) {
      const ids = model.invoices.map((inv) => inv.id);
      const wordQueries: Query[] = ids.map((id) => ({
        label: `escrowHashOf(${id})`,
        target: this.cast.vault,
        data: this.cast.vaultInterface.encodeFunctionData("escrowHashOf", [id]),
      }));
      const chain = await this.readAll([...this.staticQueries, ...wordQueries]);
      chainStatic = chain.slice(0, this.staticQueries.length);
      this.lastStatic = chainStatic;
      const mismatches: string[] = [];
      ids.forEach((id, i) => {
        const word = chain[this.staticQueries.length + i];
        if (word !== BigInt(model.wordOf(id))) mismatches.push(`${wordQueries[i].label}: chain ${word}, model ${model.wordOf(id)}`);
      });
      if (mismatches.length > 0) throw new Error(`chain state differs from the model:\n  ${mismatches.join("\n  ")}`);
    }
    const expected = this.expectedStatic(model);
    const mismatches: string[] = [];
    this.staticQueries.forEach((q, i) => {
      if (chainStatic[i] !== expected[i]) mismatches.push(`${q.label}: chain ${chainStatic[i]}, model ${expected[i]}`);
    });
    if (mismatches.length > 0) throw new Error(`chain state differs from the model:\n  ${mismatches.join("\n  ")}`);

    // Invariant 1 on the values read from the chain. The escrowed sum comes from the model, every open
    // escrow of which was just found stored on chain with exactly the model's fields (hash equality).
    for (const token of this.cast.tokens) {
      const at = (label: string) => chainStatic[this.staticIndex.get(label)!];
      const held = at(`${token.name}.balanceOf(${this.cast.vault})`);
      let deferred = 0n;
      for (const actor of this.cast.actors) deferred += at(`deferredPayouts(${actor.address}, ${token.name})`);
      const fees = at(`accruedFees(${token.name})`);
      const { escrowed } = model.liabilities(token.address);
      if (held < escrowed + deferred + fees) {
        throw new Error(
          `invariant 1: vault holds ${held} ${token.name}, owes ${escrowed} escrowed + ${deferred} deferred + ${fees} fees`,
        );
      }
    }

    // The model's own books: every escrow's funds are still held, released (payee + fee) or refunded.
    for (const record of model.escrows) {
      const remaining = record.open ? model.current(record).remaining : 0n;
      if (record.toPayee + record.fees + record.toPayer + remaining !== record.amount) {
        throw new Error(`model: escrow ${record.id} does not add up`);
      }
      if (record.toPayer > record.amount || record.toPayee > record.releasedGross - record.fees) {
        throw new Error(`model: escrow ${record.id} overpaid`);
      }
    }
  }

  /** After a blacklist toggle: the token's blacklist flags of every actor equal the model's. */
  async checkBlacklist(model: VaultModel, token: TokenUnderTest): Promise<void> {
    const queries = this.cast.actors.map((actor) => ({
      label: `${token.name}.isBlackListed(${actor.address})`,
      target: token.address,
      data: this.cast.tokenInterface.encodeFunctionData("isBlackListed", [actor.address]),
    }));
    const chain = await this.readAll(queries);
    this.cast.actors.forEach((actor, i) => {
      const listed = model.isBlacklisted(token.address, actor.address) ? 1n : 0n;
      if (chain[i] !== listed) throw new Error(`${queries[i].label}: chain ${chain[i]}, model ${listed}`);
    });
  }

  /** Invariant 3 once everything is closed: per escrow, payee + fees + payer add up to exactly the funded amount. */
  assertLedgerSettled(): void {
    for (const [id, entry] of this.ledger) {
      if (entry.toPayee + entry.fees + entry.toPayer !== entry.funded) {
        throw new Error(
          `invariant 3: escrow ${id} funded ${entry.funded} but paid ${entry.toPayee} + ${entry.fees} fees + ${entry.toPayer} refunded`,
        );
      }
    }
  }

  /** The chain's stored word for `id`, for the end-of-run check. */
  async wordOf(id: string): Promise<string> {
    return (await this.cast.provider.request({
      method: "eth_call",
      params: [{ to: this.cast.vault, data: this.cast.vaultInterface.encodeFunctionData("escrowHashOf", [id]) }, "latest"],
    })) as string;
  }

  async tokenBalance(token: string, account: string): Promise<bigint> {
    return BigInt(
      (await this.cast.provider.request({
        method: "eth_call",
        params: [{ to: token, data: this.cast.tokenInterface.encodeFunctionData("balanceOf", [account]) }, "latest"],
      })) as string,
    );
  }

  async accruedFees(token: string): Promise<bigint> {
    return BigInt(
      (await this.cast.provider.request({
        method: "eth_call",
        params: [{ to: this.cast.vault, data: this.cast.vaultInterface.encodeFunctionData("accruedFees", [token]) }, "latest"],
      })) as string,
    );
  }

  /** Runs one vault call on the chain and in the model, compares, then checks the invariants. */
  async act(
    model: VaultModel,
    label: string,
    from: string,
    functionName: string,
    args: readonly unknown[],
    predict: () => Outcome,
  ): Promise<ChainOutcome> {
    const data = this.cast.vaultInterface.encodeFunctionData(functionName, args);
    const actual = await this.send(model.now, from, this.cast.vault, data);
    const predicted = predict(); // the model acts at the same `now`, then ticks
    this.expectOutcome(label, actual, predicted);
    await this.checkInvariants(model);
    return actual;
  }
}

function unique(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const k = a.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------- picking parties, escrows and amounts

/** Who calls a party action: a role of the escrow, or anybody from the cast. */
export type CallerPick = { role: "payer" | "payee" | "arbiter" } | { role: "anybody"; index: number };

/** Which escrow: usually an open one; sometimes any, closed ones included. */
export interface EscrowPick {
  index: number;
  anyState: boolean;
  version: VersionChoice;
}

/** An amount relative to what the escrow still holds. */
export type AmountPick =
  | { kind: "full" }
  | { kind: "partial"; permille: number }
  | { kind: "one" }
  | { kind: "zero" }
  | { kind: "over" };

/**
 * Resolves a pick: an open escrow (one matching `prefer` when there is one, so that, say, resolutions
 * mostly target disputed escrows), or with `anyState` any escrow, closed ones included.
 */
function pickEscrow(model: VaultModel, pick: EscrowPick, prefer?: (e: Escrow) => boolean): EscrowRecord {
  const open = model.openEscrows();
  const preferred = prefer ? open.filter((record) => prefer(model.current(record))) : [];
  const pool = pick.anyState || open.length === 0 ? model.escrows : preferred.length > 0 ? preferred : open;
  return pool[pick.index % pool.length];
}

const disputed = (e: Escrow) => e.disputedAt !== 0n;
const disputable = (m: VaultModel) => (e: Escrow) => e.arbiter !== ZeroAddress && e.disputedAt === 0n && m.now <= e.deadline;
const due = (m: VaultModel) => (e: Escrow) => m.now > timeoutExecutableAfter(e);

function anybody(cast: Cast, index: number): string {
  const pool = [...cast.actors, cast.owner, cast.clean];
  return pool[index % pool.length].address;
}

function resolveCaller(cast: Cast, escrow: Escrow, pick: CallerPick): string {
  if (pick.role === "anybody") return anybody(cast, pick.index);
  if (pick.role === "payer") return escrow.payer;
  if (pick.role === "payee") return escrow.payee;
  // With no arbiter named, "the arbiter" is a stranger to the escrow.
  return escrow.arbiter === ZeroAddress ? cast.actors[0].address : escrow.arbiter;
}

function resolveAmount(remaining: bigint, pick: AmountPick): bigint {
  switch (pick.kind) {
    case "full":
      return remaining;
    case "partial": {
      const part = (remaining * BigInt(pick.permille)) / 1000n;
      return part === 0n ? 1n : part;
    }
    case "one":
      return 1n;
    case "zero":
      return 0n;
    case "over":
      return remaining + 1n;
  }
}

const describePick = (p: EscrowPick) => `escrow#${p.index}${p.anyState ? "(any)" : ""}${p.version === "stale" ? "(stale)" : ""}`;
const describeCaller = (p: CallerPick) => (p.role === "anybody" ? `anybody#${p.index}` : p.role);
const describeAmount = (p: AmountPick) => (p.kind === "partial" ? `${p.permille}‰` : p.kind);

const hasEscrow = (m: VaultModel) => m.escrows.length > 0;
const hasInvoice = (m: VaultModel) => m.invoices.length > 0;

// ---------------------------------------------------------------- commands

type VaultCommand = fc.AsyncCommand<VaultModel, VaultDriver>;

/** The merchant signs an invoice off-chain (no transaction). */
export class CreateInvoice implements VaultCommand {
  constructor(
    readonly p: {
      merchant: number;
      token: number;
      amount: bigint;
      /** Seconds from now to pay-by; negative: already expired. */
      payIn: bigint;
      holdPeriod: bigint;
      refundOnTimeout: boolean;
      /** None, an arbiter of the cast, or (a conflict) the merchant itself. */
      arbiter: { kind: "none" } | { kind: "arbiter"; index: number } | { kind: "merchant" } | { kind: "actor"; index: number };
      /** Restricts who may pay: an actor, or null for anyone. */
      payer: number | null;
      forged: boolean;
      /** Pay it at once, from this actor (most invoices are paid soon after they are signed). */
      payNow: number | null;
    },
  ) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const cast = r.cast;
    const merchant = cast.merchants[this.p.merchant % cast.merchants.length];
    const a = this.p.arbiter;
    const arbiter =
      a.kind === "none"
        ? ZeroAddress
        : a.kind === "merchant"
          ? merchant.address
          : a.kind === "arbiter"
            ? cast.arbiters[a.index % cast.arbiters.length].address
            : cast.actors[a.index % cast.actors.length].address;
    const terms: InvoiceTerms = {
      merchant: merchant.address,
      token: cast.tokens[this.p.token % cast.tokens.length].address,
      amount: this.p.amount,
      payBy: m.now + this.p.payIn,
      holdPeriod: this.p.holdPeriod,
      timeoutAction: this.p.refundOnTimeout ? TimeoutAction.Refund : TimeoutAction.Release,
      arbiter,
      payer: this.p.payer === null ? ZeroAddress : cast.actors[this.p.payer % cast.actors.length].address,
      merchantReference: ZeroHash.slice(0, -8) + hex(m.invoices.length, 4),
      nonce: BigInt(m.invoices.length),
    };
    const signer = this.p.forged ? cast.forger : merchant;
    const signature = await signer.signTypedData(cast.domain, INVOICE_TYPES, terms);
    const id = TypedDataEncoder.hash(cast.domain, INVOICE_TYPES, terms);
    const invoice: InvoiceRecord = { id, terms, validSignature: !this.p.forged };
    m.addInvoice(invoice);
    r.signatures.set(id, signature);
    if (this.p.payNow === null) await r.checkInvariants(m, false);
    else await pay(m, r, invoice, r.cast.actors[this.p.payNow % r.cast.actors.length].address);
  }
  toString = () =>
    `create(merchant#${this.p.merchant}, token#${this.p.token}, ${this.p.amount}, payIn ${this.p.payIn}s, hold ${this.p.holdPeriod}s, ${
      this.p.refundOnTimeout ? "Refund" : "Release"
    }, arbiter ${this.p.arbiter.kind}${"index" in this.p.arbiter ? `#${this.p.arbiter.index}` : ""}, payer ${
      this.p.payer ?? "anyone"
    }${this.p.forged ? ", forged" : ""})${this.p.payNow === null ? "" : ` + pay(by actor#${this.p.payNow})`}`;
}

async function pay(m: VaultModel, r: VaultDriver, invoice: InvoiceRecord, payer: string): Promise<void> {
  const pausedBefore = m.paused;
  const actual = await r.act(m, "pay", payer, "payInvoice", [invoice.terms, r.signatures.get(invoice.id)], () =>
    m.payInvoice(invoice, payer),
  );
  // Invariant 4: pausing stops new money coming in.
  if (pausedBefore && actual.ok) throw new Error("invariant 4: an invoice was paid while deposits were paused");
  if (pausedBefore && !actual.ok && actual.error === "DepositsArePaused") m.count("pay refused while paused");
}

export class PayInvoice implements VaultCommand {
  constructor(readonly p: { invoice: number; payer: number }) {}
  check = hasInvoice;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const invoice = m.invoices[this.p.invoice % m.invoices.length];
    await pay(m, r, invoice, r.cast.actors[this.p.payer % r.cast.actors.length].address);
  }
  toString = () => `pay(invoice#${this.p.invoice}, by actor#${this.p.payer})`;
}

export class CancelInvoice implements VaultCommand {
  constructor(readonly p: { invoice: number; byMerchant: boolean; other: number }) {}
  check = hasInvoice;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const invoice = m.invoices[this.p.invoice % m.invoices.length];
    const caller = this.p.byMerchant ? invoice.terms.merchant : anybody(r.cast, this.p.other);
    await r.act(m, "cancel", caller, "cancelInvoice", [invoice.terms], () => m.cancelInvoice(invoice, caller));
  }
  toString = () => `cancel(invoice#${this.p.invoice}, by ${this.p.byMerchant ? "merchant" : `anybody#${this.p.other}`})`;
}

/** Release, refund and resolve share their shape: an escrow, a caller and an amount. */
export class MoveFunds implements VaultCommand {
  constructor(readonly p: { action: "release" | "refund" | "resolve"; escrow: EscrowPick; caller: CallerPick; amount: AmountPick }) {}
  check = hasEscrow;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const record = pickEscrow(m, this.p.escrow, this.p.action === "resolve" ? disputed : undefined);
    const passed = m.version(record, this.p.escrow.version);
    const caller = resolveCaller(r.cast, passed, this.p.caller);
    // Amounts are taken relative to the true remainder, so a stale copy may still ask for a valid amount.
    const amount = resolveAmount(m.current(record).remaining, this.p.amount);
    const predict = {
      release: () => m.release(record, passed, caller, amount),
      refund: () => m.refund(record, passed, caller, amount),
      resolve: () => m.resolve(record, passed, caller, amount),
    }[this.p.action];
    await r.act(m, this.p.action, caller, this.p.action, [record.id, passed, amount], predict);
  }
  toString = () =>
    `${this.p.action}(${describePick(this.p.escrow)}, by ${describeCaller(this.p.caller)}, ${describeAmount(this.p.amount)})`;
}

export class Dispute implements VaultCommand {
  constructor(readonly p: { escrow: EscrowPick; caller: CallerPick }) {}
  check = hasEscrow;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const record = pickEscrow(m, this.p.escrow, disputable(m));
    const passed = m.version(record, this.p.escrow.version);
    const caller = resolveCaller(r.cast, passed, this.p.caller);
    await r.act(m, "dispute", caller, "dispute", [record.id, passed], () => m.dispute(record, passed, caller));
  }
  toString = () => `dispute(${describePick(this.p.escrow)}, by ${describeCaller(this.p.caller)})`;
}

export class ExtendDeadline implements VaultCommand {
  constructor(readonly p: { escrow: EscrowPick; caller: CallerPick; bySeconds: bigint }) {}
  check = hasEscrow;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const record = pickEscrow(m, this.p.escrow);
    const passed = m.version(record, this.p.escrow.version);
    const caller = resolveCaller(r.cast, passed, this.p.caller);
    const newDeadline = passed.deadline + this.p.bySeconds;
    await r.act(m, "extend", caller, "extendDeadline", [record.id, passed, newDeadline], () =>
      m.extendDeadline(record, passed, caller, newDeadline),
    );
  }
  toString = () => `extend(${describePick(this.p.escrow)}, by ${describeCaller(this.p.caller)}, ${this.p.bySeconds}s)`;
}

export class Timeout implements VaultCommand {
  constructor(readonly p: { escrow: EscrowPick; caller: number }) {}
  check = hasEscrow;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const record = pickEscrow(m, this.p.escrow, due(m));
    const passed = m.version(record, this.p.escrow.version);
    await r.act(m, "timeout", anybody(r.cast, this.p.caller), "executeTimeout", [record.id, passed], () =>
      m.executeTimeout(record, passed),
    );
  }
  toString = () => `timeout(${describePick(this.p.escrow)}, by anybody#${this.p.caller})`;
}

export class TimeoutBatch implements VaultCommand {
  constructor(readonly p: { escrows: EscrowPick[]; caller: number }) {}
  check = hasEscrow;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const items = this.p.escrows.map((pick) => {
      const record = pickEscrow(m, pick);
      return { record, passed: m.version(record, pick.version) };
    });
    await runBatch(m, r, items, anybody(r.cast, this.p.caller));
  }
  toString = () => `timeouts([${this.p.escrows.map(describePick).join(", ")}], by anybody#${this.p.caller})`;
}

async function runBatch(
  m: VaultModel,
  r: VaultDriver,
  items: { record: EscrowRecord; passed: Escrow }[],
  caller: string,
): Promise<ChainOutcome> {
  const calls = items.map(({ record, passed }) => ({ escrowId: record.id, escrow: passed }));
  return r.act(m, "timeouts", caller, "executeTimeouts", [calls], () => m.executeTimeouts(items));
}

export class SetDepositsPaused implements VaultCommand {
  constructor(readonly p: { paused: boolean; byOwner: boolean; other: number }) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const caller = this.p.byOwner ? r.cast.owner.address : r.cast.actors[this.p.other % r.cast.actors.length].address;
    await r.act(m, this.p.paused ? "pause" : "unpause", caller, "setDepositsPaused", [this.p.paused], () =>
      m.setDepositsPaused(caller, this.p.paused),
    );
  }
  toString = () => `${this.p.paused ? "pause" : "unpause"}(by ${this.p.byOwner ? "owner" : `actor#${this.p.other}`})`;
}

export class SetFee implements VaultCommand {
  constructor(readonly p: { bps: bigint; byOwner: boolean; other: number }) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const caller = this.p.byOwner ? r.cast.owner.address : r.cast.actors[this.p.other % r.cast.actors.length].address;
    await r.act(m, "setFee", caller, "setFee", [this.p.bps], () => m.setFee(caller, this.p.bps));
  }
  toString = () => `setFee(${this.p.bps}, by ${this.p.byOwner ? "owner" : `actor#${this.p.other}`})`;
}

export class WithdrawFees implements VaultCommand {
  constructor(readonly p: { token: number; byRecipient: boolean; other: number }) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const token = r.cast.tokens[this.p.token % r.cast.tokens.length].address;
    const caller = this.p.byRecipient ? r.cast.feeRecipient.address : anybody(r.cast, this.p.other);
    await r.act(m, "withdrawFees", caller, "withdrawFees", [token], () => m.withdrawFees(caller, token));
  }
  toString = () => `withdrawFees(token#${this.p.token}, by ${this.p.byRecipient ? "fee recipient" : `anybody#${this.p.other}`})`;
}

/**
 * The USDT-like token's own blacklist, toggled for one actor: usually a party of an open escrow in that
 * token (so that payouts get deferred), otherwise any actor.
 */
export class ToggleBlacklist implements VaultCommand {
  constructor(readonly p: { token: number; actor: number; party: { escrow: number; payee: boolean } | null }) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const listable = r.cast.tokens.filter((t) => t.blacklistable);
    const candidates = m
      .openEscrows()
      .map((record) => m.current(record))
      .filter((e) => listable.some((t) => t.address === e.token));
    let token = listable[this.p.token % listable.length];
    let account = r.cast.actors[this.p.actor % r.cast.actors.length].address;
    if (this.p.party !== null && candidates.length > 0) {
      const e = candidates[this.p.party.escrow % candidates.length];
      token = listable.find((t) => t.address === e.token)!;
      account = this.p.party.payee ? e.payee : e.payer;
    }
    const blocked = !m.isBlacklisted(token.address, account);
    const data = r.cast.tokenInterface.encodeFunctionData("setBlackListed", [account, blocked]);
    const actual = await r.send(m.now, r.cast.owner.address, token.address, data);
    r.expectOutcome("blacklist", actual, m.setBlacklisted(token.address, account, blocked));
    await r.checkBlacklist(m, token);
    await r.checkInvariants(m);
  }
  toString = () =>
    this.p.party === null
      ? `toggleBlacklist(token#${this.p.token}, actor#${this.p.actor})`
      : `toggleBlacklist(${this.p.party.payee ? "payee" : "payer"} of open USDT escrow#${this.p.party.escrow}, else token#${
          this.p.token
        } actor#${this.p.actor})`;
}

export class Claim implements VaultCommand {
  constructor(
    readonly p: { owed: boolean; recipient: number; token: number; to: { kind: "clean" } | { kind: "self" } | { kind: "actor"; index: number } },
  ) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const cast = r.cast;
    // Prefer someone who is actually owed something, so claims mostly do something.
    const owed: { recipient: string; token: string }[] = [];
    for (const token of cast.tokens) {
      for (const actor of cast.actors) {
        if (m.deferredOf(actor.address, token.address) > 0n) owed.push({ recipient: actor.address, token: token.address });
      }
    }
    const { recipient, token } =
      this.p.owed && owed.length > 0
        ? owed[this.p.recipient % owed.length]
        : {
            recipient: cast.actors[this.p.recipient % cast.actors.length].address,
            token: cast.tokens[this.p.token % cast.tokens.length].address,
          };
    const to =
      this.p.to.kind === "clean" ? cast.clean.address : this.p.to.kind === "self" ? recipient : cast.actors[this.p.to.index % cast.actors.length].address;
    await r.act(m, "claim", recipient, "claim", [token, to], () => m.claim(recipient, token, to));
  }
  toString = () =>
    `claim(${this.p.owed ? "owed " : ""}#${this.p.recipient}, token#${this.p.token}, to ${this.p.to.kind}${
      this.p.to.kind === "actor" ? `#${this.p.to.index}` : ""
    })`;
}

/** Moves the clock: by some seconds, or to just before, at or after a deadline, arbitration end or pay-by. */
export class TimeJump implements VaultCommand {
  constructor(
    readonly p:
      | { kind: "seconds"; seconds: bigint }
      | { kind: "deadline" | "arbitration"; escrow: EscrowPick; offset: bigint }
      | { kind: "payBy"; invoice: number; offset: bigint },
  ) {}
  check = (m: VaultModel) => (this.p.kind === "seconds" ? true : this.p.kind === "payBy" ? hasInvoice(m) : hasEscrow(m));
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const p = this.p;
    if (p.kind === "seconds") m.jump(p.seconds);
    else if (p.kind === "payBy") m.jumpTo(m.invoices[p.invoice % m.invoices.length].terms.payBy + p.offset);
    else {
      const e = m.current(pickEscrow(m, p.escrow));
      if (p.kind === "deadline") m.jumpTo(e.deadline + p.offset);
      else if (e.disputedAt !== 0n) m.jumpTo(e.disputedAt + ARBITRATION_PERIOD_IN_SECONDS + p.offset);
    }
    await r.checkInvariants(m, false);
  }
  toString = () =>
    this.p.kind === "seconds"
      ? `wait(${this.p.seconds}s)`
      : this.p.kind === "payBy"
        ? `waitUntil(payBy of invoice#${this.p.invoice} ${this.p.offset >= 0n ? "+" : ""}${this.p.offset}s)`
        : `waitUntil(${this.p.kind} of ${describePick(this.p.escrow)} ${this.p.offset >= 0n ? "+" : ""}${this.p.offset}s)`;
}

// ---------------------------------------------------------------- invariant 2: nothing gets stuck

/**
 * Closes every escrow by the permissionless path and drains every deferred payout, then requires that
 * each escrow is closed and that the vault holds exactly its accrued fees in every token: jump past
 * every deadline and arbitration period, execute all timeouts in one batch from an uninvolved account,
 * and let every recipient owed a deferred payout (blacklisted or not) claim it to a clean address.
 */
export async function closeEverything(m: VaultModel, r: VaultDriver): Promise<void> {
  const open = m.openEscrows();
  for (const record of open) {
    const e = m.current(record);
    m.jumpTo((e.disputedAt !== 0n ? e.disputedAt + ARBITRATION_PERIOD_IN_SECONDS : e.deadline) + 1n);
  }
  if (open.length > 0) {
    const items = open.map((record) => ({ record, passed: m.current(record) }));
    const outcome = await runBatch(m, r, items, r.cast.clean.address);
    const closed = outcome.ok ? outcome.events.filter((e) => e.name === "EscrowTimedOut").length : 0;
    if (closed !== open.length) throw new Error(`invariant 2: the batch closed ${closed} of ${open.length} escrows`);
  }
  for (const token of r.cast.tokens) {
    for (const actor of r.cast.actors) {
      if (m.deferredOf(actor.address, token.address) === 0n) continue;
      const outcome = await r.act(m, "final claim", actor.address, "claim", [token.address, r.cast.clean.address], () =>
        m.claim(actor.address, token.address, r.cast.clean.address),
      );
      if (!outcome.ok) throw new Error(`invariant 2: ${actor.address} could not claim its deferred ${token.name}`);
    }
  }
  for (const record of m.escrows) {
    const word = await r.wordOf(record.id);
    if (record.open || (word !== ZeroHash && word !== USED_WORD)) {
      throw new Error(`invariant 2: escrow ${record.id} is still open (stored word ${word})`);
    }
  }
  for (const token of r.cast.tokens) {
    const held = await r.tokenBalance(token.address, r.cast.vault);
    const fees = await r.accruedFees(token.address);
    if (held !== fees) throw new Error(`invariant 2: vault holds ${held} ${token.name} but only ${fees} are fees`);
  }
  r.assertLedgerSettled();
}

// ---------------------------------------------------------------- arbitraries

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

const moveFunds = (action: "release" | "refund" | "resolve", favourite: "payer" | "payee" | "arbiter") =>
  fc.record({ action: fc.constant(action), escrow: escrowPick, caller: callerPick(favourite), amount: amountPick }).map((p) => new MoveFunds(p));

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
  {
    arbitrary: fc.record({ invoice: fc.nat(), byMerchant: fc.boolean(), other: fc.nat() }).map((p) => new CancelInvoice(p)),
    weight: 1,
  },
  { arbitrary: moveFunds("release", "payer"), weight: 4 },
  { arbitrary: moveFunds("refund", "payee"), weight: 3 },
  { arbitrary: fc.record({ escrow: escrowPick, caller: callerPick("payer") }).map((p) => new Dispute(p)), weight: 5 },
  { arbitrary: moveFunds("resolve", "arbiter"), weight: 5 },
  {
    arbitrary: fc
      .record({
        escrow: escrowPick,
        caller: fc.oneof(callerPick("payee"), callerPick("payer")),
        bySeconds: fc.oneof({ arbitrary: fc.bigInt({ min: 1n, max: 30n * DAY }), weight: 4 }, { arbitrary: fc.constantFrom(0n, -1n), weight: 1 }),
      })
      .map((p) => new ExtendDeadline(p)),
    weight: 2,
  },
  { arbitrary: fc.record({ escrow: escrowPick, caller: fc.nat() }).map((p) => new Timeout(p)), weight: 3 },
  {
    arbitrary: fc
      .record({ escrows: fc.array(escrowPick, { minLength: 1, maxLength: 5 }), caller: fc.nat() })
      .map((p) => new TimeoutBatch(p)),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({
        paused: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
        byOwner: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
        other: fc.nat(),
      })
      .map((p) => new SetDepositsPaused(p)),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({
        token: fc.nat(),
        actor: fc.nat(),
        party: fc.oneof(
          { arbitrary: fc.record({ escrow: fc.nat(), payee: fc.boolean() }), weight: 3 },
          { arbitrary: fc.constant(null), weight: 1 },
        ),
      })
      .map((p) => new ToggleBlacklist(p)),
    weight: 2,
  },
  {
    arbitrary: fc
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
      .map((p) => new Claim(p)),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({
        bps: fc.oneof(fc.constantFrom(0n, 1n, 33n, 250n, 500n, 501n), fc.bigInt({ min: 0n, max: 600n })),
        byOwner: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
        other: fc.nat(),
      })
      .map((p) => new SetFee(p)),
    weight: 2,
  },
  {
    arbitrary: fc.record({ token: fc.nat(), byRecipient: fc.boolean(), other: fc.nat() }).map((p) => new WithdrawFees(p)),
    weight: 1,
  },
  { arbitrary: timeJump, weight: 5 },
);
