import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, payInvoice, signInvoice } from "../helpers";

async function signerFixture() {
  const f = await deployVaultFixture();
  const invoice = await makeInvoice({ merchant: f.merchant.address, token: await f.token.getAddress() });
  await f.token.connect(f.payer).approve(await f.vault.getAddress(), invoice.amount);
  return { ...f, invoice, invoiceId: await f.vault.hashInvoice(invoice) };
}

/** A merchant that is an EIP-1271 contract wallet owned by the fixture's merchant EOA. */
async function walletMerchantFixture() {
  const f = await deployVaultFixture();
  const wallet = await ethers.deployContract("ERC1271WalletMock", [f.merchant.address]);
  const invoice = await makeInvoice({ merchant: await wallet.getAddress(), token: await f.token.getAddress() });
  await f.token.connect(f.payer).approve(await f.vault.getAddress(), invoice.amount);
  return { ...f, wallet, invoice, invoiceId: await f.vault.hashInvoice(invoice) };
}

describe("invoice signers", function () {
  describe("setInvoiceSigner", function () {
    it("registers a signer and emits InvoiceSignerSet", async function () {
      const { vault, merchant, signerKey } = await loadFixture(signerFixture);
      await expect(vault.connect(merchant).setInvoiceSigner(signerKey.address))
        .to.emit(vault, "InvoiceSignerSet")
        .withArgs(merchant.address, signerKey.address);
      expect(await vault.invoiceSigner(merchant.address)).to.equal(signerKey.address);
    });

    it("removes the signer when set to zero", async function () {
      const { vault, merchant, signerKey } = await loadFixture(signerFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      await expect(vault.connect(merchant).setInvoiceSigner(ethers.ZeroAddress))
        .to.emit(vault, "InvoiceSignerSet")
        .withArgs(merchant.address, ethers.ZeroAddress);
      expect(await vault.invoiceSigner(merchant.address)).to.equal(ethers.ZeroAddress);
    });
  });

  describe("registered EOA signer", function () {
    it("signs invoices the vault accepts", async function () {
      const { vault, merchant, payer, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      const signature = await signInvoice(vault, signerKey, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.emit(vault, "EscrowOpened")
        .withArgs(invoiceId, payer.address, merchant.address, invoice.token, invoice.arbiter, invoice.amount,
          invoice.payBy, (v: bigint) => v > 0n, 0, invoice.timeoutAction, invoice.merchantReference);
    });

    it("does not stop the merchant's own signature from working", async function () {
      const { vault, merchant, payer, signerKey, invoice } = await loadFixture(signerFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice))).to.emit(
        vault,
        "EscrowOpened",
      );
    });

    it("is rejected with InvalidInvoiceSignature when not registered", async function () {
      const { vault, payer, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, signerKey, invoice)))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
    });

    it("is rejected once the merchant removed it", async function () {
      const { vault, merchant, payer, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      const signature = await signInvoice(vault, signerKey, invoice);
      await vault.connect(merchant).setInvoiceSigner(ethers.ZeroAddress);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
    });

    it("is rejected once the merchant replaced it", async function () {
      const { vault, merchant, payer, signerKey, other, invoice, invoiceId } = await loadFixture(signerFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      const oldSignature = await signInvoice(vault, signerKey, invoice);
      await vault.connect(merchant).setInvoiceSigner(other.address);
      await expect(vault.connect(payer).payInvoice(invoice, oldSignature))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, other, invoice))).to.emit(
        vault,
        "EscrowOpened",
      );
    });

    it("cannot sign for a merchant that registered someone else", async function () {
      const { vault, payer, other, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      // signerKey works for `other`, not for the invoice's merchant.
      await vault.connect(other).setInvoiceSigner(signerKey.address);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, signerKey, invoice)))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
    });
  });

  describe("EIP-1271 merchant", function () {
    it("accepts an invoice the wallet validates, and pays the escrow to the wallet", async function () {
      const { vault, token, merchant, payer, wallet, invoice, invoiceId } = await loadFixture(walletMerchantFixture);
      // The wallet's owner signs; the wallet's isValidSignature vouches for it.
      const signature = await signInvoice(vault, merchant, invoice);
      const receipt = (await (await vault.connect(payer).payInvoice(invoice, signature)).wait())!;
      const opened = receipt.logs.map((l) => vault.interface.parseLog(l)).find((l) => l?.name === "EscrowOpened");
      expect(opened?.args.escrowId).to.equal(invoiceId);
      expect(opened?.args.payee).to.equal(await wallet.getAddress());

      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, { ...invoice, nonce: BigInt(invoice.nonce) + 1n });
      await expect(vault.connect(payer).release(escrowId, escrow, escrow.remaining)).to.changeTokenBalances(
        token,
        [wallet, vault],
        [escrow.remaining, -escrow.remaining],
      );
    });

    it("rejects a signature the wallet does not validate", async function () {
      const { vault, payer, other, invoice, invoiceId } = await loadFixture(walletMerchantFixture);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, other, invoice)))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
    });

    it("can cancel through the wallet", async function () {
      const { vault, merchant, wallet, invoice, invoiceId } = await loadFixture(walletMerchantFixture);
      const data = vault.interface.encodeFunctionData("cancelInvoice", [invoice]);
      await expect(wallet.connect(merchant).execute(await vault.getAddress(), data))
        .to.emit(vault, "InvoiceCancelled")
        .withArgs(invoiceId, await wallet.getAddress());
    });

    it("can register an EOA signer through the wallet", async function () {
      const { vault, merchant, payer, signerKey, wallet, invoice } = await loadFixture(walletMerchantFixture);
      const data = vault.interface.encodeFunctionData("setInvoiceSigner", [signerKey.address]);
      await wallet.connect(merchant).execute(await vault.getAddress(), data);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, signerKey, invoice))).to.emit(
        vault,
        "EscrowOpened",
      );
    });
  });

  describe("EIP-1271 signer", function () {
    it("accepts an invoice the registered signer wallet validates", async function () {
      const { vault, merchant, payer, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      const signerWallet = await ethers.deployContract("ERC1271WalletMock", [signerKey.address]);
      await vault.connect(merchant).setInvoiceSigner(await signerWallet.getAddress());
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, signerKey, invoice)))
        .to.emit(vault, "EscrowOpened")
        .withArgs(invoiceId, payer.address, merchant.address, invoice.token, invoice.arbiter, invoice.amount,
          invoice.payBy, (v: bigint) => v > 0n, 0, invoice.timeoutAction, invoice.merchantReference);
    });

    it("rejects a signature the signer wallet does not validate", async function () {
      const { vault, merchant, payer, signerKey, other, invoice, invoiceId } = await loadFixture(signerFixture);
      const signerWallet = await ethers.deployContract("ERC1271WalletMock", [signerKey.address]);
      await vault.connect(merchant).setInvoiceSigner(await signerWallet.getAddress());
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, other, invoice)))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
    });

    it("is rejected once removed", async function () {
      const { vault, merchant, payer, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      const signerWallet = await ethers.deployContract("ERC1271WalletMock", [signerKey.address]);
      await vault.connect(merchant).setInvoiceSigner(await signerWallet.getAddress());
      await vault.connect(merchant).setInvoiceSigner(ethers.ZeroAddress);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, signerKey, invoice)))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(invoiceId);
    });

    it("can cancel through the signer wallet", async function () {
      const { vault, merchant, signerKey, invoice, invoiceId } = await loadFixture(signerFixture);
      const signerWallet = await ethers.deployContract("ERC1271WalletMock", [signerKey.address]);
      await vault.connect(merchant).setInvoiceSigner(await signerWallet.getAddress());
      const data = vault.interface.encodeFunctionData("cancelInvoice", [invoice]);
      await expect(signerWallet.connect(signerKey).execute(await vault.getAddress(), data))
        .to.emit(vault, "InvoiceCancelled")
        .withArgs(invoiceId, merchant.address);
    });
  });
});
