import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, signInvoice } from "../helpers";

const USED = ethers.toBeHex(1, 32);

/** The fixture plus a signed, approved invoice with a zero hold period (settles straight to the merchant). */
async function directInvoiceFixture() {
  const f = await deployVaultFixture();
  const invoice = await makeInvoice({
    merchant: f.merchant.address,
    token: await f.token.getAddress(),
    holdPeriod: 0n,
    amount: 100_000_001n,
  });
  const signature = await signInvoice(f.vault, f.merchant, invoice);
  await f.token.connect(f.payer).approve(await f.vault.getAddress(), invoice.amount);
  return { ...f, invoice, signature };
}

describe("payInvoice with a zero hold period", function () {
  describe("without a fee", function () {
    it("pays the merchant directly and keeps nothing in the vault", async function () {
      const { vault, token, merchant, payer, invoice, signature } = await loadFixture(directInvoiceFixture);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.changeTokenBalances(
        token,
        [payer, merchant, vault],
        [-BigInt(invoice.amount), invoice.amount, 0],
      );
    });

    it("emits InvoiceSettled with a zero fee and no EscrowOpened", async function () {
      const { vault, token, merchant, payer, invoice, signature } = await loadFixture(directInvoiceFixture);
      const id = await vault.hashInvoice(invoice);
      const tx = vault.connect(payer).payInvoice(invoice, signature);
      await expect(tx)
        .to.emit(vault, "InvoiceSettled")
        .withArgs(id, payer.address, merchant.address, await token.getAddress(), invoice.amount, 0, invoice.merchantReference);
      await expect(tx).not.to.emit(vault, "EscrowOpened");
    });

    it("returns the invoice id and marks it used", async function () {
      const { vault, payer, invoice, signature } = await loadFixture(directInvoiceFixture);
      const id = await vault.hashInvoice(invoice);
      expect(await vault.connect(payer).payInvoice.staticCall(invoice, signature)).to.equal(id);
      await vault.connect(payer).payInvoice(invoice, signature);
      expect(await vault.escrowHashOf(id)).to.equal(USED);
    });

    it("reverts with InvoiceAlreadyUsed on a second payment", async function () {
      const { vault, token, payer, invoice, signature } = await loadFixture(directInvoiceFixture);
      await vault.connect(payer).payInvoice(invoice, signature);
      await token.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
        .withArgs(await vault.hashInvoice(invoice));
    });

    it("defers the merchant's payout when the merchant cannot receive, and the payment stands", async function () {
      const { vault, ethUsdt, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await ethUsdt.getAddress(), holdPeriod: 0n });
      await ethUsdt.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await ethUsdt.setBlackListed(merchant.address, true);
      const tx = vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice));
      await expect(tx)
        .to.emit(vault, "PayoutDeferred")
        .withArgs(merchant.address, await ethUsdt.getAddress(), invoice.amount);
      await expect(tx).to.changeTokenBalances(ethUsdt, [payer, merchant, vault], [-BigInt(invoice.amount), 0n, invoice.amount]);
      expect(await vault.deferredPayouts(merchant.address, await ethUsdt.getAddress())).to.equal(invoice.amount);
      expect(await vault.escrowHashOf(await vault.hashInvoice(invoice))).to.equal(USED);
    });
  });

  describe("with a fee", function () {
    async function withFeeFixture() {
      const f = await directInvoiceFixture();
      await f.vault.connect(f.owner).setFee(250);
      return f;
    }
    // ceil(100_000_001 * 250 / 10_000) = 2_500_001
    const FEE = 2_500_001n;

    it("pays the merchant the amount minus the fee and keeps the fee in the vault", async function () {
      const { vault, token, merchant, payer, invoice, signature } = await loadFixture(withFeeFixture);
      const amount = BigInt(invoice.amount);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.changeTokenBalances(
        token,
        [payer, merchant, vault],
        [-amount, amount - FEE, FEE],
      );
      expect(await vault.accruedFees(await token.getAddress())).to.equal(FEE);
    });

    it("emits InvoiceSettled with the rounded-up fee", async function () {
      const { vault, token, merchant, payer, invoice, signature } = await loadFixture(withFeeFixture);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.emit(vault, "InvoiceSettled")
        .withArgs(
          await vault.hashInvoice(invoice),
          payer.address,
          merchant.address,
          await token.getAddress(),
          invoice.amount,
          FEE,
          invoice.merchantReference,
        );
    });

    it("lets the fee recipient withdraw the fee", async function () {
      const { vault, token, feeRecipient, payer, invoice, signature } = await loadFixture(withFeeFixture);
      await vault.connect(payer).payInvoice(invoice, signature);
      await expect(vault.connect(feeRecipient).withdrawFees(await token.getAddress())).to.changeTokenBalances(
        token,
        [feeRecipient, vault],
        [FEE, -FEE],
      );
    });

    it("defers the merchant's share when the merchant cannot receive", async function () {
      const { vault, owner, ethUsdt, merchant, payer, other } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).setFee(100);
      const usdt = await ethUsdt.getAddress();
      const invoice = await makeInvoice({ merchant: merchant.address, token: usdt, holdPeriod: 0n, amount: 10_000n });
      await ethUsdt.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await ethUsdt.setBlackListed(merchant.address, true);
      const tx = vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice));
      await expect(tx).to.emit(vault, "PayoutDeferred").withArgs(merchant.address, usdt, 9_900n);
      await expect(tx).to.changeTokenBalances(ethUsdt, [payer, vault], [-10_000n, 10_000n]);
      expect(await vault.deferredPayouts(merchant.address, usdt)).to.equal(9_900n);
      expect(await vault.accruedFees(usdt)).to.equal(100n);
      await expect(vault.connect(merchant).claim(usdt, other.address)).to.changeTokenBalances(
        ethUsdt,
        [other, vault],
        [9_900n, -9_900n],
      );
    });
  });

  it("reverts with DepositsArePaused while deposits are paused", async function () {
    const { vault, owner, payer, invoice, signature } = await loadFixture(directInvoiceFixture);
    await vault.connect(owner).setDepositsPaused(true);
    await expect(vault.connect(payer).payInvoice(invoice, signature)).to.be.revertedWithCustomError(vault, "DepositsArePaused");
  });

  it("reverts with TokenNotAllowed for a token off the allowlist", async function () {
    const { vault, owner, token, payer, invoice, signature } = await loadFixture(directInvoiceFixture);
    await vault.connect(owner).setTokenAllowed(await token.getAddress(), false);
    await expect(vault.connect(payer).payInvoice(invoice, signature))
      .to.be.revertedWithCustomError(vault, "TokenNotAllowed")
      .withArgs(await token.getAddress());
  });
});
