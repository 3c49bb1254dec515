import type { Escrow } from "../../helpers";
import type { EscrowRecord, VaultModel } from "../model";
import type { ChainOutcome, VaultDriver } from "./driver";
import {
  anybody,
  describeAmount,
  describeCaller,
  describePick,
  disputable,
  disputed,
  due,
  hasEscrow,
  pickEscrow,
  resolveAmount,
  resolveCaller,
  type AmountPick,
  type CallerPick,
  type EscrowPick,
  type VaultCommand,
} from "./picks";

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

/** `executeTimeouts` over `items`, checked like any other action; also the end-of-sequence drain. */
export async function runBatch(
  m: VaultModel,
  r: VaultDriver,
  items: { record: EscrowRecord; passed: Escrow }[],
  caller: string,
): Promise<ChainOutcome> {
  const calls = items.map(({ record, passed }) => ({ escrowId: record.id, escrow: passed }));
  return r.act(m, "timeouts", caller, "executeTimeouts", [calls], () => m.executeTimeouts(items));
}
