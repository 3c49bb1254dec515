import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { deployVaultFixture } from "../fixtures";
import type { Escrow } from "../helpers";
import {
  ARBITRATION_PERIOD,
  CLEARED,
  FEE_BPS,
  ONE_DAY,
  TOKEN_VARIANTS,
  TimeoutAction,
  disputeEscrow,
  escrowHash,
  feeOn,
  openEscrow,
  type TokenVariant,
} from "./escrow.behavior";

interface Item {
  escrowId: string;
  escrow: Escrow;
}

/**
 * One vault (fee 1%) with seven escrows in `variant`, seen at `executeAt` (31 days after funding):
 * - dueRelease, dueRefund: undisputed, deadline (7 days) passed: executed;
 * - disputedExpired: disputed at funding, arbitration over: executed as a refund;
 * - closed: released in full by the payer: skipped;
 * - changed: partly released, passed with the stale struct: skipped;
 * - notDue: 60-day hold: skipped;
 * - disputedPending: disputed 5 days after funding, past its deadline but not its arbitration: skipped.
 * The fixture ends 5 days after funding, before any escrow is due.
 */
function batchFixture(variant: TokenVariant) {
  return async function timeoutBatchFixture() {
    const base = await deployVaultFixture();
    await (await base.vault.setFee(FEE_BPS)).wait();
    const tok = base[variant];
    const tokenAddress = await tok.getAddress();
    const open = async (amount: bigint, terms: Parameters<typeof openEscrow>[2] = {}): Promise<Item> => {
      const { escrowId, escrow } = await openEscrow(base, tokenAddress, { amount, ...terms });
      return { escrowId, escrow };
    };

    const dueRelease = await open(10_000_000n);
    const dueRefund = await open(20_000_000n, { timeoutAction: TimeoutAction.Refund });
    const closed = await open(30_000_000n);
    await (await base.vault.connect(base.payer).release(closed.escrowId, closed.escrow, closed.escrow.remaining)).wait();
    const changed = await open(40_000_000n);
    await (await base.vault.connect(base.payer).release(changed.escrowId, changed.escrow, 1_000_000n)).wait();
    const changedNow = { ...changed.escrow, remaining: changed.escrow.remaining - 1_000_000n };
    const disputedExpired = await open(50_000_000n);
    disputedExpired.escrow = await disputeEscrow(base, base.payer, disputedExpired.escrowId, disputedExpired.escrow);
    const notDue = await open(60_000_000n, { holdPeriod: 60n * ONE_DAY });
    const disputedPending = await open(70_000_000n);
    const fundedAt = BigInt(await time.latest());

    // Five days later, still before every deadline: the dispute whose arbitration outlives executeAt.
    await time.increaseTo(fundedAt + 5n * ONE_DAY);
    disputedPending.escrow = await disputeEscrow(base, base.merchant, disputedPending.escrowId, disputedPending.escrow);

    const executeAt = fundedAt + 31n * ONE_DAY;
    return {
      ...base,
      tok,
      tokenAddress,
      executeAt,
      items: { dueRelease, dueRefund, closed, changed, changedNow, disputedExpired, notDue, disputedPending },
    };
  };
}

const fixtures = new Map(TOKEN_VARIANTS.map((variant) => [variant, batchFixture(variant)]));

