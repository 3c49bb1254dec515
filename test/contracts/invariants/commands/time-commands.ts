import { ARBITRATION_PERIOD_IN_SECONDS, type VaultModel } from "../model";
import type { VaultDriver } from "./driver";
import { describePick, hasEscrow, hasInvoice, pickEscrow, type EscrowPick, type VaultCommand } from "./picks";

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
