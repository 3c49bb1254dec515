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
  feeOn,
  loadEscrow,
  payAgain,
  shouldRequireAnOpenEscrow,
  shouldWorkWhileDepositsArePaused,
  type EscrowContext,
  type TokenVariant,
} from "./escrow.behavior";

function shouldBehaveLikeRelease(variant: TokenVariant): void {
  const release = (ctx: EscrowContext, by: EscrowContext["payer"], amount: bigint, escrow = ctx.escrow) =>
    ctx.vault.connect(by).release(ctx.escrowId, escrow, amount);

  shouldRequireAnOpenEscrow(variant, {}, (ctx, escrowId, escrow) =>
    ctx.vault.connect(ctx.payer).release(escrowId, escrow, escrow.remaining),
  );

  describe("by the payer while undisputed", function () {
    it("releases the whole escrow to the payee and closes it", async function () {
      const ctx = await loadEscrow(variant);
      const tx = release(ctx, ctx.payer, AMOUNT);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault, ctx.payer], [AMOUNT, -AMOUNT, 0n]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
    });

    it("releases part, storing the hash of the struct with the new remaining", async function () {
      const ctx = await loadEscrow(variant);
      const part = AMOUNT / 4n;
      const tx = release(ctx, ctx.payer, part);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, part, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [part, -part]);
      const updated = { ...ctx.escrow, remaining: AMOUNT - part };
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash(updated));
    });

    it("refuses the old struct after a partial release", async function () {
      const ctx = await loadEscrow(variant);
      await release(ctx, ctx.payer, AMOUNT / 4n);
      await expect(release(ctx, ctx.payer, 1n))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(ctx.escrowId);
    });

    it("releases the rest with the updated struct and then closes", async function () {
      const ctx = await loadEscrow(variant);
      const part = AMOUNT / 4n;
      await release(ctx, ctx.payer, part);
      const updated = { ...ctx.escrow, remaining: AMOUNT - part };
      const tx = release(ctx, ctx.payer, AMOUNT - part, updated);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT - part, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [AMOUNT - part, part - AMOUNT]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
      await expect(release(ctx, ctx.payer, 1n, updated))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(ctx.escrowId);
    });

    it("releases after the deadline while nobody executed the timeout", async function () {
      const ctx = await loadEscrow(variant);
      await time.increaseTo(ctx.escrow.deadline + 1n);
      await expect(release(ctx, ctx.payer, AMOUNT)).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT, 0n);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });
  });

  describe("closing and the invoice", function () {
    it("keeps the invoice used (0x…01) when closed before payBy, so it cannot be paid again", async function () {
      const ctx = await loadEscrow(variant);
      await release(ctx, ctx.payer, AMOUNT);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
      await expect(payAgain(ctx)).to.be.revertedWithCustomError(ctx.vault, "InvoiceAlreadyUsed").withArgs(ctx.escrowId);
    });

    it("stores 0x…01 when closed at exactly payBy", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.payBy);
      await release(ctx, ctx.payer, AMOUNT);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("clears the word when closed after payBy, and the expired invoice cannot be paid again", async function () {
      const ctx = await loadEscrow(variant);
      await time.setNextBlockTimestamp(ctx.escrow.payBy + 1n);
      await release(ctx, ctx.payer, AMOUNT);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
      await time.setNextBlockTimestamp(ctx.escrow.payBy + 2n);
      await expect(payAgain(ctx))
        .to.be.revertedWithCustomError(ctx.vault, "InvoiceExpired")
        .withArgs(ctx.escrow.payBy + 2n, ctx.escrow.payBy);
    });

    it("keeps the escrow open after a partial release past payBy", async function () {
      const ctx = await loadEscrow(variant);
      await time.increaseTo(ctx.escrow.payBy + 1n);
      await release(ctx, ctx.payer, 1n);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash({ ...ctx.escrow, remaining: AMOUNT - 1n }));
    });
  });

  describe("by the arbiter while disputed", function () {
    it("releases the whole escrow to the payee and closes it", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const tx = release(ctx, ctx.arbiter, AMOUNT, disputed);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault, ctx.arbiter], [AMOUNT, -AMOUNT, 0n]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("releases part and the escrow stays disputed", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, ctx.escrow);
      const part = AMOUNT / 3n;
      const tx = release(ctx, ctx.arbiter, part, disputed);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, part, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [part, -part]);
      const updated = { ...disputed, remaining: AMOUNT - part };
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(escrowHash(updated));
      // Still disputed: the payer cannot release the rest.
      await expect(release(ctx, ctx.payer, 1n, updated))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.payer.address);
    });
  });

  describe("fees", function () {
    it("charges ceil(amount * feeBps / 10000), accrues it and pays the payee the rest", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      expect(ctx.escrow.feeBps).to.equal(FEE_BPS);
      const amount = 12_345_678n;
      const fee = feeOn(amount, FEE_BPS);
      expect(fee).to.equal(123_457n); // 123,456.78 rounded up
      const tx = release(ctx, ctx.payer, amount);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, amount, fee);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [amount - fee, fee - amount]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
    });

    it("accrues the fee of every partial release", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const first = AMOUNT / 2n + 1n;
      await release(ctx, ctx.payer, first);
      const rest = AMOUNT - first;
      const tx = release(ctx, ctx.payer, rest, { ...ctx.escrow, remaining: rest });
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, rest, feeOn(rest, FEE_BPS));
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant], [rest - feeOn(rest, FEE_BPS)]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(feeOn(first, FEE_BPS) + feeOn(rest, FEE_BPS));
    });

    it("rounds the fee up to one unit, so a one-unit release pays the payee nothing", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const tx = release(ctx, ctx.payer, 1n);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, 1n, 1n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [0n, 0n]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(1n);
    });

    it("keeps the fee fixed at funding when the owner raises it afterwards", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      await ctx.vault.setFee(500);
      const fee = feeOn(AMOUNT, FEE_BPS);
      await expect(release(ctx, ctx.payer, AMOUNT)).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT, fee);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
    });

    it("charges nothing on an escrow funded at fee 0 when the owner sets a fee afterwards", async function () {
      const ctx = await loadEscrow(variant);
      await ctx.vault.setFee(500);
      const tx = release(ctx, ctx.payer, AMOUNT);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant], [AMOUNT]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
    });

    it("charges the arbiter's release the escrow's fee", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const fee = feeOn(AMOUNT, FEE_BPS);
      const tx = release(ctx, ctx.arbiter, AMOUNT, disputed);
      await expect(tx).to.emit(ctx.vault, "EscrowReleased").withArgs(ctx.escrowId, AMOUNT, fee);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant], [AMOUNT - fee]);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
    });
  });

  describe("reverts", function () {
    it("reverts when the caller is the payee", async function () {
      const ctx = await loadEscrow(variant);
      await expect(release(ctx, ctx.merchant, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.merchant.address);
    });

    it("reverts when the caller is the arbiter and the escrow is not disputed", async function () {
      const ctx = await loadEscrow(variant);
      await expect(release(ctx, ctx.arbiter, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.arbiter.address);
    });

    it("reverts when the caller is a stranger", async function () {
      const ctx = await loadEscrow(variant);
      await expect(release(ctx, ctx.other, AMOUNT))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.other.address);
    });

    it("reverts when the caller is the payer and the escrow is disputed", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      await expect(release(ctx, ctx.payer, AMOUNT, disputed))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.payer.address);
    });

    it("reverts when the caller is the payee or a stranger and the escrow is disputed", async function () {
      const ctx = await loadEscrow(variant);
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      for (const caller of [ctx.merchant, ctx.other]) {
        await expect(release(ctx, caller, AMOUNT, disputed))
          .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts when the amount is zero", async function () {
      const ctx = await loadEscrow(variant);
      await expect(release(ctx, ctx.payer, 0n)).to.be.revertedWithCustomError(ctx.vault, "ZeroAmount");
    });

    it("reverts when the amount exceeds the remaining amount", async function () {
      const ctx = await loadEscrow(variant);
      await expect(release(ctx, ctx.payer, AMOUNT + 1n))
        .to.be.revertedWithCustomError(ctx.vault, "AmountExceedsRemaining")
        .withArgs(AMOUNT + 1n, AMOUNT);
    });

    it("reverts when the amount exceeds what is left after a partial release", async function () {
      const ctx = await loadEscrow(variant);
      await release(ctx, ctx.payer, AMOUNT - 10n);
      await expect(release(ctx, ctx.payer, 11n, { ...ctx.escrow, remaining: 10n }))
        .to.be.revertedWithCustomError(ctx.vault, "AmountExceedsRemaining")
        .withArgs(11n, 10n);
    });
  });

  describe("while deposits are paused", function () {
    shouldWorkWhileDepositsArePaused(variant, {}, "lets the payer release", (ctx, escrowId, escrow) =>
      ctx.vault.connect(ctx.payer).release(escrowId, escrow, escrow.remaining),
    );
    shouldWorkWhileDepositsArePaused(variant, {}, "lets the arbiter release", (ctx, escrowId, escrow) =>
      ctx.vault.connect(ctx.arbiter).release(escrowId, escrow, escrow.remaining),
      (ctx) => disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow),
    );
  });
}

describe("release", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeRelease(variant);
    });
  }
});
