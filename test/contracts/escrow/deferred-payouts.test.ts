import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  AMOUNT,
  ARBITRATION_PERIOD,
  BLACKLIST_VARIANTS,
  FEE_BPS,
  TOKEN_VARIANTS,
  TimeoutAction,
  USED,
  blacklistToken,
  disputeEscrow,
  escrowFixture,
  feeOn,
  loadEscrow,
  openEscrow,
  type BlacklistVariant,
  type EscrowContext,
  type EscrowTerms,
  type TokenVariant,
} from "./escrow.behavior";

/** Every deferral test runs with a 1% fee so that the deferred amount is visibly `amount - fee`. */
const TERMS: EscrowTerms = { feeBps: FEE_BPS };

/** Loads an escrow in `variant` and blacklists `who` in the token (blocking it as a recipient). */
async function loadBlacklisted(
  variant: BlacklistVariant,
  who: "merchant" | "payer",
  terms: EscrowTerms = TERMS,
): Promise<EscrowContext> {
  const ctx = await loadEscrow(variant, terms);
  await blacklistToken(ctx, variant).setBlackListed(ctx[who].address, true);
  return ctx;
}

function shouldDeferBlockedPayouts(variant: BlacklistVariant): void {
  const fee = feeOn(AMOUNT, FEE_BPS);

  describe("when the payee is blacklisted", function () {
    it("credits a release to the payee's deferred payouts and still closes the escrow", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      const tx = ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, AMOUNT);
      await expect(tx)
        .to.emit(ctx.vault, "EscrowReleased")
        .withArgs(ctx.escrowId, AMOUNT, fee)
        .and.to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, AMOUNT - fee);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [0n, 0n]);
      expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(AMOUNT - fee);
      expect(await ctx.vault.accruedFees(ctx.tokenAddress)).to.equal(fee);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("credits a partial release and keeps the escrow open with the new remaining", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      const part = AMOUNT / 2n;
      await expect(ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, part))
        .to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, part - feeOn(part, FEE_BPS));
      // The rest can still be refunded to the payer, who is not blocked.
      await expect(
        ctx.vault.connect(ctx.merchant).refund(ctx.escrowId, { ...ctx.escrow, remaining: AMOUNT - part }, AMOUNT - part),
      ).to.changeTokenBalances(ctx.tok, [ctx.payer], [AMOUNT - part]);
    });

    it("credits the arbiter's release while disputed", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      await expect(ctx.vault.connect(ctx.arbiter).release(ctx.escrowId, disputed, AMOUNT))
        .to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, AMOUNT - fee);
      expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(AMOUNT - fee);
    });

    it("credits a Release timeout", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      await time.increaseTo(ctx.escrow.deadline + 1n);
      const tx = ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, ctx.escrow);
      await expect(tx)
        .to.emit(ctx.vault, "EscrowTimedOut")
        .withArgs(ctx.escrowId, TimeoutAction.Release, AMOUNT, fee)
        .and.to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, AMOUNT - fee);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant, ctx.vault], [0n, 0n]);
    });

    it("pays the payer's part of a resolve and credits the payee's part", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      const payeeAmount = 70_000_000n;
      const payeeFee = feeOn(payeeAmount, FEE_BPS);
      const payerAmount = AMOUNT - payeeAmount;
      const tx = ctx.vault.connect(ctx.arbiter).resolve(ctx.escrowId, disputed, payeeAmount);
      await expect(tx)
        .to.emit(ctx.vault, "EscrowResolved")
        .withArgs(ctx.escrowId, payeeAmount, payeeFee, payerAmount)
        .and.to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, payeeAmount - payeeFee);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.merchant, ctx.vault], [payerAmount, 0n, -payerAmount]);
      expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(payeeAmount - payeeFee);
      expect(await ctx.vault.deferredPayouts(ctx.payer.address, ctx.tokenAddress)).to.equal(0n);
    });

    it("does not hold up the other escrows of a timeout batch", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      const refunding = await openEscrow(ctx, ctx.tokenAddress, { timeoutAction: TimeoutAction.Refund });
      await time.increaseTo(refunding.escrow.deadline + 1n);
      const batch = [
        { escrowId: ctx.escrowId, escrow: ctx.escrow },
        { escrowId: refunding.escrowId, escrow: refunding.escrow },
      ];
      expect(await ctx.vault.executeTimeouts.staticCall(batch)).to.equal(2n);
      const tx = ctx.vault.connect(ctx.other).executeTimeouts(batch);
      await expect(tx)
        .to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, AMOUNT - fee)
        .and.to.emit(ctx.vault, "EscrowTimedOut")
        .withArgs(refunding.escrowId, TimeoutAction.Refund, AMOUNT, 0n);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.merchant], [AMOUNT, 0n]);
    });
  });

  describe("when the payer is blacklisted", function () {
    it("credits a refund to the payer's deferred payouts", async function () {
      const ctx = await loadBlacklisted(variant, "payer");
      const tx = ctx.vault.connect(ctx.merchant).refund(ctx.escrowId, ctx.escrow, AMOUNT);
      await expect(tx)
        .to.emit(ctx.vault, "EscrowRefunded")
        .withArgs(ctx.escrowId, AMOUNT)
        .and.to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.payer.address, ctx.tokenAddress, AMOUNT);
      await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.payer, ctx.vault], [0n, 0n]);
      expect(await ctx.vault.deferredPayouts(ctx.payer.address, ctx.tokenAddress)).to.equal(AMOUNT);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
    });

    it("credits a Refund timeout", async function () {
      const ctx = await loadBlacklisted(variant, "payer", { ...TERMS, timeoutAction: TimeoutAction.Refund });
      await time.increaseTo(ctx.escrow.deadline + 1n);
      await expect(ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, ctx.escrow))
        .to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.payer.address, ctx.tokenAddress, AMOUNT);
      expect(await ctx.vault.deferredPayouts(ctx.payer.address, ctx.tokenAddress)).to.equal(AMOUNT);
    });

    it("credits the refund of an expired arbitration", async function () {
      const ctx = await loadBlacklisted(variant, "payer");
      const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, ctx.escrow);
      await time.increaseTo(disputed.disputedAt + ARBITRATION_PERIOD + 1n);
      await expect(ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, disputed))
        .to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.payer.address, ctx.tokenAddress, AMOUNT);
    });

    it("pays the payee's part of a resolve and credits the payer's part", async function () {
      const ctx = await loadBlacklisted(variant, "payer");
      const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, ctx.escrow);
      const payeeAmount = 20_000_000n;
      const payeeFee = feeOn(payeeAmount, FEE_BPS);
      const payerAmount = AMOUNT - payeeAmount;
      const tx = ctx.vault.connect(ctx.arbiter).resolve(ctx.escrowId, disputed, payeeAmount);
      await expect(tx)
        .to.emit(ctx.vault, "PayoutDeferred")
        .withArgs(ctx.payer.address, ctx.tokenAddress, payerAmount);
      await expect(tx).to.changeTokenBalances(
        ctx.tok,
        [ctx.merchant, ctx.payer, ctx.vault],
        [payeeAmount - payeeFee, 0n, payeeFee - payeeAmount],
      );
      expect(await ctx.vault.deferredPayouts(ctx.payer.address, ctx.tokenAddress)).to.equal(payerAmount);
    });
  });

  describe("claim", function () {
    /** A blacklisted payee whose release was deferred. */
    async function loadDeferred(): Promise<EscrowContext> {
      const ctx = await loadBlacklisted(variant, "merchant");
      await ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, AMOUNT);
      return ctx;
    }

    it("lets the blacklisted payee send its deferred payout to another address", async function () {
      const ctx = await loadDeferred();
      const tx = ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address);
      await expect(tx)
        .to.emit(ctx.vault, "PayoutClaimed")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, ctx.other.address, AMOUNT - fee);
      await expect(tx).to.changeTokenBalances(
        ctx.tok,
        [ctx.other, ctx.merchant, ctx.vault],
        [AMOUNT - fee, 0n, fee - AMOUNT],
      );
      expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(0n);
    });

    it("lets the payee claim to itself once it is no longer blacklisted", async function () {
      const ctx = await loadDeferred();
      await blacklistToken(ctx, variant).setBlackListed(ctx.merchant.address, false);
      await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.merchant.address)).to.changeTokenBalances(
        ctx.tok,
        [ctx.merchant, ctx.vault],
        [AMOUNT - fee, fee - AMOUNT],
      );
    });

    it("claims the sum of several deferred payouts at once", async function () {
      const ctx = await loadDeferred();
      const second = await openEscrow(ctx, ctx.tokenAddress, { amount: 5_000_000n });
      await ctx.vault.connect(ctx.payer).release(second.escrowId, second.escrow, 5_000_000n);
      const total = AMOUNT - fee + 5_000_000n - feeOn(5_000_000n, FEE_BPS);
      expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(total);
      await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address))
        .to.emit(ctx.vault, "PayoutClaimed")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, ctx.other.address, total);
    });

    it("reverts with NothingToClaim on a second claim", async function () {
      const ctx = await loadDeferred();
      await ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address);
      await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address))
        .to.be.revertedWithCustomError(ctx.vault, "NothingToClaim")
        .withArgs(ctx.merchant.address, ctx.tokenAddress);
    });

    it("reverts with NothingToClaim for another account or another token", async function () {
      const ctx = await loadDeferred();
      await expect(ctx.vault.connect(ctx.other).claim(ctx.tokenAddress, ctx.other.address))
        .to.be.revertedWithCustomError(ctx.vault, "NothingToClaim")
        .withArgs(ctx.other.address, ctx.tokenAddress);
      const otherToken = await ctx.token.getAddress();
      await expect(ctx.vault.connect(ctx.merchant).claim(otherToken, ctx.other.address))
        .to.be.revertedWithCustomError(ctx.vault, "NothingToClaim")
        .withArgs(ctx.merchant.address, otherToken);
    });

    it("reverts and keeps the balance when the chosen address is blacklisted too", async function () {
      const ctx = await loadDeferred();
      await blacklistToken(ctx, variant).setBlackListed(ctx.other.address, true);
      await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address))
        .to.be.revertedWithCustomError(ctx.vault, "TokenMovementsPushFailed")
        .withArgs(ctx.tokenAddress, ctx.other.address);
      expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(AMOUNT - fee);
    });

    it("reverts when claiming to the payee's own still-blacklisted address", async function () {
      const ctx = await loadDeferred();
      await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.merchant.address))
        .to.be.revertedWithCustomError(ctx.vault, "TokenMovementsPushFailed")
        .withArgs(ctx.tokenAddress, ctx.merchant.address);
    });

    it("works while deposits are paused", async function () {
      const ctx = await loadDeferred();
      await ctx.vault.setDepositsPaused(true);
      await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address))
        .to.emit(ctx.vault, "PayoutClaimed")
        .withArgs(ctx.merchant.address, ctx.tokenAddress, ctx.other.address, AMOUNT - fee);
    });
  });

  describe("no stuck funds", function () {
    it("gets every unit out after a disputed escrow with a blacklisted payee is resolved", async function () {
      const ctx = await loadBlacklisted(variant, "merchant");
      const disputed = await disputeEscrow(ctx, ctx.merchant, ctx.escrowId, ctx.escrow);
      const payeeAmount = 45_000_000n;
      const payeeFee = feeOn(payeeAmount, FEE_BPS);
      await ctx.vault.connect(ctx.arbiter).resolve(ctx.escrowId, disputed, payeeAmount);
      await ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.other.address);
      await ctx.vault.connect(ctx.feeRecipient).withdrawFees(ctx.tokenAddress);
      expect(await ctx.tok.balanceOf(await ctx.vault.getAddress())).to.equal(0n);
      expect(await ctx.tok.balanceOf(ctx.other.address)).to.equal(INITIAL + payeeAmount - payeeFee);
      expect(await ctx.tok.balanceOf(ctx.feeRecipient.address)).to.equal(payeeFee);
    });

    it("gets every unit out through the expired-arbitration timeout when the payer is blacklisted", async function () {
      const ctx = await loadBlacklisted(variant, "payer");
      const disputed = await disputeEscrow(ctx, ctx.payer, ctx.escrowId, ctx.escrow);
      await time.increaseTo(disputed.disputedAt + ARBITRATION_PERIOD + 1n);
      await ctx.vault.connect(ctx.other).executeTimeout(ctx.escrowId, disputed);
      await ctx.vault.connect(ctx.payer).claim(ctx.tokenAddress, ctx.arbiter.address);
      expect(await ctx.tok.balanceOf(await ctx.vault.getAddress())).to.equal(0n);
      expect(await ctx.tok.balanceOf(ctx.arbiter.address)).to.equal(INITIAL + AMOUNT);
    });
  });
}

