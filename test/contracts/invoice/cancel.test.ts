import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, payInvoice, signInvoice } from "../helpers";

const USED = ethers.toBeHex(1, 32);

async function cancelFixture() {
  const f = await deployVaultFixture();
  const invoice = await makeInvoice({ merchant: f.merchant.address, token: await f.token.getAddress() });
  const invoiceId = await f.vault.hashInvoice(invoice);
  return { ...f, invoice, invoiceId };
}

describe("cancelInvoice", function () {
  it("lets the merchant cancel an unpaid invoice and emits InvoiceCancelled", async function () {
    const { vault, merchant, invoice, invoiceId } = await loadFixture(cancelFixture);
    await expect(vault.connect(merchant).cancelInvoice(invoice))
      .to.emit(vault, "InvoiceCancelled")
      .withArgs(invoiceId, merchant.address);
    expect(await vault.escrowHashOf(invoiceId)).to.equal(USED);
  });

  it("makes the invoice unpayable", async function () {
    const { vault, token, merchant, payer, invoice, invoiceId } = await loadFixture(cancelFixture);
    const signature = await signInvoice(vault, merchant, invoice);
    await vault.connect(merchant).cancelInvoice(invoice);
    await token.connect(payer).approve(await vault.getAddress(), invoice.amount);
    await expect(vault.connect(payer).payInvoice(invoice, signature))
      .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
      .withArgs(invoiceId);
  });

  it("lets the merchant's registered signer cancel", async function () {
    const { vault, merchant, signerKey, invoice, invoiceId } = await loadFixture(cancelFixture);
    await vault.connect(merchant).setInvoiceSigner(signerKey.address);
    await expect(vault.connect(signerKey).cancelInvoice(invoice))
      .to.emit(vault, "InvoiceCancelled")
      .withArgs(invoiceId, merchant.address);
  });

  it("works at exactly payBy", async function () {
    const { vault, merchant, invoice } = await loadFixture(cancelFixture);
    await time.setNextBlockTimestamp(invoice.payBy);
    await expect(vault.connect(merchant).cancelInvoice(invoice)).to.emit(vault, "InvoiceCancelled");
  });

  it("works while deposits are paused", async function () {
    const { vault, owner, merchant, invoice } = await loadFixture(cancelFixture);
    await vault.connect(owner).setDepositsPaused(true);
    await expect(vault.connect(merchant).cancelInvoice(invoice)).to.emit(vault, "InvoiceCancelled");
  });

  it("reverts with NotAuthorized when the caller is neither merchant nor its signer", async function () {
    const { vault, payer, invoice } = await loadFixture(cancelFixture);
    await expect(vault.connect(payer).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "NotAuthorized")
      .withArgs(payer.address);
  });

  it("reverts with NotAuthorized for a signer the merchant removed", async function () {
    const { vault, merchant, signerKey, invoice } = await loadFixture(cancelFixture);
    await vault.connect(merchant).setInvoiceSigner(signerKey.address);
    await vault.connect(merchant).setInvoiceSigner(ethers.ZeroAddress);
    await expect(vault.connect(signerKey).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "NotAuthorized")
      .withArgs(signerKey.address);
  });

  it("reverts with NotAuthorized for another merchant's signer", async function () {
    const { vault, other, signerKey, invoice } = await loadFixture(cancelFixture);
    await vault.connect(other).setInvoiceSigner(signerKey.address);
    await expect(vault.connect(signerKey).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "NotAuthorized")
      .withArgs(signerKey.address);
  });

  it("reverts with InvoiceExpired one second after payBy", async function () {
    const { vault, merchant, invoice } = await loadFixture(cancelFixture);
    const late = BigInt(invoice.payBy) + 1n;
    await time.setNextBlockTimestamp(late);
    await expect(vault.connect(merchant).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "InvoiceExpired")
      .withArgs(late, invoice.payBy);
  });

  it("reverts with InvoiceAlreadyUsed when already cancelled", async function () {
    const { vault, merchant, invoice, invoiceId } = await loadFixture(cancelFixture);
    await vault.connect(merchant).cancelInvoice(invoice);
    await expect(vault.connect(merchant).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
      .withArgs(invoiceId);
  });

  it("reverts with InvoiceAlreadyUsed when the invoice was paid into escrow", async function () {
    const { vault, merchant, payer, invoice, invoiceId } = await loadFixture(cancelFixture);
    const { escrowId } = await payInvoice(vault, merchant, payer, invoice);
    expect(escrowId).to.equal(invoiceId);
    await expect(vault.connect(merchant).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
      .withArgs(invoiceId);
  });

  it("reverts with InvoiceAlreadyUsed when the invoice was settled directly", async function () {
    const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
    const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), holdPeriod: 0n });
    await token.connect(payer).approve(await vault.getAddress(), invoice.amount);
    await vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice));
    await expect(vault.connect(merchant).cancelInvoice(invoice))
      .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
      .withArgs(await vault.hashInvoice(invoice));
  });

  it("leaves other invoices of the merchant payable", async function () {
    const { vault, token, merchant, payer, invoice } = await loadFixture(cancelFixture);
    await vault.connect(merchant).cancelInvoice(invoice);
    const sibling = { ...invoice, nonce: BigInt(invoice.nonce) + 1n };
    await token.connect(payer).approve(await vault.getAddress(), sibling.amount);
    await expect(vault.connect(payer).payInvoice(sibling, await signInvoice(vault, merchant, sibling))).to.emit(
      vault,
      "EscrowOpened",
    );
  });
});
