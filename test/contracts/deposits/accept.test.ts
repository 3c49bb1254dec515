import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { escrowFromReceipt, latestTimestamp, makeInvoice, signInvoice, type InvoiceStruct } from "../helpers";
import type { EscrowVault } from "../../../typechain-types";
import { depositFixture, depositInvoice, expectConserved, sendToDeposit } from "./deposit-helpers";

const AMOUNT = 100_000_000n;

/** A new invoice with the original's terms, `amount` and a fresh pay-by time, signed by `merchant`. */
async function acceptance(vault: EscrowVault, merchant: Parameters<typeof signInvoice>[1], original: InvoiceStruct, amount: bigint, overrides: Partial<InvoiceStruct> = {}) {
  const accepted = await makeInvoice({
    ...original,
    amount,
    payBy: BigInt(await latestTimestamp()) + 3600n,
    nonce: BigInt(original.nonce) + 1n,
    ...overrides,
    merchant: (overrides.merchant ?? original.merchant) as string,
    token: (overrides.token ?? original.token) as string,
  });
  return { accepted, signature: await signInvoice(vault, merchant, accepted), acceptedId: await vault.hashInvoice(accepted) };
}

describe("DepositRouter.acceptPayment", function () {
  it("pays a late payment into a new escrow with the original's payer and terms", async function () {
    const { vault, router, token, merchant, payer, refundWallet } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
    await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
    await sendToDeposit(token, payer, d.deposit, AMOUNT);
    const { accepted, signature, acceptedId } = await acceptance(vault, merchant, d.invoice, AMOUNT);
    const tx = router.connect(merchant).acceptPayment(d.invoice, accepted, signature);
    await expect(tx).to.emit(router, "DepositAccepted").withArgs(d.invoiceId, acceptedId, d.deposit, AMOUNT);
    await expect(tx).to.changeTokenBalances(token, [d.deposit, vault], [-AMOUNT, AMOUNT]);
    const { escrowId, escrow } = escrowFromReceipt(vault, (await (await tx).wait())!);
    expect(escrowId).to.equal(acceptedId);
    expect(escrow.payer).to.equal(refundWallet.address);
  });

  it("pays a short payment after the merchant cancelled the original, leaving nothing behind", async function () {
    const { vault, router, token, merchant, payer, refundWallet } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
    await sendToDeposit(token, payer, d.deposit, AMOUNT - 1_000n);
    await expect(router.connect(merchant).acceptPayment(d.invoice, d.invoice, d.signature))
      .to.be.revertedWithCustomError(vault, "InvoiceStillPayable")
      .withArgs(d.invoiceId, d.invoice.payBy);
    await (await vault.connect(merchant).cancelInvoice(d.invoice)).wait();
    const { accepted, signature } = await acceptance(vault, merchant, d.invoice, AMOUNT - 1_000n);
    const accounts = [d.deposit, await vault.getAddress(), merchant.address, payer.address, refundWallet.address];
    await expectConserved(token, accounts, async () => (await router.connect(merchant).acceptPayment(d.invoice, accepted, signature)).wait());
    expect(await token.balanceOf(d.deposit)).to.equal(0n);
  });

  it("pays a repeated payment from the already deployed address, holding the original's address as payer", async function () {
    const { vault, router, token, merchant, payer, signerKey } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress() });
    await sendToDeposit(token, payer, d.deposit, AMOUNT);
    await (await vault.sweepDeposit(d.invoice, d.signature)).wait();
    await sendToDeposit(token, payer, d.deposit, AMOUNT + 1n);
    await vault.connect(merchant).setInvoiceSigner(signerKey.address);
    const { accepted, signature } = await acceptance(vault, signerKey, d.invoice, AMOUNT);
    const tx = router.connect(signerKey).acceptPayment(d.invoice, accepted, signature);
    await expect(tx).to.changeTokenBalances(token, [d.deposit, vault], [-AMOUNT, AMOUNT]);
    const { escrow } = escrowFromReceipt(vault, (await (await tx).wait())!);
    expect(escrow.payer).to.equal(d.deposit);
    expect(await token.balanceOf(d.deposit)).to.equal(1n);
  });

  it("settles straight to the merchant when both hold periods are zero", async function () {
    const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), holdPeriod: 0n, payer: payer.address });
    await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
    await sendToDeposit(token, payer, d.deposit, AMOUNT);
    const { accepted, signature } = await acceptance(vault, merchant, d.invoice, AMOUNT);
    await expect(router.connect(merchant).acceptPayment(d.invoice, accepted, signature)).to.changeTokenBalances(
      token,
      [d.deposit, vault, merchant],
      [-AMOUNT, 0n, AMOUNT],
    );
  });

  it("reverts when the new invoice weakens the payer's terms", async function () {
    const { vault, router, token, ethUsdt, merchant, payer, arbiter, other } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address, arbiter: arbiter.address });
    await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
    await sendToDeposit(token, payer, d.deposit, AMOUNT);
    for (const change of [
      { payer: other.address },
      { arbiter: ethers.ZeroAddress },
      { timeoutAction: 1 },
      { holdPeriod: BigInt(d.invoice.holdPeriod) - 1n },
      { token: await ethUsdt.getAddress() },
      { merchant: other.address },
    ]) {
      const { accepted, signature, acceptedId } = await acceptance(vault, merchant, d.invoice, AMOUNT, change);
      await expect(router.connect(merchant).acceptPayment(d.invoice, accepted, signature))
        .to.be.revertedWithCustomError(router, "AcceptedTermsMismatch")
        .withArgs(d.invoiceId, acceptedId);
    }
  });

  it("reverts for anyone but the merchant and its invoice signer", async function () {
    const { vault, router, token, merchant, payer, stranger } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
    await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
    await sendToDeposit(token, payer, d.deposit, AMOUNT);
    const { accepted, signature } = await acceptance(vault, merchant, d.invoice, AMOUNT);
    for (const caller of [stranger, payer]) {
      await expect(router.connect(caller).acceptPayment(d.invoice, accepted, signature))
        .to.be.revertedWithCustomError(router, "NotAuthorized")
        .withArgs(caller.address);
    }
  });

  it("reverts when the address holds less than the accepted amount", async function () {
    const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
    await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
    await sendToDeposit(token, payer, d.deposit, AMOUNT);
    const { accepted, signature } = await acceptance(vault, merchant, d.invoice, AMOUNT + 1n);
    await expect(router.connect(merchant).acceptPayment(d.invoice, accepted, signature))
      .to.be.revertedWithCustomError(vault, "DepositCallFailed")
      .withArgs(d.deposit, await token.getAddress());
  });

  it("reverts when the vault's router-only entry points are called directly", async function () {
    const { vault, token, merchant, stranger } = await loadFixture(depositFixture);
    const d = await depositInvoice(vault, merchant, { token: await token.getAddress() });
    await expect(vault.connect(stranger).payFromDeposit(d.invoice, d.signature, d.invoice))
      .to.be.revertedWithCustomError(vault, "NotAuthorized")
      .withArgs(stranger.address);
    await expect(vault.connect(stranger).callDeposit(d.invoice, await token.getAddress(), 0, "0x"))
      .to.be.revertedWithCustomError(vault, "NotAuthorized")
      .withArgs(stranger.address);
  });
});
