import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AMOUNT,
  ONE_DAY,
  TOKEN_VARIANTS,
  TimeoutAction,
  disputeEscrow,
  escrowHash,
  loadEscrow,
  shouldRequireAnOpenEscrow,
  shouldWorkWhileDepositsArePaused,
  type EscrowContext,
  type TokenVariant,
} from "./escrow.behavior";
import type { Escrow } from "../helpers";

/** The largest uint48, the furthest deadline the struct can hold. */
const MAX_UINT48 = 2n ** 48n - 1n;

function shouldBehaveLikeExtendDeadline(variant: TokenVariant): void {
  const extend = (ctx: EscrowContext, by: EscrowContext["payer"], newDeadline: bigint, escrow: Escrow = ctx.escrow) =>
    ctx.vault.connect(by).extendDeadline(ctx.escrowId, escrow, newDeadline);

  const cases = [
    { action: "Release", terms: { timeoutAction: TimeoutAction.Release }, favoured: "merchant", other: "payer" },
    { action: "Refund", terms: { timeoutAction: TimeoutAction.Refund }, favoured: "payer", other: "merchant" },
  ] as const;

  for (const { action, terms, favoured, other } of cases) {
    const favouredName = favoured === "merchant" ? "payee" : "payer";
    const otherName = other === "merchant" ? "payee" : "payer";

    describe(`when the timeout action is ${action}`, function () {
      shouldRequireAnOpenEscrow(variant, terms, (ctx, escrowId, escrow) =>
        ctx.vault.connect(ctx[favoured]).extendDeadline(escrowId, escrow, escrow.deadline + ONE_DAY),
      );

      it(`lets the ${favouredName} extend the deadline, storing the updated struct`, async function () {
        const ctx = await loadEscrow(variant, terms);
        const newDeadline = ctx.escrow.deadline + ONE_DAY;
        const tx = extend(ctx, ctx[favoured], newDeadline);
        await expect(tx)
          .to.emit(ctx.vault, "EscrowDeadlineExtended")
          .withArgs(ctx.escrowId, ctx.escrow.deadline, newDeadline);
        await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.vault, ctx.payer, ctx.merchant], [0n, 0n, 0n]);
        expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash({ ...ctx.escrow, deadline: newDeadline }));
      });

      it("refuses the old struct afterwards", async function () {
        const ctx = await loadEscrow(variant, terms);
        await extend(ctx, ctx[favoured], ctx.escrow.deadline + ONE_DAY);
        await expect(extend(ctx, ctx[favoured], ctx.escrow.deadline + 2n * ONE_DAY))
          .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
          .withArgs(ctx.escrowId);
      });

      it("extends again from the updated struct", async function () {
        const ctx = await loadEscrow(variant, terms);
        const first = ctx.escrow.deadline + ONE_DAY;
        await extend(ctx, ctx[favoured], first);
        const second = first + 1n;
        await expect(extend(ctx, ctx[favoured], second, { ...ctx.escrow, deadline: first }))
          .to.emit(ctx.vault, "EscrowDeadlineExtended")
          .withArgs(ctx.escrowId, first, second);
      });

      it("moves the timeout: not executable after the old deadline, executable after the new one", async function () {
        const ctx = await loadEscrow(variant, terms);
        const newDeadline = ctx.escrow.deadline + ONE_DAY;
        await extend(ctx, ctx[favoured], newDeadline);
        const extended = { ...ctx.escrow, deadline: newDeadline };
        await time.setNextBlockTimestamp(ctx.escrow.deadline + 1n);
        await expect(ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, extended))
          .to.be.revertedWithCustomError(ctx.vault, "TimeoutNotReached")
          .withArgs(ctx.escrow.deadline + 1n, newDeadline);
        await time.setNextBlockTimestamp(newDeadline + 1n);
        await expect(ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, extended))
          .to.emit(ctx.vault, "EscrowTimedOut")
          .withArgs(ctx.escrowId, terms.timeoutAction, AMOUNT, 0n);
      });

      it("moves the dispute window with the deadline", async function () {
        const ctx = await loadEscrow(variant, terms);
        const newDeadline = ctx.escrow.deadline + ONE_DAY;
        await extend(ctx, ctx[favoured], newDeadline);
        await time.setNextBlockTimestamp(newDeadline);
        await expect(ctx.vault.connect(ctx[other]).dispute(ctx.escrowId, { ...ctx.escrow, deadline: newDeadline }))
          .to.emit(ctx.vault, "EscrowDisputed")
          .withArgs(ctx.escrowId, ctx[other].address, newDeadline);
      });

      it("extends after the deadline passed while nobody executed the timeout", async function () {
        const ctx = await loadEscrow(variant, terms);
        await time.increaseTo(ctx.escrow.deadline + ONE_DAY);
        const newDeadline = ctx.escrow.deadline + 2n * ONE_DAY;
        await expect(extend(ctx, ctx[favoured], newDeadline))
          .to.emit(ctx.vault, "EscrowDeadlineExtended")
          .withArgs(ctx.escrowId, ctx.escrow.deadline, newDeadline);
      });

      it("extends up to the largest uint48", async function () {
        const ctx = await loadEscrow(variant, terms);
        await expect(extend(ctx, ctx[favoured], MAX_UINT48))
          .to.emit(ctx.vault, "EscrowDeadlineExtended")
          .withArgs(ctx.escrowId, ctx.escrow.deadline, MAX_UINT48);
      });

      it(`reverts when the caller is the ${otherName}`, async function () {
        const ctx = await loadEscrow(variant, terms);
        await expect(extend(ctx, ctx[other], ctx.escrow.deadline + ONE_DAY))
          .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
          .withArgs(ctx[other].address);
      });

      it("reverts when the caller is the arbiter or a stranger", async function () {
        const ctx = await loadEscrow(variant, terms);
        for (const caller of [ctx.arbiter, ctx.other]) {
          await expect(extend(ctx, caller, ctx.escrow.deadline + ONE_DAY))
            .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
            .withArgs(caller.address);
        }
      });

      it("reverts when the new deadline equals the current one", async function () {
        const ctx = await loadEscrow(variant, terms);
        await expect(extend(ctx, ctx[favoured], ctx.escrow.deadline))
          .to.be.revertedWithCustomError(ctx.vault, "DeadlineNotExtended")
          .withArgs(ctx.escrow.deadline, ctx.escrow.deadline);
      });

      it("reverts when the new deadline is earlier than the current one", async function () {
        const ctx = await loadEscrow(variant, terms);
        await expect(extend(ctx, ctx[favoured], ctx.escrow.deadline - 1n))
          .to.be.revertedWithCustomError(ctx.vault, "DeadlineNotExtended")
          .withArgs(ctx.escrow.deadline, ctx.escrow.deadline - 1n);
      });

      it("reverts with EscrowIsDisputed while disputed", async function () {
        const ctx = await loadEscrow(variant, terms);
        const disputed = await disputeEscrow(ctx, ctx[other], ctx.escrowId, ctx.escrow);
        await expect(extend(ctx, ctx[favoured], ctx.escrow.deadline + ONE_DAY, disputed))
          .to.be.revertedWithCustomError(ctx.vault, "EscrowIsDisputed")
          .withArgs(ctx.escrowId);
      });

      describe("while deposits are paused", function () {
        shouldWorkWhileDepositsArePaused(variant, terms, `lets the ${favouredName} extend`, (ctx, escrowId, escrow) =>
          ctx.vault.connect(ctx[favoured]).extendDeadline(escrowId, escrow, escrow.deadline + ONE_DAY),
        );
      });
    });
  }
}

describe("extendDeadline", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeExtendDeadline(variant);
    });
  }
});
