import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { escrowFromReceipt } from "../helpers";
import { depositFixture, depositInvoice, expectConserved, sendToDeposit } from "./deposit-helpers";

const AMOUNT = 100_000_000n;

describe("DepositRouter.refund", function () {
  describe("with a stated refund address", function () {
    async function overpaidFixture() {
      const f = await depositFixture();
      const d = await depositInvoice(f.vault, f.merchant, { token: await f.token.getAddress(), payer: f.refundWallet.address });
      await sendToDeposit(f.token, f.payer, d.deposit, AMOUNT + 30n);
      await (await f.vault.sweepDeposit(d.invoice, d.signature)).wait();
      return { ...f, d };
    }

    it("sends the excess of an overpayment to the refund address when the merchant asks", async function () {
      const { router, token, merchant, refundWallet, d } = await loadFixture(overpaidFixture);
      const tx = router.connect(merchant).refund(d.invoice, refundWallet.address);
      await expect(tx)
        .to.emit(router, "DepositRefunded")
        .withArgs(d.invoiceId, d.deposit, await token.getAddress(), refundWallet.address, 30n);
      await expect(tx).to.changeTokenBalances(token, [d.deposit, refundWallet], [-30n, 30n]);
    });

    it("lets the merchant's invoice signer refund to the refund address too", async function () {
      const { vault, router, token, merchant, signerKey, refundWallet, d } = await loadFixture(overpaidFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      await expect(router.connect(signerKey).refund(d.invoice, refundWallet.address)).to.changeTokenBalances(
        token,
        [d.deposit, refundWallet],
        [-30n, 30n],
      );
    });

    it("lets the refund address itself send the refund anywhere", async function () {
      const { router, token, refundWallet, other, d } = await loadFixture(overpaidFixture);
      await expect(router.connect(refundWallet).refund(d.invoice, other.address)).to.changeTokenBalances(
        token,
        [d.deposit, other],
        [-30n, 30n],
      );
    });

    it("reverts when the merchant names another recipient", async function () {
      const { router, merchant, refundWallet, d } = await loadFixture(overpaidFixture);
      await expect(router.connect(merchant).refund(d.invoice, merchant.address))
        .to.be.revertedWithCustomError(router, "RefundAddressMismatch")
        .withArgs(refundWallet.address, merchant.address);
    });

    it("reverts when a stranger or the paying wallet asks", async function () {
      const { router, payer, stranger, refundWallet, d } = await loadFixture(overpaidFixture);
      for (const caller of [stranger, payer]) {
        await expect(router.connect(caller).refund(d.invoice, refundWallet.address))
          .to.be.revertedWithCustomError(router, "NotAuthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts when nothing is left", async function () {
      const { router, token, merchant, refundWallet, d } = await loadFixture(overpaidFixture);
      await (await router.connect(merchant).refund(d.invoice, refundWallet.address)).wait();
      await expect(router.connect(merchant).refund(d.invoice, refundWallet.address))
        .to.be.revertedWithCustomError(router, "NothingToMove")
        .withArgs(d.deposit, await token.getAddress());
    });

    it("reverts with a zero recipient or the vault as recipient", async function () {
      const { vault, router, refundWallet, d } = await loadFixture(overpaidFixture);
      await expect(router.connect(refundWallet).refund(d.invoice, ethers.ZeroAddress)).to.be.revertedWithCustomError(router, "ZeroAddress");
      await expect(router.connect(refundWallet).refund(d.invoice, await vault.getAddress())).to.be.revertedWithCustomError(
        router,
        "RecipientIsVault",
      );
    });

    it("refunds a late payment in full after the pay-by time", async function () {
      const { vault, router, token, merchant, payer, refundWallet } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
      await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await expect(router.connect(refundWallet).refund(d.invoice, refundWallet.address)).to.changeTokenBalances(
        token,
        [d.deposit, refundWallet],
        [-AMOUNT, AMOUNT],
      );
    });

    it("refunds a short payment once the pay-by time has passed, with every unit accounted for", async function () {
      const { vault, router, token, merchant, payer, refundWallet } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT / 2n);
      await expect(router.connect(merchant).refund(d.invoice, refundWallet.address))
        .to.be.revertedWithCustomError(vault, "InvoiceStillPayable")
        .withArgs(d.invoiceId, d.invoice.payBy);
      await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
      const accounts = [d.deposit, await vault.getAddress(), merchant.address, payer.address, refundWallet.address];
      await expectConserved(token, accounts, async () => (await router.connect(merchant).refund(d.invoice, refundWallet.address)).wait());
      expect(await token.balanceOf(d.deposit)).to.equal(0n);
    });

    it("refunds right away once the merchant cancels the invoice", async function () {
      const { vault, router, token, merchant, payer, refundWallet } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT / 2n);
      await (await vault.connect(merchant).cancelInvoice(d.invoice)).wait();
      await expect(router.connect(merchant).refund(d.invoice, refundWallet.address)).to.changeTokenBalances(
        token,
        [d.deposit, refundWallet],
        [-(AMOUNT / 2n), AMOUNT / 2n],
      );
    });
  });

  describe("refused by the token", function () {
    it("reverts with DepositCallFailed when the token refuses the recipient", async function () {
      const { vault, router, ethUsdt, merchant, payer, other } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await ethUsdt.getAddress(), payer: payer.address });
      await (await ethUsdt.connect(payer).transfer(d.deposit, AMOUNT)).wait();
      await (await ethUsdt.setBlackListed(other.address, true)).wait();
      await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
      // A refund from the (stated) payer to a blacklisted address fails inside the token.
      await expect(router.connect(payer).refund(d.invoice, other.address))
        .to.be.revertedWithCustomError(vault, "DepositCallFailed")
        .withArgs(d.deposit, await ethUsdt.getAddress());
    });
  });

  describe("without a refund address", function () {
    async function lateFixture() {
      const f = await depositFixture();
      const d = await depositInvoice(f.vault, f.merchant, { token: await f.token.getAddress() });
      await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
      await sendToDeposit(f.token, f.payer, d.deposit, AMOUNT);
      return { ...f, d };
    }

    it("lets only the merchant refund, to the address the payer gives it", async function () {
      const { router, token, merchant, other, d } = await loadFixture(lateFixture);
      const tx = router.connect(merchant).refund(d.invoice, other.address);
      await expect(tx).to.emit(router, "DepositRefunded").withArgs(d.invoiceId, d.deposit, await token.getAddress(), other.address, AMOUNT);
      await expect(tx).to.changeTokenBalances(token, [d.deposit, other], [-AMOUNT, AMOUNT]);
    });

    it("reverts for the merchant's invoice signer and for strangers", async function () {
      const { vault, router, merchant, signerKey, stranger, d } = await loadFixture(lateFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      for (const caller of [signerKey, stranger]) {
        await expect(router.connect(caller).refund(d.invoice, caller.address))
          .to.be.revertedWithCustomError(router, "NotAuthorized")
          .withArgs(caller.address);
      }
    });

    it("holds an escrow refund at the deposit address until the merchant passes it on", async function () {
      const { vault, router, token, merchant, payer, other } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress() });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      const { escrowId, escrow } = escrowFromReceipt(vault, (await (await vault.sweepDeposit(d.invoice, d.signature)).wait())!);
      await expect(vault.connect(merchant).refund(escrowId, escrow, AMOUNT)).to.changeTokenBalances(token, [vault, d.deposit], [-AMOUNT, AMOUNT]);
      await expect(router.connect(merchant).refund(d.invoice, other.address)).to.changeTokenBalances(token, [d.deposit, other], [-AMOUNT, AMOUNT]);
    });
  });
});
