import type fc from "fast-check";
import { ZeroAddress } from "ethers";
import type { Escrow } from "../../helpers";
import { timeoutExecutableAfter, type EscrowRecord, type VaultModel, type VersionChoice } from "../model";
import type { Cast, VaultDriver } from "./driver";

/**
 * How commands pick parties, escrows and amounts. Picks are drawn as plain numbers and kinds and
 * resolved against the model only when a command runs (modulo what exists then), so every command
 * stays runnable whatever ran before it, including after fast-check shrinks a sequence.
 */

export type VaultCommand = fc.AsyncCommand<VaultModel, VaultDriver>;

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
export function pickEscrow(model: VaultModel, pick: EscrowPick, prefer?: (e: Escrow) => boolean): EscrowRecord {
  const open = model.openEscrows();
  const preferred = prefer ? open.filter((record) => prefer(model.current(record))) : [];
  const pool = pick.anyState || open.length === 0 ? model.escrows : preferred.length > 0 ? preferred : open;
  return pool[pick.index % pool.length];
}

export const disputed = (e: Escrow) => e.disputedAt !== 0n;
export const disputable = (m: VaultModel) => (e: Escrow) => e.arbiter !== ZeroAddress && e.disputedAt === 0n && m.now <= e.deadline;
export const due = (m: VaultModel) => (e: Escrow) => m.now > timeoutExecutableAfter(e);

export function anybody(cast: Cast, index: number): string {
  const pool = [...cast.actors, cast.owner, cast.clean];
  return pool[index % pool.length].address;
}

export function resolveCaller(cast: Cast, escrow: Escrow, pick: CallerPick): string {
  if (pick.role === "anybody") return anybody(cast, pick.index);
  if (pick.role === "payer") return escrow.payer;
  if (pick.role === "payee") return escrow.payee;
  // With no arbiter named, "the arbiter" is a stranger to the escrow.
  return escrow.arbiter === ZeroAddress ? cast.actors[0].address : escrow.arbiter;
}

export function resolveAmount(remaining: bigint, pick: AmountPick): bigint {
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

export const describePick = (p: EscrowPick) => `escrow#${p.index}${p.anyState ? "(any)" : ""}${p.version === "stale" ? "(stale)" : ""}`;
export const describeCaller = (p: CallerPick) => (p.role === "anybody" ? `anybody#${p.index}` : p.role);
export const describeAmount = (p: AmountPick) => (p.kind === "partial" ? `${p.permille}‰` : p.kind);

export const hasEscrow = (m: VaultModel) => m.escrows.length > 0;
export const hasInvoice = (m: VaultModel) => m.invoices.length > 0;
