import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AMOUNT,
  ARBITRATION_PERIOD,
  CLEARED,
  FEE_BPS,
  TOKEN_VARIANTS,
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

function shouldBehaveLikeResolve(variant: TokenVariant): void {
  const resolve = (ctx: EscrowContext, by: EscrowContext["payer"], escrow: Escrow, payeeAmount: bigint) =>
    ctx.vault.connect(by).resolve(ctx.escrowId, escrow, payeeAmount);
  const disputed = (ctx: EscrowContext) => disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);

  shouldRequireAnOpenEscrow(
    variant,
    {},
    (ctx, escrowId, escrow) => ctx.vault.connect(ctx.arbiter).resolve(escrowId, escrow, 0n),
    disputed,
  );

  describe("by the arbiter while disputed", function () {
    it("splits the escrow between payee and payer and closes it", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      const payeeAmount = 60_000_000n;
      const payerAmount = AMOUNT - payeeAmount;
      const tx = resolve(ctx, ctx.arbiter, escrow, payeeAmount);
      await expect(tx).to.emit(ctx.vault, "EscrowResolved").withArgs(ctx.escrowId, payeeAmount, 0n, payerAmount);
      await expect(tx).to.changeTokenBalances(
        ctx.tok,
        [ctx.merchant, ctx.payer, ctx.vault, ctx.arbiter],
        [payeeAmount, payerAmount, -AMOUNT, 0n],
      );
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("gives everything to the payer with a zero payee amount", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      const tx = resolve(ctx, ctx.arbiter, escrow, 0n);
      await expect(tx).to.emit(ctx.vault, "EscrowResolved").withArgs(ctx.escrowId, 0n, 0n, AMOUNT);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.payer, ctx.vault], [0n, AMOUNT, -AMOUNT]);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("gives everything to the payee with the whole remaining amount", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      const tx = resolve(ctx, ctx.arbiter, escrow, AMOUNT);
      await expect(tx).to.emit(ctx.vault, "EscrowResolved").withArgs(ctx.escrowId, AMOUNT, 0n, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.payer, ctx.vault], [AMOUNT, 0n, -AMOUNT]);
    });

    it("splits what is left after a partial refund during the dispute", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      const refunded = 30_000_000n;
      await ctx.vault.connect(ctx.merchant).refund(ctx.escrowId, escrow, refunded);
      const updated = { ...escrow, remaining: AMOUNT - refunded };
      const payeeAmount = 50_000_000n;
      const tx = resolve(ctx, ctx.arbiter, updated, payeeAmount);
      await expect(tx)
        .to.emit(ctx.vault, "EscrowResolved")
        .withArgs(ctx.escrowId, payeeAmount, 0n, AMOUNT - refunded - payeeAmount);
      await expect(tx).to.changeTokenBalances(
        ctx.tok,
        [ctx.merchant, ctx.payer, ctx.vault],
        [payeeAmount, AMOUNT - refunded - payeeAmount, refunded - AMOUNT],
      );
    });

    it("resolves after the arbitration period while nobody executed the timeout", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      await time.increaseTo(escrow.disputedAt + ARBITRATION_PERIOD + 1n);
      await expect(resolve(ctx, ctx.arbiter, escrow, AMOUNT))
        .to.emit(ctx.vault, "EscrowResolved")
        .withArgs(ctx.escrowId, AMOUNT, 0n, 0n);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });

    it("keeps the invoice used when closed before payBy, so it cannot be paid again", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      await resolve(ctx, ctx.arbiter, escrow, 1n);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
      await expect(payAgain(ctx)).to.be.revertedWithCustomError(ctx.vault, "InvoiceAlreadyUsed").withArgs(ctx.escrowId);
    });

    it("clears the word when closed after payBy", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      await time.setNextBlockTimestamp(escrow.payBy + 1n);
      await resolve(ctx, ctx.arbiter, escrow, 1n);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
    });
  });

  describe("fees", function () {
    it("charges the fee on the payee's part only", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const escrow = await disputed(ctx);
      const payeeAmount = 33_333_333n;
      const fee = feeOn(payeeAmount, FEE_BPS);
      expect(fee).to.equal(333_334n);
      const payerAmount = AMOUNT - payeeAmount;
      const tx = resolve(ctx, ctx.arbiter, escrow, payeeAmount);
      await expect(tx).to.emit(ctx.vault, "EscrowResolved").withArgs(ctx.escrowId, payeeAmount, fee, payerAmount);
      await expect(tx).to.changeTokenBalances(
        ctx.tok,
        [ctx.merchant, ctx.payer, ctx.vault],
        [payeeAmount - fee, payerAmount, fee - AMOUNT],
      );
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
    });

    it("charges no fee when everything goes to the payer", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const escrow = await disputed(ctx);
      await expect(resolve(ctx, ctx.arbiter, escrow, 0n))
        .to.emit(ctx.vault, "EscrowResolved")
        .withArgs(ctx.escrowId, 0n, 0n, AMOUNT);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(0n);
    });

    it("keeps the fee fixed at funding when the owner changes it afterwards", async function () {
      const ctx = await loadEscrow(variant, { feeBps: FEE_BPS });
      const escrow = await disputed(ctx);
      await ctx.vault.setFee(0);
      const fee = feeOn(AMOUNT, FEE_BPS);
      await expect(resolve(ctx, ctx.arbiter, escrow, AMOUNT))
        .to.emit(ctx.vault, "EscrowResolved")
        .withArgs(ctx.escrowId, AMOUNT, fee, 0n);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
    });
  });

  describe("reverts", function () {
    for (const role of ["payer", "merchant", "other"] as const) {
      it(`reverts when the caller is the ${role === "merchant" ? "payee" : role === "other" ? "a stranger" : "payer"}`, async function () {
        const ctx = await loadEscrow(variant);
        const escrow = await disputed(ctx);
        await expect(resolve(ctx, ctx[role], escrow, 0n))
          .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
          .withArgs(ctx[role].address);
      });
    }

    it("reverts with EscrowNotDisputed when the arbiter resolves an undisputed escrow", async function () {
      const ctx = await loadEscrow(variant);
      await expect(resolve(ctx, ctx.arbiter, ctx.escrow, 0n))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotDisputed")
        .withArgs(ctx.escrowId);
    });

    it("reverts with NotAuthorized before EscrowNotDisputed for a party on an undisputed escrow", async function () {
      const ctx = await loadEscrow(variant);
      await expect(resolve(ctx, ctx.payer, ctx.escrow, 0n))
        .to.be.revertedWithCustomError(ctx.vault, "NotAuthorized")
        .withArgs(ctx.payer.address);
    });

    it("reverts when the payee amount exceeds the remaining amount", async function () {
      const ctx = await loadEscrow(variant);
      const escrow = await disputed(ctx);
      await expect(resolve(ctx, ctx.arbiter, escrow, AMOUNT + 1n))
        .to.be.revertedWithCustomError(ctx.vault, "AmountExceedsRemaining")
        .withArgs(AMOUNT + 1n, AMOUNT);
    });
  });

  describe("while deposits are paused", function () {
    shouldWorkWhileDepositsArePaused(
      variant,
      {},
      "lets the arbiter resolve",
      (ctx, escrowId, escrow) => ctx.vault.connect(ctx.arbiter).resolve(escrowId, escrow, escrow.remaining / 2n),
      disputed,
    );
  });
}

describe("resolve", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeResolve(variant);
    });
  }
});
