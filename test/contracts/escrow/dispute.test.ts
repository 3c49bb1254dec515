import { anyUint } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AMOUNT,
  TOKEN_VARIANTS,
  TimeoutAction,
  disputeEscrow,
  escrowHash,
  loadEscrow,
  minedAt,
  shouldRequireAnOpenEscrow,
  shouldWorkWhileDepositsArePaused,
  type EscrowContext,
  type TokenVariant,
} from "./escrow.behavior";

const ONE_HOUR = 3600n;

function shouldBehaveLikeDispute(variant: TokenVariant): void {
  const dispute = (ctx: EscrowContext, by: EscrowContext["payer"], escrow = ctx.escrow) =>
    ctx.vault.connect(by).dispute(ctx.escrowId, escrow);

  shouldRequireAnOpenEscrow(variant, {}, (ctx, escrowId, escrow) => ctx.vault.connect(ctx.payer).dispute(escrowId, escrow));

  describe("by a party before the deadline", function () {
    for (const party of ["payer", "merchant"] as const) {
      const who = party === "payer" ? "payer" : "payee";

      it(`lets the ${who} dispute, storing disputedAt as the dispute's block time`, async function () {
        const ctx = await loadEscrow(variant);
        const tx = await dispute(ctx, ctx[party]);
        await expect(tx).to.emit(ctx.vault, "EscrowDisputed").withArgs(ctx.escrowId, ctx[party].address, anyUint);
        const disputedAt = await minedAt(tx);
        expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash({ ...ctx.escrow, disputedAt }));
      });

      it(`moves no funds when the ${who} disputes`, async function () {
        const ctx = await loadEscrow(variant);
        await expect(dispute(ctx, ctx[party])).to.changeTokenBalances(
          ctx.tok,
          [ctx.vault, ctx.payer, ctx.merchant, ctx.arbiter],
          [0n, 0n, 0n, 0n],
        );
      });
    }

    it("allows a dispute at exactly the deadline", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.deadline);
      const tx = await dispute(ctx, ctx.payer);
      await expect(tx).to.emit(ctx.vault, "EscrowDisputed").withArgs(ctx.escrowId, ctx.payer.address, anyUint);
      expect(await minedAt(tx)).to.equal(ctx.escrow.deadline);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(
        escrowHash({ ...ctx.escrow, disputedAt: ctx.escrow.deadline }),
      );
    });

    it("allows a dispute after a partial release, with the updated struct", async function () {
      const ctx = await loadEscrow(variant);
      await ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, AMOUNT / 2n);
      const updated = { ...ctx.escrow, remaining: AMOUNT / 2n };
      const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, updated);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash(disputed));
    });

    it("allows a dispute of an escrow whose timeout refunds", async function () {
      const ctx = await loadEscrow(variant, { timeoutAction: TimeoutAction.Refund });
      await expect(dispute(ctx, ctx.merchant)).to.emit(ctx.vault, "EscrowDisputed").withArgs(ctx.escrowId, ctx.merchant.address, anyUint);
    });

    it("refuses the undisputed struct afterwards", async function () {
      const ctx = await loadEscrow(variant);
      await dispute(ctx, ctx.payer);
      await expect(ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(ctx.escrowId);
    });
  });

  describe("reverts", function () {
    it("reverts one second after the deadline", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.deadline + 1n);
      await expect(dispute(ctx, ctx.payer))
        .to.be.revertedWithCustomError(ctx.vault, "DeadlinePassed")
        .withArgs(ctx.escrow.deadline + 1n, ctx.escrow.deadline);
    });

    it("reverts after the deadline for the payee too", async function () {
      const ctx = await loadEscrow(variant);
      await time.increaseTo(ctx.escrow.deadline + ONE_HOUR);
      const now = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(now);
      await expect(dispute(ctx, ctx.merchant))
        .to.be.revertedWithCustomError(ctx.vault, "DeadlinePassed")
        .withArgs(now, ctx.escrow.deadline);
    });

    it("reverts with NoArbiter when the escrow has no arbiter", async function () {
      const ctx = await loadEscrow(variant, { withArbiter: false });
      for (const party of [ctx.payer, ctx.merchant]) {
        await expect(dispute(ctx, party)).to.be.revertedWithCustomError(ctx.vault, "NoArbiter").withArgs(ctx.escrowId);
      }
    });

    it("reverts when the caller is the arbiter", async function () {
      const ctx = await loadEscrow(variant);
      await expect(dispute(ctx, ctx.arbiter))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.arbiter.address);
    });

    it("reverts when the caller is a stranger, even without an arbiter", async function () {
      const ctx = await loadEscrow(variant);
      await expect(dispute(ctx, ctx.other))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.other.address);
      const noArbiter = await loadEscrow(variant, { withArbiter: false });
      await expect(dispute(noArbiter, noArbiter.other))
        .to.be.revertedWithCustomError(noArbiter.vault, "NotAuthorized")
        .withArgs(noArbiter.other.address);
    });

    it("reverts with EscrowIsDisputed when either party disputes again", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      for (const party of [ctx.payer, ctx.merchant]) {
        await expect(dispute(ctx, party, disputed))
          .to.be.revertedWithCustomError(ctx.vault, "EscrowIsDisputed")
          .withArgs(ctx.escrowId);
      }
    });
  });

  describe("while deposits are paused", function () {
    shouldWorkWhileDepositsArePaused(variant, {}, "lets the payer dispute", (ctx, escrowId, escrow) =>
      ctx.vault.connect(ctx.payer).dispute(escrowId, escrow),
    );
  });
}

describe("dispute", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeDispute(variant);
    });
  }
});
