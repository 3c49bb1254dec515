import type { VaultModel } from "../model";
import type { Cast, VaultDriver } from "./driver";
import { anybody, type VaultCommand } from "./picks";

/** The owner, or (to hit the access checks) an actor. */
function ownerOrActor(cast: Cast, byOwner: boolean, other: number): string {
  return byOwner ? cast.owner.address : cast.actors[other % cast.actors.length].address;
}

export class SetDepositsPaused implements VaultCommand {
  constructor(readonly p: { paused: boolean; byOwner: boolean; other: number }) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const caller = ownerOrActor(r.cast, this.p.byOwner, this.p.other);
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
    const caller = ownerOrActor(r.cast, this.p.byOwner, this.p.other);
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
