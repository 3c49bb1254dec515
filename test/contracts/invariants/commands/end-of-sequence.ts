import { ZeroHash } from "ethers";
import { ARBITRATION_PERIOD_IN_SECONDS, USED_WORD, type VaultModel } from "../model";
import type { VaultDriver } from "./driver";
import { runBatch } from "./escrow-commands";

/**
 * Invariant 2, nothing gets stuck: closes every escrow by the permissionless path and drains every
 * deferred payout, then requires that each escrow is closed and that the vault holds exactly its
 * accrued fees in every token: jump past every deadline and arbitration period, execute all timeouts
 * in one batch from an uninvolved account, and let every recipient owed a deferred payout (blacklisted
 * or not) claim it to a clean address.
 */
export async function closeEverything(m: VaultModel, r: VaultDriver): Promise<void> {
  await timeOutEverything(m, r);
  await claimEverything(m, r);
  await expectEveryEscrowClosed(m, r);
  await expectOnlyFeesHeld(r);
  r.assertLedgerSettled();
}

/** Past every open escrow's timeout, one batch from an account no escrow names must close them all. */
async function timeOutEverything(m: VaultModel, r: VaultDriver): Promise<void> {
  const open = m.openEscrows();
  for (const record of open) {
    const e = m.current(record);
    m.jumpTo((e.disputedAt !== 0n ? e.disputedAt + ARBITRATION_PERIOD_IN_SECONDS : e.deadline) + 1n);
  }
  if (open.length === 0) return;
  const items = open.map((record) => ({ record, passed: m.current(record) }));
  const outcome = await runBatch(m, r, items, r.cast.clean.address);
  const closed = outcome.ok ? outcome.events.filter((e) => e.name === "EscrowTimedOut").length : 0;
  if (closed !== open.length) throw new Error(`invariant 2: the batch closed ${closed} of ${open.length} escrows`);
}

/** Every deferred payout must be claimable to a clean address, blacklisted recipient or not. */
async function claimEverything(m: VaultModel, r: VaultDriver): Promise<void> {
  for (const token of r.cast.tokens) {
    for (const actor of r.cast.actors) {
      if (m.deferredOf(actor.address, token.address) === 0n) continue;
      const outcome = await r.act(m, "final claim", actor.address, "claim", [token.address, r.cast.clean.address], () =>
        m.claim(actor.address, token.address, r.cast.clean.address),
      );
      if (!outcome.ok) throw new Error(`invariant 2: ${actor.address} could not claim its deferred ${token.name}`);
    }
  }
}

async function expectEveryEscrowClosed(m: VaultModel, r: VaultDriver): Promise<void> {
  for (const record of m.escrows) {
    const word = await r.wordOf(record.id);
    if (record.open || (word !== ZeroHash && word !== USED_WORD)) {
      throw new Error(`invariant 2: escrow ${record.id} is still open (stored word ${word})`);
    }
  }
}

async function expectOnlyFeesHeld(r: VaultDriver): Promise<void> {
  for (const token of r.cast.tokens) {
    const held = await r.tokenBalance(token.address, r.cast.vault);
    const fees = await r.accruedFees(token.address);
    if (held !== fees) throw new Error(`invariant 2: vault holds ${held} ${token.name} but only ${fees} are fees`);
  }
}
