import type { Escrow } from "../../helpers";
import type { VaultModel } from "../model";
import type { Cast, TokenUnderTest, VaultDriver } from "./driver";
import type { VaultCommand } from "./picks";

/**
 * Deferred payouts: the USDT-like tokens' blacklist, which makes payouts to a party fail and get
 * credited instead, and the claims that drain those credits.
 */

/** The open escrows in a blacklistable token, current versions. */
function blacklistableEscrows(m: VaultModel, listable: readonly TokenUnderTest[]): Escrow[] {
  return m
    .openEscrows()
    .map((record) => m.current(record))
    .filter((e) => listable.some((t) => t.address === e.token));
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
    const candidates = blacklistableEscrows(m, listable);
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

type ClaimParams = { owed: boolean; recipient: number; token: number; to: { kind: "clean" } | { kind: "self" } | { kind: "actor"; index: number } };

/**
 * Who claims which token: with `owed`, someone actually owed something (when anyone is), so that
 * claims mostly do something; otherwise any actor and token.
 */
function pickClaimant(m: VaultModel, cast: Cast, p: ClaimParams): { recipient: string; token: string } {
  const owed: { recipient: string; token: string }[] = [];
  for (const token of cast.tokens) {
    for (const actor of cast.actors) {
      if (m.deferredOf(actor.address, token.address) > 0n) owed.push({ recipient: actor.address, token: token.address });
    }
  }
  return p.owed && owed.length > 0
    ? owed[p.recipient % owed.length]
    : {
        recipient: cast.actors[p.recipient % cast.actors.length].address,
        token: cast.tokens[p.token % cast.tokens.length].address,
      };
}

export class Claim implements VaultCommand {
  constructor(readonly p: ClaimParams) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const cast = r.cast;
    const { recipient, token } = pickClaimant(m, cast, this.p);
    const to =
      this.p.to.kind === "clean" ? cast.clean.address : this.p.to.kind === "self" ? recipient : cast.actors[this.p.to.index % cast.actors.length].address;
    await r.act(m, "claim", recipient, "claim", [token, to], () => m.claim(recipient, token, to));
  }
  toString = () =>
    `claim(${this.p.owed ? "owed " : ""}#${this.p.recipient}, token#${this.p.token}, to ${this.p.to.kind}${
      this.p.to.kind === "actor" ? `#${this.p.to.index}` : ""
    })`;
}
