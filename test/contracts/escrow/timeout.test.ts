import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AMOUNT,
  ARBITRATION_PERIOD,
  CLEARED,
  FEE_BPS,
  ONE_DAY,
  TOKEN_VARIANTS,
  TimeoutAction,
  USED,
  disputeEscrow,
  feeOn,
  loadEscrow,
  payAgain,
  shouldRequireAnOpenEscrow,
  shouldWorkWhileDepositsArePaused,
  type EscrowContext,
  type TokenVariant,
} from "./escrow.behavior";
import type { Escrow } from "../helpers";

/** Terms whose timeout falls before payBy: a day's hold on an invoice payable for thirty days. */
const EARLY_TIMEOUT = { payWindow: 30n * ONE_DAY, holdPeriod: ONE_DAY };

function shouldBehaveLikeExecuteTimeout(variant: TokenVariant): void {
  const timeout = (ctx: EscrowContext, escrow: Escrow = ctx.escrow) =>
    ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, escrow);

  shouldRequireAnOpenEscrow(variant, {}, (ctx, escrowId, escrow) =>
    ctx.vault.connect(ctx.other).executeTimeout(escrowId, escrow),
  );

  describe("when the timeout action is Release and the escrow is undisputed", function () {
    it("reverts at exactly the deadline", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.deadline);
      await expect(timeout(ctx))
        .to.be.revertedWithCustomError(ctx.vault, "TimeoutNotReached")
        .withArgs(ctx.escrow.deadline, ctx.escrow.deadline);
    });

    it("reverts right after funding", async function () {
      const ctx = await loadEscrow(variant);
      const now = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(now);
      await expect(timeout(ctx))
        .to.be.revertedWithCustomError(ctx.vault, "TimeoutNotReached")
        .withArgs(now, ctx.escrow.deadline);
    });

    it("lets anyone release everything to the payee one second after the deadline", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.deadline + 1n);
      const tx = timeout(ctx);
      await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Release, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(
        ctx.tok,
        [ctx.merchant, ctx.payer, ctx.vault, ctx.other],
        [AMOUNT, 0n, -AMOUNT, 0n],
      );
      // The deadline is after payBy here, so the word is cleared.
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });

    it("lets a party execute it too", async function () {
      const ctx = await loadEscrow(variant);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      await expect(ctx.vault.connect(ctx.payer).executeTimeout(ctx.escrowId, ctx.escrow))
        .to.emit(ctx.vault, "EscrowTimedOut")
        .withArgs(ctx.escrowId, TimeoutAction.Release, AMOUNT, 0n);
    });

    it("releases only what remains after a partial refund", async function () {
      const ctx = await loadEscrow(variant);
      const refunded = 40_000_000n;
      await ctx.vault.connect(ctx.merchant).refund(ctx.escrowId, ctx.escrow, refunded);
      const rest = AMOUNT - refunded;
      await time.increaseTo(ctx.escrow.deadline + 1n);
      const tx = timeout(ctx, { ...ctx.escrow, remaining: rest });
      await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Release, rest, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [rest, -rest]);
    });

    it("charges the escrow's fee and accrues it", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      await ctx.vault.setFee(0);
      const fee = feeOn(AMOUNT, FEE_BPS);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      const tx = timeout(ctx);
      await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Release, AMOUNT, fee);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [AMOUNT - fee, fee - AMOUNT]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
    });

    it("refuses a second execution", async function () {
      const ctx = await loadEscrow(variant);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      await timeout(ctx);
      await expect(timeout(ctx)).to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen").withArgs(ctx.escrowId);
    });
  });

  describe("when the timeout action is Refund and the escrow is undisputed", function () {
    const terms = { timeoutAction: TimeoutAction.Refund };

    it("reverts at exactly the deadline", async function () {
      const ctx = await loadEscrow(variant, terms);
      await time.setNextBlockTimestamp(ctx.escrow.deadline);
      await expect(timeout(ctx))
        .to.be.revertedWithCustomError(ctx.vault, "TimeoutNotReached")
        .withArgs(ctx.escrow.deadline, ctx.escrow.deadline);
    });

    it("lets anyone refund everything to the payer one second after the deadline", async function () {
      const ctx = await loadEscrow(variant, terms);
      await time.setNextBlockTimestamp(ctx.escrow.deadline + 1n);
      const tx = timeout(ctx);
      await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Refund, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.payer, ctx.vault], [0n, AMOUNT, -AMOUNT]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });

    it("charges no fee", async function () {
      const ctx = await loadEscrow(variant, { ...terms, feeBps: FEE_BPS });
      await time.increaseTo(ctx.escrow.deadline + 1n);
      const tx = timeout(ctx);
      await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Refund, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer], [AMOUNT]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
    });

    it("refunds only what remains after a partial release", async function () {
      const ctx = await loadEscrow(variant, terms);
      const released = 1n;
      await ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, released);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      const rest = AMOUNT - released;
      await expect(timeout(ctx, { ...ctx.escrow, remaining: rest }))
        .to.emit(ctx.vault, "EscrowTimedOut")
        .withArgs(ctx.escrowId, TimeoutAction.Refund, rest, 0n);
    });
  });

  describe("when the timeout falls before payBy", function () {
    it("stores 0x…01 and the invoice cannot be paid again", async function () {
      const ctx = await loadEscrow(variant, EARLY_TIMEOUT);
      expect(ctx.escrow.deadline).to.be.lessThan(ctx.escrow.payBy);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      await expect(timeout(ctx)).to.emit(ctx.vault, "EscrowTimedOut");
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
      await expect(payAgain(ctx)).to.be.revertedWithCustomError(ctx.vault, "InvoiceAlreadyUsed").withArgs(ctx.escrowId);
    });
  });

  describe("when disputed", function () {
    for (const action of ["Release", "Refund"] as const) {
      const terms = { timeoutAction: TimeoutAction[action] };

      describe(`with timeout action ${action}`, function () {
        it("reverts after the deadline while the arbitration period runs", async function () {
          const ctx = await loadEscrow(variant, terms);
          const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
          await time.setNextBlockTimestamp(ctx.escrow.deadline + 1n);
          await expect(timeout(ctx, disputed))
            .to.be.revertedWithCustomError(ctx.vault, "TimeoutNotReached")
            .withArgs(ctx.escrow.deadline + 1n, disputed.disputedAt + ARBITRATION_PERIOD);
        });

        it("reverts at exactly disputedAt + ARBITRATION_PERIOD", async function () {
          const ctx = await loadEscrow(variant, terms);
          const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, ctx.escrow);
          const expiry = disputed.disputedAt + ARBITRATION_PERIOD;
          await time.setNextBlockTimestamp(expiry);
          await expect(timeout(ctx, disputed))
            .to.be.revertedWithCustomError(ctx.vault, "TimeoutNotReached")
            .withArgs(expiry, expiry);
        });

        it("refunds the payer one second after the arbitration period, without fee", async function () {
          const ctx = await loadEscrow(variant, { ...terms, feeBps: FEE_BPS });
          const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
          await time.setNextBlockTimestamp(disputed.disputedAt + ARBITRATION_PERIOD + 1n);
          const tx = timeout(ctx, disputed);
          await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Refund, AMOUNT, 0n);
          await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.payer, ctx.vault], [0n, AMOUNT, -AMOUNT]);
          expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
          expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
        });

        it("refuses the undisputed struct", async function () {
          const ctx = await loadEscrow(variant, terms);
          await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
          await time.increaseTo(ctx.escrow.deadline + ARBITRATION_PERIOD + 1n);
          await expect(timeout(ctx)).to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen").withArgs(ctx.escrowId);
        });
      });
    }

    it("refunds the payer when arbitration expires before a long deadline", async function () {
      const ctx = await loadEscrow(variant, { holdPeriod: 60n * ONE_DAY });
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const executableAt = disputed.disputedAt + ARBITRATION_PERIOD + 1n;
      expect(executableAt).to.be.lessThan(ctx.escrow.deadline);
      await time.setNextBlockTimestamp(executableAt);
      await expect(timeout(ctx, disputed))
        .to.emit(ctx.vault, "EscrowTimedOut")
        .withArgs(ctx.escrowId, TimeoutAction.Refund, AMOUNT, 0n);
    });

    it("refunds only what remains after the arbiter released part", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const released = 25_000_000n;
      await ctx.vault.connect(ctx.arbiter).release(ctx.escrowId, disputed, released);
      const rest = AMOUNT - released;
      await time.increaseTo(disputed.disputedAt + ARBITRATION_PERIOD + 1n);
      const tx = timeout(ctx, { ...disputed, remaining: rest });
      await expect(tx).to.emit(ctx.vault, "EscrowTimedOut").withArgs(ctx.escrowId, TimeoutAction.Refund, rest, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.merchant], [rest, 0n]);
    });
  });

  describe("while deposits are paused", function () {
    shouldWorkWhileDepositsArePaused(
      variant,
      {},
      "executes an undisputed timeout",
      async (ctx, escrowId, escrow) => {
        await time.increaseTo(escrow.deadline + 1n);
        return ctx.vault.connect(ctx.other).executeTimeout(escrowId, escrow);
      },
    );
    shouldWorkWhileDepositsArePaused(
      variant,
      {},
      "executes an expired arbitration",
      async (ctx, escrowId, escrow) => {
        await time.increaseTo(escrow.disputedAt + ARBITRATION_PERIOD + 1n);
        return ctx.vault.connect(ctx.other).executeTimeout(escrowId, escrow);
      },
      (ctx) => disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow),
    );
  });
}

describe("executeTimeout", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeExecuteTimeout(variant);
    });
  }
});