function shouldBehaveLikeExecuteTimeouts(variant: TokenVariant): void {
  const load = () => loadFixture(fixtures.get(variant)!);
  type Ctx = Awaited<ReturnType<typeof load>>;

  /** Every escrow of the fixture, as a relayer's batch would list them (stale struct for `changed`). */
  const fullBatch = ({ items }: Ctx): Item[] => [
    items.dueRelease,
    items.closed,
    items.dueRefund,
    items.changed,
    items.notDue,
    items.disputedExpired,
    items.disputedPending,
  ];

  it("returns how many escrows it closed", async function () {
    const ctx = await load();
    await time.increaseTo(ctx.executeAt);
    expect(await ctx.vault.connect(ctx.other).executeTimeouts.staticCall(fullBatch(ctx))).to.equal(3n);
  });

  it("closes the due escrows, emitting one EscrowTimedOut each", async function () {
    const ctx = await load();
    const { dueRelease, dueRefund, disputedExpired } = ctx.items;
    await time.increaseTo(ctx.executeAt);
    const tx = ctx.vault.connect(ctx.other).executeTimeouts(fullBatch(ctx));
    const releaseFee = feeOn(dueRelease.escrow.remaining, FEE_BPS);
    await expect(tx)
      .to.emit(ctx.vault, "EscrowTimedOut")
      .withArgs(dueRelease.escrowId, TimeoutAction.Release, dueRelease.escrow.remaining, releaseFee)
      .and.to.emit(ctx.vault, "EscrowTimedOut")
      .withArgs(dueRefund.escrowId, TimeoutAction.Refund, dueRefund.escrow.remaining, 0n)
      .and.to.emit(ctx.vault, "EscrowTimedOut")
      .withArgs(disputedExpired.escrowId, TimeoutAction.Refund, disputedExpired.escrow.remaining, 0n);
    const receipt = await (await tx).wait();
    const timedOut = receipt!.logs
      .map((log) => ctx.vault.interface.parseLog(log))
      .filter((parsed) => parsed?.name === "EscrowTimedOut")
      .map((parsed) => parsed!.args.escrowId as string);
    expect(timedOut).to.deep.equal([dueRelease.escrowId, dueRefund.escrowId, disputedExpired.escrowId]);
    for (const item of [dueRelease, dueRefund, disputedExpired]) {
      expect(await ctx.vault.escrowHashOf(item.escrowId)).to.equal(CLEARED);
    }
  });

  it("pays the payee and payer of the due escrows and accrues the release fee", async function () {
    const ctx = await load();
    const { dueRelease, dueRefund, disputedExpired } = ctx.items;
    await time.increaseTo(ctx.executeAt);
    const feesBefore = await ctx.vault.accruedFees(ctx.tokenAddress);
    const releaseFee = feeOn(dueRelease.escrow.remaining, FEE_BPS);
    const refunded = dueRefund.escrow.remaining + disputedExpired.escrow.remaining;
    const paidOut = dueRelease.escrow.remaining - releaseFee + refunded;
    await expect(ctx.vault.connect(ctx.other).executeTimeouts(fullBatch(ctx))).to.changeTokenBalances(
      ctx.tok,
      [ctx.merchant, ctx.payer, ctx.vault, ctx.other],
      [dueRelease.escrow.remaining - releaseFee, refunded, -paidOut, 0n],
    );
    expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(feesBefore + releaseFee);
  });

  it("leaves skipped escrows exactly as they were", async function () {
    const ctx = await load();
    const { closed, changedNow, changed, notDue, disputedPending } = ctx.items;
    await time.increaseTo(ctx.executeAt);
    const before = await Promise.all([closed, changed, notDue, disputedPending].map((i) => ctx.vault.escrowHashOf(i.escrowId)));
    expect(before.slice(1)).to.deep.equal([escrowHash(changedNow), escrowHash(notDue.escrow), escrowHash(disputedPending.escrow)]);
    await ctx.vault.connect(ctx.other).executeTimeouts(fullBatch(ctx));
    const after = await Promise.all([closed, changed, notDue, disputedPending].map((i) => ctx.vault.escrowHashOf(i.escrowId)));
    expect(after).to.deep.equal(before);
  });

  it("returns zero and emits nothing for an empty batch", async function () {
    const ctx = await load();
    expect(await ctx.vault.executeTimeouts.staticCall([])).to.equal(0n);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts([])).not.to.emit(ctx.vault, "EscrowTimedOut");
  });

  it("returns zero, emits nothing and moves nothing when every escrow is skipped", async function () {
    const ctx = await load();
    const { closed, changed, notDue, disputedPending } = ctx.items;
    await time.increaseTo(ctx.executeAt);
    const unknown = { escrowId: ethers.keccak256(ethers.toUtf8Bytes("unknown")), escrow: notDue.escrow };
    const batch = [closed, changed, notDue, disputedPending, unknown];
    expect(await ctx.vault.executeTimeouts.staticCall(batch)).to.equal(0n);
    const tx = ctx.vault.connect(ctx.other).executeTimeouts(batch);
    await expect(tx).not.to.emit(ctx.vault, "EscrowTimedOut");
    await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.vault, ctx.merchant, ctx.payer], [0n, 0n, 0n]);
  });

  it("skips every escrow before any is due", async function () {
    const ctx = await load();
    expect(await ctx.vault.executeTimeouts.staticCall(fullBatch(ctx))).to.equal(0n);
  });

  it("executes an escrow listed twice only once", async function () {
    const ctx = await load();
    const { dueRefund } = ctx.items;
    await time.increaseTo(ctx.executeAt);
    const batch = [dueRefund, dueRefund];
    expect(await ctx.vault.executeTimeouts.staticCall(batch)).to.equal(1n);
    const tx = ctx.vault.connect(ctx.other).executeTimeouts(batch);
    await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer], [dueRefund.escrow.remaining]);
    const receipt = await (await tx).wait();
    expect(receipt!.logs.filter((log) => ctx.vault.interface.parseLog(log)?.name === "EscrowTimedOut")).to.have.length(1);
  });

  it("executes a changed escrow when given its current struct", async function () {
    const ctx = await load();
    const { changed, changedNow } = ctx.items;
    await time.increaseTo(ctx.executeAt);
    const batch = [{ escrowId: changed.escrowId, escrow: changedNow }];
    expect(await ctx.vault.executeTimeouts.staticCall(batch)).to.equal(1n);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts(batch))
      .to.emit(ctx.vault, "EscrowTimedOut")
      .withArgs(changed.escrowId, TimeoutAction.Release, changedNow.remaining, feeOn(changedNow.remaining, FEE_BPS));
  });

  it("returns zero when the same batch is sent again", async function () {
    const ctx = await load();
    await time.increaseTo(ctx.executeAt);
    await ctx.vault.connect(ctx.other).executeTimeouts(fullBatch(ctx));
    expect(await ctx.vault.executeTimeouts.staticCall(fullBatch(ctx))).to.equal(0n);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts(fullBatch(ctx))).not.to.emit(ctx.vault, "EscrowTimedOut");
  });

  it("skips an escrow at exactly its deadline and executes it one second later", async function () {
    const ctx = await load();
    const { dueRelease } = ctx.items;
    const batch = [dueRelease];
    await time.setNextBlockTimestamp(dueRelease.escrow.deadline);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts(batch)).not.to.emit(ctx.vault, "EscrowTimedOut");
    expect(await ctx.vault.escrowHashOf(dueRelease.escrowId)).to.equal(escrowHash(dueRelease.escrow));
    await time.setNextBlockTimestamp(dueRelease.escrow.deadline + 1n);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts(batch))
      .to.emit(ctx.vault, "EscrowTimedOut")
      .withArgs(dueRelease.escrowId, TimeoutAction.Release, dueRelease.escrow.remaining, feeOn(dueRelease.escrow.remaining, FEE_BPS));
  });

  it("skips a disputed escrow at exactly disputedAt + ARBITRATION_PERIOD and refunds it one second later", async function () {
    const ctx = await load();
    const { disputedExpired } = ctx.items;
    const expiry = disputedExpired.escrow.disputedAt + ARBITRATION_PERIOD;
    await time.setNextBlockTimestamp(expiry);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts([disputedExpired])).not.to.emit(ctx.vault, "EscrowTimedOut");
    await time.setNextBlockTimestamp(expiry + 1n);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts([disputedExpired]))
      .to.emit(ctx.vault, "EscrowTimedOut")
      .withArgs(disputedExpired.escrowId, TimeoutAction.Refund, disputedExpired.escrow.remaining, 0n);
  });

  it("works while deposits are paused", async function () {
    const ctx = await load();
    await ctx.vault.setDepositsPaused(true);
    await time.increaseTo(ctx.executeAt);
    expect(await ctx.vault.executeTimeouts.staticCall(fullBatch(ctx))).to.equal(3n);
    await expect(ctx.vault.connect(ctx.other).executeTimeouts(fullBatch(ctx))).to.emit(ctx.vault, "EscrowTimedOut");
    expect(await ctx.vault.escrowHashOf(ctx.items.dueRelease.escrowId)).to.equal(CLEARED);
  });
}

describe("executeTimeouts", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeExecuteTimeouts(variant);
    });
  }
});
