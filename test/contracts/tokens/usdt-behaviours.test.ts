import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { TimeoutAction, makeInvoice, payInvoice, signInvoice } from "../helpers";

type Fixture = Awaited<ReturnType<typeof deployVaultFixture>>;

/** The two Tether imitations: no return values on Ethereum, `false` from a successful transfer on TRON. */
const USDT_VARIANTS = [
  { label: "Tether on Ethereum (no return values)", pick: (f: Fixture) => f.ethUsdt },
  { label: "Tether on TRON (transfer returns false)", pick: (f: Fixture) => f.tronUsdt },
] as const;

function shouldHandleUsdt(label: string, pick: (f: Fixture) => Fixture["ethUsdt"] | Fixture["tronUsdt"]) {
  async function usdtFixture() {
    const f = await deployVaultFixture();
    await f.vault.connect(f.owner).setFee(100);
    const usdt = pick(f);
    return { ...f, usdt, usdtAddress: await usdt.getAddress() };
  }

  describe(label, function () {
    it("pays into escrow, releases part to the merchant and refunds the rest to the payer", async function () {
      const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(usdtFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n });
      const payment = payInvoice(vault, merchant, payer, invoice);
      const { escrowId, escrow } = await payment;
      expect(await usdt.balanceOf(await vault.getAddress())).to.equal(10_000_000n);

      // 1% fee on the 4 units released: 40,000 to the protocol.
      const releaseTx = vault.connect(payer).release(escrowId, escrow, 4_000_000n);
      await expect(releaseTx).to.emit(vault, "EscrowReleased").withArgs(escrowId, 4_000_000n, 40_000n);
      await expect(releaseTx).to.changeTokenBalances(usdt, [merchant, vault], [3_960_000n, -3_960_000n]);
      await expect(releaseTx).not.to.emit(vault, "PayoutDeferred");

      const rest = { ...escrow, remaining: 6_000_000n };
      const refundTx = vault.connect(merchant).refund(escrowId, rest, 6_000_000n);
      await expect(refundTx).to.emit(vault, "EscrowRefunded").withArgs(escrowId, 6_000_000n);
      await expect(refundTx).to.changeTokenBalances(usdt, [payer, vault], [6_000_000n, -6_000_000n]);
      await expect(refundTx).not.to.emit(vault, "PayoutDeferred");

      expect(await vault.accruedFees(usdtAddress)).to.equal(40_000n);
      expect(await usdt.balanceOf(await vault.getAddress())).to.equal(40_000n);
    });

    it("settles a zero-hold invoice straight to the merchant", async function () {
      const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(usdtFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n, holdPeriod: 0n });
      await usdt.connect(payer).approve(await vault.getAddress(), invoice.amount);
      const tx = vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice));
      await expect(tx).to.changeTokenBalances(usdt, [payer, merchant, vault], [-10_000_000n, 9_900_000n, 100_000n]);
      await expect(tx).not.to.emit(vault, "PayoutDeferred");
    });

    it("releases the whole escrow on timeout and lets the fee recipient withdraw", async function () {
      const { vault, usdt, usdtAddress, merchant, payer, other, feeRecipient } = await loadFixture(usdtFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      await time.increaseTo(escrow.deadline + 1n);
      const tx = vault.connect(other).executeTimeout(escrowId, escrow);
      await expect(tx).to.emit(vault, "EscrowTimedOut").withArgs(escrowId, TimeoutAction.Release, 10_000_000n, 100_000n);
      await expect(tx).to.changeTokenBalances(usdt, [merchant, vault], [9_900_000n, -9_900_000n]);
      await expect(vault.connect(feeRecipient).withdrawFees(usdtAddress)).to.changeTokenBalances(
        usdt,
        [feeRecipient, vault],
        [100_000n, -100_000n],
      );
    });

    it("defers a payout to a blacklisted payee and lets it claim to another address", async function () {
      const { vault, usdt, usdtAddress, merchant, payer, other } = await loadFixture(usdtFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      await usdt.setBlackListed(merchant.address, true);
      const tx = vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await expect(tx).to.emit(vault, "PayoutDeferred").withArgs(merchant.address, usdtAddress, 9_900_000n);
      await expect(tx).to.changeTokenBalances(usdt, [merchant, vault], [0, 0]);
      expect(await vault.deferredPayouts(merchant.address, usdtAddress)).to.equal(9_900_000n);
      await expect(vault.connect(merchant).claim(usdtAddress, other.address)).to.changeTokenBalances(
        usdt,
        [other, vault],
        [9_900_000n, -9_900_000n],
      );
    });

    describe("with Tether's fee switched on", function () {
      // 0.1%, capped at 5 units: a 10-unit payment delivers 9.99.
      async function feeOnFixture() {
        const f = await usdtFixture();
        await f.usdt.setParams(10, 5_000_000n);
        return f;
      }

      for (const holdPeriod of [7n * 86_400n, 0n]) {
        it(`reverts with TokenMovementsShortfall and the payer loses nothing (hold period ${holdPeriod})`, async function () {
          const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(feeOnFixture);
          const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n, holdPeriod });
          const vaultAddress = await vault.getAddress();
          await usdt.connect(payer).approve(vaultAddress, invoice.amount);
          const before = {
            payer: await usdt.balanceOf(payer.address),
            merchant: await usdt.balanceOf(merchant.address),
            vault: await usdt.balanceOf(vaultAddress),
          };
          await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
            .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
            .withArgs(usdtAddress, 10_000_000n, 9_990_000n);
          expect(await usdt.balanceOf(payer.address)).to.equal(before.payer);
          expect(await usdt.balanceOf(merchant.address)).to.equal(before.merchant);
          expect(await usdt.balanceOf(vaultAddress)).to.equal(before.vault);
          expect(await usdt.allowance(payer.address, vaultAddress)).to.equal(invoice.amount);
          expect(await vault.escrowHashOf(await vault.hashInvoice(invoice))).to.equal(ethers.ZeroHash);
        });
      }

      it("accepts the same invoice once the fee is switched off again", async function () {
        const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(feeOnFixture);
        const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n });
        await usdt.connect(payer).approve(await vault.getAddress(), invoice.amount);
        const signature = await signInvoice(vault, merchant, invoice);
        await expect(vault.connect(payer).payInvoice(invoice, signature)).to.be.revertedWithCustomError(
          vault,
          "TokenMovementsShortfall",
        );
        await usdt.setParams(0, 0);
        await expect(vault.connect(payer).payInvoice(invoice, signature)).to.emit(vault, "EscrowOpened");
      });
    });

    describe("approvals", function () {
      it("refuses a non-zero to non-zero approval, so the payer must reset to zero first", async function () {
        const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(usdtFixture);
        const vaultAddress = await vault.getAddress();
        // An approval larger than the first invoice leaves a remainder behind.
        await usdt.connect(payer).approve(vaultAddress, 15_000_000n);
        const first = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n });
        await vault.connect(payer).payInvoice(first, await signInvoice(vault, merchant, first));
        expect(await usdt.allowance(payer.address, vaultAddress)).to.equal(5_000_000n);

        const second = await makeInvoice({ merchant: merchant.address, token: usdtAddress, amount: 10_000_000n });
        await expect(usdt.connect(payer).approve(vaultAddress, second.amount)).to.be.revertedWith("USDT: approve from non-zero");
        await usdt.connect(payer).approve(vaultAddress, 0);
        await usdt.connect(payer).approve(vaultAddress, second.amount);
        await expect(vault.connect(payer).payInvoice(second, await signInvoice(vault, merchant, second))).to.emit(
          vault,
          "EscrowOpened",
        );
        expect(await usdt.allowance(payer.address, vaultAddress)).to.equal(0n);
      });

      it("reverts with TokenMovementsPullFailed when the remaining allowance is too small", async function () {
        const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(usdtFixture);
        await usdt.connect(payer).approve(await vault.getAddress(), 1n);
        const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress });
        await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
          .to.be.revertedWithCustomError(vault, "TokenMovementsPullFailed")
          .withArgs(usdtAddress, payer.address);
      });

      it("reverts with TokenMovementsPullFailed when the payer is blacklisted", async function () {
        const { vault, usdt, usdtAddress, merchant, payer } = await loadFixture(usdtFixture);
        const invoice = await makeInvoice({ merchant: merchant.address, token: usdtAddress });
        await usdt.connect(payer).approve(await vault.getAddress(), invoice.amount);
        await usdt.setBlackListed(payer.address, true);
        await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
          .to.be.revertedWithCustomError(vault, "TokenMovementsPullFailed")
          .withArgs(usdtAddress, payer.address);
      });
    });
  });
}

describe("USDT behaviours", function () {
  it("the vault ABI exposes the TokenMovements library errors", async function () {
    const { vault } = await loadFixture(deployVaultFixture);
    for (const name of ["TokenMovementsShortfall", "TokenMovementsPullFailed", "TokenMovementsPushFailed", "TokenMovementsOutOfGas"]) {
      expect(vault.interface.getError(name), name).to.not.equal(null);
    }
  });

  for (const { label, pick } of USDT_VARIANTS) shouldHandleUsdt(label, pick);
});