/** Every party's starting balance in the shared fixture. */
const INITIAL = 1_000_000_000_000n;

function shouldBehaveLikeClaimWithoutDeferrals(variant: TokenVariant): void {
  it("reverts with NothingToClaim when nothing was deferred", async function () {
    const ctx = await loadEscrow(variant);
    await ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, AMOUNT);
    expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(0n);
    await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ctx.merchant.address))
      .to.be.revertedWithCustomError(ctx.vault, "NothingToClaim")
      .withArgs(ctx.merchant.address, ctx.tokenAddress);
  });

  it("reverts with ZeroAddress when claiming to the zero address", async function () {
    const ctx = await loadEscrow(variant);
    await expect(ctx.vault.connect(ctx.merchant).claim(ctx.tokenAddress, ethers.ZeroAddress)).to.be.revertedWithCustomError(
      ctx.vault,
      "ZeroAddress",
    );
  });

  it("cannot be forced by starving the payout of gas: a release either pays the payee or reverts @gas-sensitive", async function () {
    const fixture = escrowFixture(variant);
    let ctx = await loadFixture(fixture);
    const needed = await ctx.vault.connect(ctx.payer).release.estimateGas(ctx.escrowId, ctx.escrow, AMOUNT);
    // Every limit just around the minimum, then coarse steps through the range where the token call
    // itself is starved (the vault's own work before the call costs far less than 20,000 gas).
    const limits: bigint[] = [];
    for (let gas = needed + 2n; gas > needed - 100n; gas -= 3n) limits.push(gas);
    for (let gas = needed - 100n; gas > needed - 20_000n; gas -= 250n) limits.push(gas);
    let succeeded = 0;
    let reverted = 0;
    for (const gasLimit of limits) {
      const outcome = await ctx.vault
        .connect(ctx.payer)
        .release.staticCall(ctx.escrowId, ctx.escrow, AMOUNT, { gasLimit })
        .then(
          () => undefined,
          (e: { data?: unknown }) => e,
        );
      if (outcome === undefined) {
        // Enough gas to succeed: the payee must actually be paid, never credited.
        const tx = ctx.vault.connect(ctx.payer).release(ctx.escrowId, ctx.escrow, AMOUNT, { gasLimit });
        await expect(tx).not.to.emit(ctx.vault, "PayoutDeferred");
        await expect(tx).to.changeTokenBalances(ctx.tok, [ctx.merchant], [AMOUNT]);
        succeeded += 1;
        ctx = await loadFixture(fixture);
      } else {
        // Out of gas: either a bare out-of-gas revert or the library's named error, nothing else.
        const data = typeof outcome.data === "string" ? outcome.data : "0x";
        if (data !== "0x") expect(ctx.vault.interface.parseError(data)?.name).to.equal("TokenMovementsOutOfGas");
        reverted += 1;
      }
    }
    expect(succeeded).to.be.greaterThan(0);
    expect(reverted).to.be.greaterThan(0);
    expect(await ctx.vault.deferredPayouts(ctx.merchant.address, ctx.tokenAddress)).to.equal(0n);
  });
}

describe("deferred payouts and claim", function () {
  for (const variant of TOKEN_VARIANTS) {
    describe(`with ${variant}`, function () {
      shouldBehaveLikeClaimWithoutDeferrals(variant);
    });
  }
  for (const variant of BLACKLIST_VARIANTS) {
    describe(`with ${variant} and a blacklist`, function () {
      shouldDeferBlockedPayouts(variant);
    });
  }
});
