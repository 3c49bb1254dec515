import type { Interface, TypedDataDomain } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { EIP1193Provider } from "hardhat/types";
import type { ExpectedEvent, Outcome, VaultModel } from "../model";
import { EventLedger } from "./ledger";
import { readAll, type Query } from "./lens";

/**
 * The chain side of the invariant tests: a driver that sends each action as a raw transaction at the
 * model's time and reads the whole observable state back in one call. Every command asks the model for
 * its prediction, runs the action through {@link VaultDriver.act}, which requires the same outcome
 * (success with the same vault events, or the same custom error and arguments), then checks the
 * invariants of DESIGN.md section 3 against the state read back.
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
export type ChainOutcome = { ok: true; events: ExpectedEvent[] } | { ok: false; error: string; args: readonly unknown[] };

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

function unique(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const k = a.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The queries read after every step whatever happened: per token every watched balance, every
 * actor's deferred payout and the accrued fees; then the fee and the pause flag. The order is the one
 * {@link VaultDriver.expectedStatic} follows.
 */
function staticQueriesFor(cast: Cast, watched: readonly string[]): Query[] {
  const vi = cast.vaultInterface;
  const ti = cast.tokenInterface;
  const queries: Query[] = [];
  for (const token of cast.tokens) {
    for (const account of watched) {
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
  return queries;
}

/** The model's own books: every escrow's funds are still held, released (payee + fee) or refunded. */
function checkModelBooks(model: VaultModel): void {
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

export class VaultDriver {
  readonly cast: Cast;
  readonly totals: RunTotals;
  private readonly ledger = new EventLedger();
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
    this.watched = unique([
      ...cast.actors.map((s) => s.address),
      cast.owner.address,
      cast.feeRecipient.address,
      cast.clean.address,
      cast.vault,
    ]);
    this.staticQueries = staticQueriesFor(cast, this.watched);
    this.staticQueries.forEach((q, i) => this.staticIndex.set(q.label, i));
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
      return this.revertOutcome(error);
    }
    const events = await this.vaultEvents(hash);
    this.ledger.record(events);
    return { ok: true, events };
  }

  /** The vault's custom error behind a failed send; anything else (no revert data, a foreign error) is rethrown. */
  private revertOutcome(error: unknown): ChainOutcome {
    const revertData = (error as { data?: unknown }).data;
    if (typeof revertData !== "string") throw error;
    const parsed = this.cast.vaultInterface.parseError(revertData);
    if (parsed === null) throw new Error(`unknown revert data ${revertData} (${(error as Error).message})`);
    return { ok: false, error: parsed.name, args: parsed.args.toArray(true) as unknown[] };
  }

  /** The vault's events in a mined transaction; token events are left out, balances are checked instead. */
  private async vaultEvents(hash: string): Promise<ExpectedEvent[]> {
    const receipt = (await this.cast.provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
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
    return events;
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
    if (chainChanged || chainStatic === undefined) chainStatic = await this.readState(model);
    this.expectStaticAsModel(model, chainStatic);
    this.expectSolvent(model, chainStatic);
    checkModelBooks(model);
  }

  /**
   * Reads the static queries and every invoice's stored word in one call, requires each word to equal
   * the model's, and returns (and remembers) the static part.
   */
  private async readState(model: VaultModel): Promise<bigint[]> {
    const ids = model.invoices.map((inv) => inv.id);
    const wordQueries: Query[] = ids.map((id) => ({
      label: `escrowHashOf(${id})`,
      target: this.cast.vault,
      data: this.cast.vaultInterface.encodeFunctionData("escrowHashOf", [id]),
    }));
    const chain = await readAll(this.cast.provider, [...this.staticQueries, ...wordQueries]);
    const chainStatic = chain.slice(0, this.staticQueries.length);
    this.lastStatic = chainStatic;
    const mismatches: string[] = [];
    ids.forEach((id, i) => {
      const word = chain[this.staticQueries.length + i];
      if (word !== BigInt(model.wordOf(id))) mismatches.push(`${wordQueries[i].label}: chain ${word}, model ${model.wordOf(id)}`);
    });
    if (mismatches.length > 0) throw new Error(`chain state differs from the model:\n  ${mismatches.join("\n  ")}`);
    return chainStatic;
  }

  private expectStaticAsModel(model: VaultModel, chainStatic: readonly bigint[]): void {
    const expected = this.expectedStatic(model);
    const mismatches: string[] = [];
    this.staticQueries.forEach((q, i) => {
      if (chainStatic[i] !== expected[i]) mismatches.push(`${q.label}: chain ${chainStatic[i]}, model ${expected[i]}`);
    });
    if (mismatches.length > 0) throw new Error(`chain state differs from the model:\n  ${mismatches.join("\n  ")}`);
  }

  /**
   * Invariant 1 on the values read from the chain. The escrowed sum comes from the model, every open
   * escrow of which was just found stored on chain with exactly the model's fields (hash equality).
   */
  private expectSolvent(model: VaultModel, chainStatic: readonly bigint[]): void {
    const at = (label: string) => chainStatic[this.staticIndex.get(label)!];
    for (const token of this.cast.tokens) {
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
  }

  /** After a blacklist toggle: the token's blacklist flags of every actor equal the model's. */
  async checkBlacklist(model: VaultModel, token: TokenUnderTest): Promise<void> {
    const queries = this.cast.actors.map((actor) => ({
      label: `${token.name}.isBlackListed(${actor.address})`,
      target: token.address,
      data: this.cast.tokenInterface.encodeFunctionData("isBlackListed", [actor.address]),
    }));
    const chain = await readAll(this.cast.provider, queries);
    this.cast.actors.forEach((actor, i) => {
      const listed = model.isBlacklisted(token.address, actor.address) ? 1n : 0n;
      if (chain[i] !== listed) throw new Error(`${queries[i].label}: chain ${chain[i]}, model ${listed}`);
    });
  }

  /** Invariant 3 once everything is closed: see {@link EventLedger.assertSettled}. */
  assertLedgerSettled(): void {
    this.ledger.assertSettled();
  }

  /** The chain's stored word for `id`, for the end-of-run check. */
  async wordOf(id: string): Promise<string> {
    return this.call(this.cast.vault, this.cast.vaultInterface.encodeFunctionData("escrowHashOf", [id]));
  }

  async tokenBalance(token: string, account: string): Promise<bigint> {
    return BigInt(await this.call(token, this.cast.tokenInterface.encodeFunctionData("balanceOf", [account])));
  }

  async accruedFees(token: string): Promise<bigint> {
    return BigInt(await this.call(this.cast.vault, this.cast.vaultInterface.encodeFunctionData("accruedFees", [token])));
  }

  private async call(to: string, data: string): Promise<string> {
    return (await this.cast.provider.request({ method: "eth_call", params: [{ to, data }, "latest"] })) as string;
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
