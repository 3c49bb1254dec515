import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AMOUNT,
  CLEARED,
  FEE_BPS,
  TOKEN_VARIANTS,
  USED,
  disputeEscrow,
  escrowHash,
  loadEscrow,
  payAgain,
  shouldRequireAnOpenEscrow,
  shouldWorkWhileDepositsArePaused,
  type EscrowContext,
  type TokenVariant,
} from "./escrow.behavior";

function shouldBehaveLikeRefund(variant: TokenVariant): void {
  const refund = (ctx: EscrowContext, by: EscrowContext["payer"], amount: bigint, escrow = ctx.escrow) =>
    ctx.vault.connect(by).refund(ctx.escrowId, escrow, amount);

  shouldRequireAnOpenEscrow(variant, {}, (ctx, escrowId, escrow) =>
    ctx.vault.connect(ctx.merchant).refund(escrowId, escrow, escrow.remaining),
  );

  describe("by the payee while undisputed", function () {
    it("refunds the whole escrow to the payer and closes it", async function () {
      const ctx = await loadEscrow(variant);
      const tx = refund(ctx, ctx.merchant, AMOUNT);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, AMOUNT);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault, ctx.merchant], [AMOUNT, -AMOUNT, 0n]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("refunds part, storing the hash of the struct with the new remaining", async function () {
      const ctx = await loadEscrow(variant);
      const part = AMOUNT / 5n;
      const tx = refund(ctx, ctx.merchant, part);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, part);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault], [part, -part]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash({ ...ctx.escrow, remaining: AMOUNT - part }));
    });

    it("refuses the old struct after a partial refund and accepts the updated one", async function () {
      const ctx = await loadEscrow(variant);
      const part = AMOUNT / 5n;
      await refund(ctx, ctx.merchant, part);
      await expect(refund(ctx, ctx.merchant, 1n))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(ctx.escrowId);
      const updated = { ...ctx.escrow, remaining: AMOUNT - part };
      const tx = refund(ctx, ctx.merchant, AMOUNT - part, updated);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, AMOUNT - part);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer], [AMOUNT - part]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("refunds what the payer did not release, closing the escrow", async function () {
      const ctx = await loadEscrow(variant);
      const released = AMOUNT / 2n;
      await ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, released);
      const rest = AMOUNT - released;
      const tx = refund(ctx, ctx.merchant, rest, { ...ctx.escrow, remaining: rest });
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, rest);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault], [rest, -rest]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("refunds after the deadline while nobody executed the timeout, clearing the word after payBy", async function () {
      const ctx = await loadEscrow(variant);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      await expect(refund(ctx, ctx.merchant, AMOUNT)).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, AMOUNT);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });

    it("keeps the invoice used when closed before payBy, so it cannot be paid again", async function () {
      const ctx = await loadEscrow(variant);
      await refund(ctx, ctx.merchant, AMOUNT);
      await expect(payAgain(ctx)).to.be.revertedWithCustomError(ctx.vault, "InvoiceAlreadyUsed").withArgs(ctx.escrowId);
    });

    it("clears the word when closed after payBy", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.payBy + 1n);
      await refund(ctx, ctx.merchant, AMOUNT);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });
  });

  describe("while disputed", function () {
    it("lets the payee refund everything", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const tx = refund(ctx, ctx.merchant, AMOUNT, disputed);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, AMOUNT);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault], [AMOUNT, -AMOUNT]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("lets the payee refund part, keeping the dispute", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const part = AMOUNT / 4n;
      await expect(refund(ctx, ctx.merchant, part, disputed)).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, part);
      const updated = { ...disputed, remaining: AMOUNT - part };
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash(updated));
      await expect(ctx.vault.connect(ctx.merchant).dispute(ctx.escrowId, updated))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowIsDisputed")
        .withArgs(ctx.escrowId);
    });

    it("lets the arbiter refund everything", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, ctx.escrow);
      const tx = refund(ctx, ctx.arbiter, AMOUNT, disputed);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, AMOUNT);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault, ctx.arbiter], [AMOUNT, -AMOUNT, 0n]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("lets the arbiter refund part", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const part = 7n;
      const tx = refund(ctx, ctx.arbiter, part, disputed);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, part);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer], [part]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash({ ...disputed, remaining: AMOUNT - part }));
    });
  });

  describe("fees", function () {
    it("charges no fee on a refund", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      expect(ctx.escrow.feeBps).to.equal(FEE_BPS);
      const tx = refund(ctx, ctx.merchant, AMOUNT);
      await expect(tx).to.emit(ctx.vault, "EscrowRefunded").withArgs(ctx.escrowId, AMOUNT);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault], [AMOUNT, -AMOUNT]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
    });

    it("charges no fee on the arbiter's refund", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      await expect(refund(ctx, ctx.arbiter, AMOUNT, disputed)).to.changeTokenBalances(ctx.tok, [ctx.payer], [AMOUNT]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
    });
  });

  describe("reverts", function () {
    it("reverts when the caller is the payer", async function () {
      const ctx = await loadEscrow(variant);
      await expect(refund(ctx, ctx.payer, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.payer.address);
    });

    it("reverts when the caller is the payer and the escrow is disputed", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      await expect(refund(ctx, ctx.payer, AMOUNT, disputed))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.payer.address);
    });

    it("reverts when the caller is the arbiter and the escrow is not disputed", async function () {
      const ctx = await loadEscrow(variant);
      await expect(refund(ctx, ctx.arbiter, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.arbiter.address);
    });

    it("reverts when the caller is a stranger, disputed or not", async function () {
      const ctx = await loadEscrow(variant);
      await expect(refund(ctx, ctx.other, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.other.address);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      await expect(refund(ctx, ctx.other, AMOUNT, disputed))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.other.address);
    });

    it("reverts when the amount is zero", async function () {
      const ctx = await loadEscrow(variant);
      await expect(refund(ctx, ctx.merchant, 0n)).to.be.revertedWithCustomError(ctx.vault, "ZeroAmount");
    });

    it("reverts when the amount exceeds the remaining amount", async function () {
      const ctx = await loadEscrow(variant);
      await expect(refund(ctx, ctx.merchant, AMOUNT + 1n))
        .to.be.revertedWithCustomError(ctx.vault, "AmountExceedsRemaining")
        .withArgs(AMOUNT + 1n, AMOUNT);
    });
  });

  describe("while deposits are paused", function () {
    shouldWorkWhileDepositsArePaused(variant, {}, "lets the payee refund", (ctx, escrowId, escrow) =>
      ctx.vault.connect(ctx.merchant).refund(escrowId, escrow, escrow.remaining),
    );
    shouldWorkWhileDepositsArePaused(
      variant,
      {},
      "lets the arbiter refund",
      (ctx, escrowId, escrow) => ctx.vault.connect(ctx.arbiter).refund(escrowId, escrow, escrow.remaining),
      (ctx) => disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow),
    );
  });
}

describe("refund", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeRefund(variant);
    });
  }
});
