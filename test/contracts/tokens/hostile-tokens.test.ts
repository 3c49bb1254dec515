import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture, INITIAL_BALANCE } from "../fixtures";
import { authorize, makeInvoice, payInvoice, signInvoice } from "../helpers";

const USED = ethers.toBeHex(1, 32);
/** ReentrantToken.Trigger */
const Trigger = { None: 0, Transfer: 1, TransferFrom: 2 } as const;

/** The fixture plus the hostile tokens, each allowlisted and funded for the payer. */
async function hostileFixture() {
  const f = await deployVaultFixture();
  const feeToken = await ethers.deployContract("FeeOnTransferToken");
  const falseToken = await ethers.deployContract("FalseReturningToken");
  const reentrant = await ethers.deployContract("ReentrantToken");
  const gasBurner = await ethers.deployContract("GasBurningToken");
  for (const t of [feeToken, falseToken, reentrant, gasBurner]) {
    await f.vault.connect(f.owner).setTokenAllowed(await t.getAddress(), true);
    await t.mint(f.payer.address, INITIAL_BALANCE);
  }
  return { ...f, feeToken, falseToken, reentrant, gasBurner };
}

describe("hostile tokens", function () {
  describe("fee-on-transfer token", function () {
    for (const holdPeriod of [7n * 86_400n, 0n]) {
      it(`is rejected with TokenMovementsShortfall and the payer loses nothing (hold period ${holdPeriod})`, async function () {
        const { vault, feeToken, merchant, payer } = await loadFixture(hostileFixture);
        const address = await feeToken.getAddress();
        const invoice = await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n, holdPeriod });
        await feeToken.connect(payer).approve(await vault.getAddress(), invoice.amount);
        const before = await feeToken.balanceOf(payer.address);
        await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
          .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
          .withArgs(address, 10_000_000n, 9_900_000n);
        expect(await feeToken.balanceOf(payer.address)).to.equal(before);
        expect(await vault.escrowHashOf(await vault.hashInvoice(invoice))).to.equal(ethers.ZeroHash);
      });
    }

    it("is rejected when the fee is diverted to a collector instead of burned", async function () {
      const { vault, feeToken, merchant, payer, other } = await loadFixture(hostileFixture);
      await feeToken.setFee(1, other.address);
      const address = await feeToken.getAddress();
      const invoice = await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n });
      await feeToken.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
        .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
        .withArgs(address, 10_000_000n, 9_999_000n);
    });

    it("is accepted while its fee is zero", async function () {
      const { vault, feeToken, merchant, payer } = await loadFixture(hostileFixture);
      await feeToken.setFee(0, ethers.ZeroAddress);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await feeToken.getAddress() });
      const { escrow } = await payInvoice(vault, merchant, payer, invoice);
      expect(await feeToken.balanceOf(await vault.getAddress())).to.equal(escrow.remaining);
    });
  });

  describe("false-returning token", function () {
    for (const holdPeriod of [7n * 86_400n, 0n]) {
      it(`is rejected on deposit with TokenMovementsShortfall (hold period ${holdPeriod})`, async function () {
        const { vault, falseToken, merchant, payer } = await loadFixture(hostileFixture);
        const address = await falseToken.getAddress();
        const invoice = await makeInvoice({ merchant: merchant.address, token: address, holdPeriod });
        await falseToken.connect(payer).approve(await vault.getAddress(), invoice.amount);
        await falseToken.setFailing(true);
        await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
          .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
          .withArgs(address, invoice.amount, 0);
      });
    }

    it("treats a payout that returns false as delivered: why only reverting tokens may be allowlisted", async function () {
      // Documents the limitation stated on setTokenAllowed: return values are ignored on payouts.
      const { vault, falseToken, merchant, payer } = await loadFixture(hostileFixture);
      const address = await falseToken.getAddress();
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address }));
      await falseToken.setFailing(true);
      const tx = vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await expect(tx).to.emit(vault, "EscrowReleased").withArgs(escrowId, escrow.remaining, 0);
      await expect(tx).not.to.emit(vault, "PayoutDeferred");
      await expect(tx).to.changeTokenBalances(falseToken, [merchant, vault], [0, 0]);
      expect(await vault.deferredPayouts(merchant.address, address)).to.equal(0n);
    });
  });

  describe("re-entrant token during a deposit", function () {
    /** An escrow-path invoice for the payer, plus a second invoice the token contract itself tries to pay. */
    async function reentrantDepositFixture() {
      const f = await hostileFixture();
      const { vault, reentrant, merchant, payer } = f;
      const address = await reentrant.getAddress();
      const vaultAddress = await vault.getAddress();
      const invoice = await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n });
      const signature = await signInvoice(vault, merchant, invoice);
      await reentrant.connect(payer).approve(vaultAddress, invoice.amount);
      const inner = await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n });
      await reentrant.mint(address, inner.amount);
      await reentrant.approveFromToken(vaultAddress, inner.amount);
      const innerCall = vault.interface.encodeFunctionData("payInvoice", [inner, await signInvoice(vault, merchant, inner)]);
      return { ...f, address, vaultAddress, invoice, signature, inner, innerCall };
    }

    it("refuses the nested payment with ReentrantDeposit and counts the outer one once", async function () {
      const { vault, reentrant, payer, vaultAddress, invoice, signature, inner, innerCall } = await loadFixture(
        reentrantDepositFixture,
      );
      await reentrant.arm(Trigger.TransferFrom, vaultAddress, innerCall, false, false);
      const tx = vault.connect(payer).payInvoice(invoice, signature);
      await expect(tx).to.emit(vault, "EscrowOpened");
      await expect(tx).to.changeTokenBalances(reentrant, [payer, vault], [-BigInt(invoice.amount), invoice.amount]);
      expect(await reentrant.reentered()).to.equal(true);
      expect(await reentrant.reentrySucceeded()).to.equal(false);
      expect(await reentrant.reentryReturnData()).to.equal(vault.interface.encodeErrorResult("ReentrantDeposit"));
      expect(await vault.escrowHashOf(await vault.hashInvoice(inner))).to.equal(ethers.ZeroHash);
      expect(await vault.escrowHashOf(await vault.hashInvoice(invoice))).to.not.equal(ethers.ZeroHash);
    });

    it("does not let a nested payment stand in for the outer transfer (TokenMovementsShortfall)", async function () {
      const { vault, reentrant, address, payer, vaultAddress, invoice, signature, innerCall } = await loadFixture(
        reentrantDepositFixture,
      );
      // The token moves nothing itself and hopes the nested payment's funds count for both.
      await reentrant.arm(Trigger.TransferFrom, vaultAddress, innerCall, true, false);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
        .withArgs(address, invoice.amount, 0);
    });

    it("reverts the whole payment when the token bubbles the refusal up", async function () {
      const { vault, reentrant, address, payer, vaultAddress, invoice, signature, innerCall } = await loadFixture(
        reentrantDepositFixture,
      );
      await reentrant.arm(Trigger.TransferFrom, vaultAddress, innerCall, false, true);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "TokenMovementsPullFailed")
        .withArgs(address, payer.address);
      expect(await vault.escrowHashOf(await vault.hashInvoice(invoice))).to.equal(ethers.ZeroHash);
    });

    /** Escrow X (payer -> merchant) is open in the re-entrant token, and the payer signed its full release. */
    async function openEscrowFixture() {
      const f = await reentrantDepositFixture();
      const { vault, reentrant, merchant, payer, address, vaultAddress } = f;
      const x = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n }));
      const auth = await authorize(vault, payer, "Release", { escrowId: x.escrowId, amount: x.escrow.remaining });
      const releaseX = vault.interface.encodeFunctionData("releaseWithSig", [x.escrowId, x.escrow, x.escrow.remaining, auth]);
      // payInvoice left the allowance at zero; approve the next payment.
      await reentrant.connect(payer).approve(vaultAddress, 10_000_000n);
      return { ...f, x, releaseX };
    }

    it("cannot make the vault's balance shrink under a deposit: a payout re-entered from transferFrom reverts it", async function () {
      const { vault, reentrant, merchant, payer, address, vaultAddress, x, releaseX } = await loadFixture(openEscrowFixture);
      const y = await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n });
      await reentrant.arm(Trigger.TransferFrom, vaultAddress, releaseX, true, false);
      // The re-entered release pays X out of the vault, so the vault's balance falls: nothing received.
      await expect(vault.connect(payer).payInvoice(y, await signInvoice(vault, merchant, y)))
        .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
        .withArgs(address, y.amount, 0);
      expect(await vault.escrowHashOf(x.escrowId)).to.equal(await vault.hashEscrow(x.escrow));
      expect(await reentrant.balanceOf(vaultAddress)).to.equal(x.escrow.remaining);
    });

    // Zero-hold settlements pass through the vault so that the vault's own delta, under the deposit
    // lock, is what proves the payment: a payout to the merchant re-entered from transferFrom cannot
    // pass for it (it would have, had the merchant's balance been measured).
    it("does not let a re-entered payout to the merchant pay a fee-free settlement", async function () {
      const { vault, reentrant, merchant, payer, address, vaultAddress, x, releaseX } = await loadFixture(openEscrowFixture);
      const y = await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n, holdPeriod: 0n });
      await reentrant.arm(Trigger.TransferFrom, vaultAddress, releaseX, true, false);
      await expect(vault.connect(payer).payInvoice(y, await signInvoice(vault, merchant, y)))
        .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
        .withArgs(address, y.amount, 0);
      expect(await vault.escrowHashOf(x.escrowId)).to.equal(await vault.hashEscrow(x.escrow));
    });
  });

  describe("re-entrant token during a payout", function () {
    /** An escrow of 10 units in the re-entrant token, past its deadline (timeout: Release). */
    async function payoutFixture() {
      const f = await hostileFixture();
      const { vault, reentrant, merchant, payer } = f;
      const address = await reentrant.getAddress();
      const opened = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address, amount: 10_000_000n }));
      return { ...f, address, vaultAddress: await vault.getAddress(), ...opened };
    }

    it("re-entering the same timeout with the old struct fails with EscrowNotOpen and pays once", async function () {
      const { vault, reentrant, merchant, other, vaultAddress, escrowId, escrow } = await loadFixture(payoutFixture);
      await time.increaseTo(escrow.deadline + 1n);
      const again = vault.interface.encodeFunctionData("executeTimeout", [escrowId, escrow]);
      await reentrant.arm(Trigger.Transfer, vaultAddress, again, false, false);
      const tx = vault.connect(other).executeTimeout(escrowId, escrow);
      await expect(tx).to.emit(vault, "EscrowTimedOut").withArgs(escrowId, 0, escrow.remaining, 0);
      await expect(tx).to.changeTokenBalances(reentrant, [merchant, vault], [escrow.remaining, -escrow.remaining]);
      expect(await reentrant.reentered()).to.equal(true);
      expect(await reentrant.reentrySucceeded()).to.equal(false);
      expect(await reentrant.reentryReturnData()).to.equal(vault.interface.encodeErrorResult("EscrowNotOpen", [escrowId]));
      // Closed after payBy: the word is cleared.
      expect(await vault.escrowHashOf(escrowId)).to.equal(ethers.ZeroHash);
    });

    it("re-entering a second signed release with the updated struct leaves consistent state", async function () {
      const { vault, reentrant, merchant, payer, other, vaultAddress, escrowId, escrow } = await loadFixture(payoutFixture);
      const first = 4_000_000n;
      const second = escrow.remaining - first;
      const afterFirst = { ...escrow, remaining: second };
      const auth1 = await authorize(vault, payer, "Release", { escrowId, amount: first }, { nonce: 1n });
      const auth2 = await authorize(vault, payer, "Release", { escrowId, amount: second }, { nonce: 2n });
      const nested = vault.interface.encodeFunctionData("releaseWithSig", [escrowId, afterFirst, second, auth2]);
      await reentrant.arm(Trigger.Transfer, vaultAddress, nested, false, false);

      const tx = vault.connect(other).releaseWithSig(escrowId, escrow, first, auth1);
      await expect(tx).to.emit(vault, "EscrowReleased").withArgs(escrowId, first, 0);
      await expect(tx).to.emit(vault, "EscrowReleased").withArgs(escrowId, second, 0);
      await expect(tx).to.changeTokenBalances(reentrant, [merchant, vault], [escrow.remaining, -escrow.remaining]);
      expect(await reentrant.reentrySucceeded()).to.equal(true);
      expect(await vault.escrowHashOf(escrowId)).to.equal(USED);
      await expect(vault.connect(payer).release(escrowId, afterFirst, 1n))
        .to.be.revertedWithCustomError(vault, "EscrowNotOpen")
        .withArgs(escrowId);
    });

    it("re-entering a refund of the old remainder fails with EscrowNotOpen", async function () {
      const { vault, reentrant, merchant, payer, vaultAddress, escrowId, escrow } = await loadFixture(payoutFixture);
      const auth = await authorize(vault, merchant, "Refund", { escrowId, amount: escrow.remaining });
      const nested = vault.interface.encodeFunctionData("refundWithSig", [escrowId, escrow, escrow.remaining, auth]);
      await reentrant.arm(Trigger.Transfer, vaultAddress, nested, false, false);
      const tx = vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await expect(tx).to.changeTokenBalances(reentrant, [merchant, payer, vault], [escrow.remaining, 0, -escrow.remaining]);
      await expect(tx).not.to.emit(vault, "EscrowRefunded");
      expect(await reentrant.reentryReturnData()).to.equal(vault.interface.encodeErrorResult("EscrowNotOpen", [escrowId]));
      expect(await reentrant.balanceOf(vaultAddress)).to.equal(0n);
    });
  });

  describe("gas-starved payout", function () {
    // The token call needs 5M gas. With a 3M gas limit it starves, and the 1/64 left to the vault
    // (~46k) would still pay for a deferral: exactly the griefing the guard must stop.
    const BURN = 5_000_000n;
    const STARVING_GAS_LIMIT = 3_000_000n;

    async function gasFixture() {
      const f = await hostileFixture();
      const { vault, gasBurner, merchant, payer } = f;
      const address = await gasBurner.getAddress();
      const opened = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address }));
      await gasBurner.setGasToBurn(BURN);
      return { ...f, address, ...opened };
    }

    it("reverts with TokenMovementsOutOfGas instead of deferring when the caller forwards too little gas @gas-sensitive", async function () {
      const { vault, payer, merchant, address, escrowId, escrow } = await loadFixture(gasFixture);
      await expect(vault.connect(payer).release(escrowId, escrow, escrow.remaining, { gasLimit: STARVING_GAS_LIMIT }))
        .to.be.revertedWithCustomError(vault, "TokenMovementsOutOfGas")
        .withArgs(address);
      expect(await vault.escrowHashOf(escrowId)).to.equal(await vault.hashEscrow(escrow));
      expect(await vault.deferredPayouts(merchant.address, address)).to.equal(0n);
    });

    it("does not let a third party force a deferral by starving a timeout", async function () {
      const { vault, other, merchant, address, escrowId, escrow } = await loadFixture(gasFixture);
      await time.increaseTo(escrow.deadline + 1n);
      await expect(vault.connect(other).executeTimeout(escrowId, escrow, { gasLimit: STARVING_GAS_LIMIT }))
        .to.be.revertedWithCustomError(vault, "TokenMovementsOutOfGas")
        .withArgs(address);
      expect(await vault.deferredPayouts(merchant.address, address)).to.equal(0n);
      expect(await vault.escrowHashOf(escrowId)).to.equal(await vault.hashEscrow(escrow));
    });

    it("pays out normally when given enough gas", async function () {
      const { vault, gasBurner, payer, merchant, escrowId, escrow } = await loadFixture(gasFixture);
      const tx = vault.connect(payer).release(escrowId, escrow, escrow.remaining, { gasLimit: 8_000_000n });
      await expect(tx).to.changeTokenBalances(gasBurner, [merchant, vault], [escrow.remaining, -escrow.remaining]);
      await expect(tx).not.to.emit(vault, "PayoutDeferred");
    });
  });
});
