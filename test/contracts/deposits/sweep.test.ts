import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { TimeoutAction, escrowFromReceipt, payInvoice, signInvoice } from "../helpers";
import type { TestToken } from "../../../typechain-types";
import { depositFixture, depositInvoice, expectConserved, sendToDeposit } from "./deposit-helpers";

const AMOUNT = 100_000_000n;

/** DepositState as the router numbers it. */
const State = { Open: 0n, Sweepable: 1n, Refundable: 2n, Closed: 3n };

describe("sweepDeposit", function () {
  describe("exact payment", function () {
    it("opens the escrow with the stated refund address as payer, whoever sweeps", async function () {
      const { vault, router, token, merchant, payer, stranger, refundWallet } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
      // The transfer comes from `payer` (think: an exchange hot wallet), not from the refund address.
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      expect((await router.depositOf(d.invoice)).state).to.equal(State.Sweepable);

      const tx = vault.connect(stranger).sweepDeposit(d.invoice, d.signature);
      await expect(tx).to.changeTokenBalances(token, [d.deposit, vault, stranger, merchant], [-AMOUNT, AMOUNT, 0n, 0n]);
      const receipt = (await (await tx).wait())!;
      const { escrowId, escrow } = escrowFromReceipt(vault, receipt);
      await expect(tx)
        .to.emit(vault, "EscrowOpened")
        .withArgs(
          d.invoiceId,
          refundWallet.address,
          merchant.address,
          await token.getAddress(),
          ethers.ZeroAddress,
          AMOUNT,
          d.invoice.payBy,
          escrow.deadline,
          0,
          TimeoutAction.Release,
          d.invoice.merchantReference,
        );
      expect(escrowId).to.equal(d.invoiceId);
      expect(escrow.payer).to.equal(refundWallet.address);
      expect(await vault.escrowHashOf(d.invoiceId)).to.not.equal(ethers.ZeroHash);
      expect(ethers.dataLength(await ethers.provider.getCode(d.deposit))).to.equal(56);
      expect((await router.depositOf(d.invoice)).state).to.equal(State.Closed);
    });

    it("gives the stated payer the payer's powers: it can release", async function () {
      const { vault, token, merchant, payer, refundWallet } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: refundWallet.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      const { escrowId, escrow } = escrowFromReceipt(vault, (await (await vault.sweepDeposit(d.invoice, d.signature)).wait())!);
      await expect(vault.connect(refundWallet).release(escrowId, escrow, AMOUNT)).to.changeTokenBalances(
        token,
        [vault, merchant],
        [-AMOUNT, AMOUNT],
      );
    });

    it("names the deposit address as payer when the invoice states no refund address", async function () {
      const { vault, token, merchant, payer } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress() });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      const { escrow } = escrowFromReceipt(vault, (await (await vault.sweepDeposit(d.invoice, d.signature)).wait())!);
      expect(escrow.payer).to.equal(d.deposit);
    });

    it("settles straight to the merchant when the hold period is zero", async function () {
      const { vault, token, merchant, payer, other, owner } = await loadFixture(depositFixture);
      await vault.connect(owner).setFee(100);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), holdPeriod: 0n, payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      const fee = AMOUNT / 100n;
      const tx = vault.connect(other).sweepDeposit(d.invoice, d.signature);
      await expect(tx)
        .to.emit(vault, "InvoiceSettled")
        .withArgs(d.invoiceId, payer.address, merchant.address, await token.getAddress(), AMOUNT, fee, d.invoice.merchantReference);
      await expect(tx).to.changeTokenBalances(token, [d.deposit, vault, merchant], [-AMOUNT, fee, AMOUNT - fee]);
      expect(await vault.accruedFees(await token.getAddress())).to.equal(fee);
      expect(await vault.escrowHashOf(d.invoiceId)).to.equal(ethers.zeroPadValue("0x01", 32));
    });

    for (const name of ["ethUsdt", "tronUsdt"] as const) {
      it(`works with ${name === "ethUsdt" ? "Tether on Ethereum (no return values)" : "Tether on TRON (transfer returns false)"}`, async function () {
        const f = await loadFixture(depositFixture);
        const usdt = f[name] as unknown as TestToken;
        const d = await depositInvoice(f.vault, f.merchant, { token: await usdt.getAddress(), payer: f.payer.address });
        await sendToDeposit(usdt, f.payer, d.deposit, AMOUNT);
        await expect(f.vault.sweepDeposit(d.invoice, d.signature)).to.changeTokenBalances(usdt, [d.deposit, f.vault], [-AMOUNT, AMOUNT]);
      });
    }
  });

  describe("amounts that do not match", function () {
    it("takes exactly the amount when overpaid and leaves the excess refundable", async function () {
      const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT + 7n);
      await expect(vault.sweepDeposit(d.invoice, d.signature)).to.changeTokenBalances(token, [d.deposit, vault], [-AMOUNT, AMOUNT]);
      const after = await router.depositOf(d.invoice);
      expect(after.balance).to.equal(7n);
      expect(after.state).to.equal(State.Refundable);
    });

    it("reverts when underpaid, and the short payment waits for a top-up", async function () {
      const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT - 1n);
      await expect(vault.sweepDeposit(d.invoice, d.signature))
        .to.be.revertedWithCustomError(vault, "DepositCallFailed")
        .withArgs(d.deposit, await token.getAddress());
      expect((await router.depositOf(d.invoice)).state).to.equal(State.Open);
      await sendToDeposit(token, payer, d.deposit, 1n);
      await expect(vault.sweepDeposit(d.invoice, d.signature)).to.changeTokenBalances(token, [d.deposit, vault], [-AMOUNT, AMOUNT]);
    });

    it("reverts after the pay-by time, and the late payment becomes refundable", async function () {
      const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await time.increaseTo(BigInt(d.invoice.payBy) + 1n);
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      const sweptAt = BigInt(d.invoice.payBy) + 10n;
      await time.setNextBlockTimestamp(sweptAt);
      await expect(vault.sweepDeposit(d.invoice, d.signature))
        .to.be.revertedWithCustomError(vault, "InvoiceExpired")
        .withArgs(sweptAt, d.invoice.payBy);
      expect((await router.depositOf(d.invoice)).state).to.equal(State.Refundable);
    });

    it("reverts on a repeated payment after the sweep, which stays refundable", async function () {
      const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await (await vault.sweepDeposit(d.invoice, d.signature)).wait();
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await expect(vault.sweepDeposit(d.invoice, d.signature))
        .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
        .withArgs(d.invoiceId);
      const after = await router.depositOf(d.invoice);
      expect([after.balance, after.state]).to.deep.equal([AMOUNT, State.Refundable]);
    });

    it("leaves the deposit refundable when the invoice was paid from a wallet instead", async function () {
      const { vault, router, token, merchant, payer } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await payInvoice(vault, merchant, payer, d.invoice);
      await expect(vault.sweepDeposit(d.invoice, d.signature)).to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed");
      expect((await router.depositOf(d.invoice)).state).to.equal(State.Refundable);
    });
  });

  describe("who can do what", function () {
    it("lets a stranger trigger the sweep but move nothing anywhere else", async function () {
      const { vault, token, merchant, payer, stranger, arbiter, other, feeRecipient } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT + 5n);
      const everyone = [d.deposit, await vault.getAddress(), merchant.address, payer.address, stranger.address, arbiter.address, other.address, feeRecipient.address];
      const before = await Promise.all(everyone.map((a) => token.balanceOf(a)));
      await expectConserved(token, everyone, async () => (await vault.connect(stranger).sweepDeposit(d.invoice, d.signature)).wait());
      const after = await Promise.all(everyone.map((a) => token.balanceOf(a)));
      expect(after.map((b, i) => b - before[i])).to.deep.equal([-AMOUNT, AMOUNT, 0n, 0n, 0n, 0n, 0n, 0n]);
    });

    it("reverts with a forged signature or a changed invoice", async function () {
      const { vault, token, merchant, payer, stranger } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      const forged = await signInvoice(vault, stranger, d.invoice);
      await expect(vault.sweepDeposit(d.invoice, forged)).to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature").withArgs(d.invoiceId);
      // A changed invoice is another invoice, with another (empty) deposit address and a signature that fails.
      const changed = { ...d.invoice, payer: stranger.address };
      await expect(vault.sweepDeposit(changed, d.signature)).to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature");
    });

    it("reverts while deposits are paused", async function () {
      const { vault, token, merchant, payer, owner } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: payer.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await vault.connect(owner).setDepositsPaused(true);
      await expect(vault.sweepDeposit(d.invoice, d.signature)).to.be.revertedWithCustomError(vault, "DepositsArePaused");
    });

    it("reverts when the stated refund address is also the arbiter", async function () {
      const { vault, token, merchant, payer, arbiter } = await loadFixture(depositFixture);
      const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: arbiter.address, arbiter: arbiter.address });
      await sendToDeposit(token, payer, d.deposit, AMOUNT);
      await expect(vault.sweepDeposit(d.invoice, d.signature)).to.be.revertedWithCustomError(vault, "ArbiterConflict").withArgs(arbiter.address);
    });
  });

  describe("hostile tokens", function () {
    it("reverts with TokenMovementsShortfall when the token delivers less than the amount", async function () {
      const { vault, owner, merchant, payer, other } = await loadFixture(depositFixture);
      const fot = (await ethers.deployContract("FeeOnTransferToken")) as unknown as TestToken & { setFee(bps: bigint, to: string): Promise<unknown> };
      await fot.setFee(100n, other.address);
      await vault.connect(owner).setTokenAllowed(await fot.getAddress(), true);
      await fot.mint(payer.address, 10n * AMOUNT);
      const d = await depositInvoice(vault, merchant, { token: await fot.getAddress(), payer: payer.address });
      await sendToDeposit(fot, payer, d.deposit, 2n * AMOUNT);
      await expect(vault.sweepDeposit(d.invoice, d.signature))
        .to.be.revertedWithCustomError(vault, "TokenMovementsShortfall")
        .withArgs(await fot.getAddress(), AMOUNT, AMOUNT - AMOUNT / 100n);
    });

    it("refuses a sweep re-entered from the token (the deposit lock holds)", async function () {
      const { vault, owner, merchant, payer } = await loadFixture(depositFixture);
      const reentrant = await ethers.deployContract("ReentrantToken");
      await vault.connect(owner).setTokenAllowed(await reentrant.getAddress(), true);
      await reentrant.mint(payer.address, 10n * AMOUNT);
      const first = await depositInvoice(vault, merchant, { token: await reentrant.getAddress(), payer: payer.address });
      const second = await depositInvoice(vault, merchant, { token: await reentrant.getAddress(), payer: payer.address });
      for (const d of [first, second]) await (await reentrant.connect(payer).transfer(d.deposit, AMOUNT)).wait();
      const nested = vault.interface.encodeFunctionData("sweepDeposit", [second.invoice, second.signature]);
      await reentrant.arm(1, await vault.getAddress(), nested, false, false); // on transfer, then move as asked
      await expect(vault.sweepDeposit(first.invoice, first.signature)).to.changeTokenBalances(
        reentrant,
        [first.deposit, second.deposit, vault],
        [-AMOUNT, 0n, AMOUNT],
      );
      expect(await reentrant.reentered()).to.equal(true);
      expect(await reentrant.reentrySucceeded()).to.equal(false);
      expect(await reentrant.reentryReturnData()).to.equal(vault.interface.getError("ReentrantDeposit")!.selector);
      expect(await vault.escrowHashOf(second.invoiceId)).to.equal(ethers.ZeroHash);
    });
  });
});
