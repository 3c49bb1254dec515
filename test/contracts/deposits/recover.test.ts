import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { depositFixture, depositInvoice, sendToDeposit } from "./deposit-helpers";

const AMOUNT = 100_000_000n;

/** An invoice in `token` whose payer sent Tether on TRON and 1 ETH/TRX to the deposit address instead. */
async function mistakeFixture() {
  const f = await depositFixture();
  const d = await depositInvoice(f.vault, f.merchant, { token: await f.token.getAddress(), payer: f.payer.address });
  await sendToDeposit(f.tronUsdt, f.payer, d.deposit, AMOUNT);
  // Before deployment the address is a plain account, so a native-coin send succeeds.
  await (await f.payer.sendTransaction({ to: d.deposit, value: ethers.parseEther("1") })).wait();
  return { ...f, d };
}

describe("DepositRouter.recover", function () {
  it("reverts while the invoice can still be paid", async function () {
    const { vault, router, tronUsdt, merchant, d } = await loadFixture(mistakeFixture);
    await expect(router.connect(merchant).recover(d.invoice, await tronUsdt.getAddress(), merchant.address))
      .to.be.revertedWithCustomError(vault, "InvoiceStillPayable")
      .withArgs(d.invoiceId, d.invoice.payBy);
  });

  describe("once the invoice can no longer be paid", function () {
    async function expiredFixture() {
      const f = await mistakeFixture();
      await time.increaseTo(BigInt(f.d.invoice.payBy) + 1n);
      return f;
    }

    it("sends the wrong token to the merchant's chosen address", async function () {
      const { router, tronUsdt, merchant, other, d } = await loadFixture(expiredFixture);
      const tx = router.connect(merchant).recover(d.invoice, await tronUsdt.getAddress(), other.address);
      await expect(tx).to.emit(router, "DepositRecovered").withArgs(d.invoiceId, d.deposit, await tronUsdt.getAddress(), other.address, AMOUNT);
      await expect(tx).to.changeTokenBalances(tronUsdt, [d.deposit, other], [-AMOUNT, AMOUNT]);
    });

    it("sends the native coin (ETH, TRX) to the merchant's chosen address", async function () {
      const { router, merchant, other, d } = await loadFixture(expiredFixture);
      const tx = router.connect(merchant).recover(d.invoice, ethers.ZeroAddress, other.address);
      await expect(tx).to.emit(router, "DepositRecovered").withArgs(d.invoiceId, d.deposit, ethers.ZeroAddress, other.address, ethers.parseEther("1"));
      await expect(tx).to.changeEtherBalances([d.deposit, other], [-ethers.parseEther("1"), ethers.parseEther("1")]);
    });

    it("recovers after the sweep as well (invoice used)", async function () {
      const { vault, router, token, tronUsdt, merchant, payer, other } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await sendToDeposit(tronUsdt, payer, d.deposit, 5n);
      await (await vault.sweepDeposit(d.invoice, d.signature)).wait();
      await setBalance(d.deposit, 7n); // native coin that reached the deployed address anyway (e.g. a block reward)
      await expect(router.connect(merchant).recover(d.invoice, await tronUsdt.getAddress(), other.address)).to.changeTokenBalances(tronUsdt, [d.deposit, other], [-5n, 5n]);
      await expect(router.connect(merchant).recover(d.invoice, ethers.ZeroAddress, other.address)).to.changeEtherBalances([d.deposit, other], [-7n, 7n]);
    });

    it("refuses the invoice's own token: that is a refund", async function () {
      const { router, token, merchant, d } = await loadFixture(expiredFixture);
      await expect(router.connect(merchant).recover(d.invoice, await token.getAddress(), merchant.address))
        .to.be.revertedWithCustomError(router, "InvoiceTokenNotRecoverable")
        .withArgs(await token.getAddress());
    });

    it("reverts for anyone but the merchant, its invoice signer and the payer included", async function () {
      const { vault, router, tronUsdt, merchant, payer, signerKey, stranger, d } = await loadFixture(expiredFixture);
      await vault.connect(merchant).setInvoiceSigner(signerKey.address);
      for (const caller of [signerKey, payer, stranger]) {
        await expect(router.connect(caller).recover(d.invoice, await tronUsdt.getAddress(), caller.address))
          .to.be.revertedWithCustomError(router, "NotAuthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts when there is nothing, or with a zero recipient", async function () {
      const { router, ethUsdt, merchant, d } = await loadFixture(expiredFixture);
      await expect(router.connect(merchant).recover(d.invoice, await ethUsdt.getAddress(), merchant.address))
        .to.be.revertedWithCustomError(router, "NothingToMove")
        .withArgs(d.deposit, await ethUsdt.getAddress());
      await expect(router.connect(merchant).recover(d.invoice, ethers.ZeroAddress, ethers.ZeroAddress)).to.be.revertedWithCustomError(router, "ZeroAddress");
    });
  });
});
