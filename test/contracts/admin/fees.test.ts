import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, payInvoice } from "../helpers";

const MAX_FEE_BPS = 500n;

/** A vault charging 1% with one escrow of 100 units released, so 1 unit of fees has accrued. */
async function accruedFeesFixture() {
  const f = await deployVaultFixture();
  await f.vault.connect(f.owner).setFee(100);
  const invoice = await makeInvoice({ merchant: f.merchant.address, token: await f.token.getAddress(), amount: 100_000_000n });
  const { escrowId, escrow } = await payInvoice(f.vault, f.merchant, f.payer, invoice);
  await f.vault.connect(f.payer).release(escrowId, escrow, escrow.remaining);
  return { ...f, accrued: 1_000_000n };
}

describe("fees", function () {
  describe("constructor", function () {
    it("emits the initial fee recipient and fee", async function () {
      const [owner, feeRecipient] = await ethers.getSigners();
      const vault = await ethers.deployContract("EscrowVault", [owner.address, feeRecipient.address, 42]);
      const deployment = vault.deploymentTransaction()!;
      await expect(deployment).to.emit(vault, "FeeRecipientUpdated").withArgs(ethers.ZeroAddress, feeRecipient.address);
      await expect(deployment).to.emit(vault, "FeeUpdated").withArgs(0, 42);
      expect(await vault.feeBps()).to.equal(42n);
      expect(await vault.feeRecipient()).to.equal(feeRecipient.address);
    });

    it("reverts with FeeTooHigh above the cap", async function () {
      const [owner, feeRecipient] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("EscrowVault");
      await expect(factory.deploy(owner.address, feeRecipient.address, MAX_FEE_BPS + 1n))
        .to.be.revertedWithCustomError(factory, "FeeTooHigh")
        .withArgs(MAX_FEE_BPS + 1n, MAX_FEE_BPS);
    });

    it("reverts with ZeroAddress for a zero fee recipient", async function () {
      const [owner] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("EscrowVault");
      await expect(factory.deploy(owner.address, ethers.ZeroAddress, 0)).to.be.revertedWithCustomError(factory, "ZeroAddress");
    });
  });

  describe("setFee", function () {
    it("changes the fee and emits FeeUpdated with the previous and new values", async function () {
      const { vault, owner } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(owner).setFee(250)).to.emit(vault, "FeeUpdated").withArgs(0, 250);
      await expect(vault.connect(owner).setFee(100)).to.emit(vault, "FeeUpdated").withArgs(250, 100);
      expect(await vault.feeBps()).to.equal(100n);
    });

    it("accepts exactly the cap", async function () {
      const { vault, owner } = await loadFixture(deployVaultFixture);
      expect(await vault.MAX_FEE_BPS()).to.equal(MAX_FEE_BPS);
      await vault.connect(owner).setFee(MAX_FEE_BPS);
      expect(await vault.feeBps()).to.equal(MAX_FEE_BPS);
    });

    it("reverts with FeeTooHigh above the cap", async function () {
      const { vault, owner } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(owner).setFee(MAX_FEE_BPS + 1n))
        .to.be.revertedWithCustomError(vault, "FeeTooHigh")
        .withArgs(MAX_FEE_BPS + 1n, MAX_FEE_BPS);
    });

    it("rounds the fee up so that splitting a release never lowers the total fee", async function () {
      const { vault, owner, token, merchant, payer } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).setFee(1);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), amount: 10_001n });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      // Whole: ceil(10_001 / 10_000) = 2. Split: ceil(5_000 / 10_000) + ceil(5_001 / 10_000) = 1 + 1.
      await expect(vault.connect(payer).release(escrowId, escrow, 5_000n))
        .to.emit(vault, "EscrowReleased")
        .withArgs(escrowId, 5_000n, 1n);
      const rest = { ...escrow, remaining: 5_001n };
      await expect(vault.connect(payer).release(escrowId, rest, 5_001n))
        .to.emit(vault, "EscrowReleased")
        .withArgs(escrowId, 5_001n, 1n);
      expect(await vault.accruedFees(await token.getAddress())).to.equal(2n);
    });

    it("reverts with OwnableUnauthorizedAccount for anyone but the owner", async function () {
      const { vault, other } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(other).setFee(1))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("setFeeRecipient", function () {
    it("changes the recipient and emits FeeRecipientUpdated", async function () {
      const { vault, owner, feeRecipient, other } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(owner).setFeeRecipient(other.address))
        .to.emit(vault, "FeeRecipientUpdated")
        .withArgs(feeRecipient.address, other.address);
      expect(await vault.feeRecipient()).to.equal(other.address);
    });

    it("reverts with ZeroAddress for the zero address", async function () {
      const { vault, owner } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(owner).setFeeRecipient(ethers.ZeroAddress)).to.be.revertedWithCustomError(vault, "ZeroAddress");
    });

    it("reverts with OwnableUnauthorizedAccount for anyone but the owner", async function () {
      const { vault, feeRecipient } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(feeRecipient).setFeeRecipient(feeRecipient.address))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(feeRecipient.address);
    });
  });

  describe("withdrawFees", function () {
    it("sends all accrued fees to the fee recipient and emits FeesWithdrawn", async function () {
      const { vault, token, feeRecipient, accrued } = await loadFixture(accruedFeesFixture);
      const address = await token.getAddress();
      const tx = vault.connect(feeRecipient).withdrawFees(address);
      await expect(tx).to.emit(vault, "FeesWithdrawn").withArgs(address, feeRecipient.address, accrued);
      await expect(tx).to.changeTokenBalances(token, [feeRecipient, vault], [accrued, -accrued]);
      expect(await vault.accruedFees(address)).to.equal(0n);
    });

    it("reverts with NotAuthorized for the owner and anyone else", async function () {
      const { vault, token, owner, other } = await loadFixture(accruedFeesFixture);
      for (const caller of [owner, other]) {
        await expect(vault.connect(caller).withdrawFees(await token.getAddress()))
          .to.be.revertedWithCustomError(vault, "NotAuthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with NothingToClaim when no fees have accrued", async function () {
      const { vault, feeRecipient, ethUsdt } = await loadFixture(accruedFeesFixture);
      await expect(vault.connect(feeRecipient).withdrawFees(await ethUsdt.getAddress()))
        .to.be.revertedWithCustomError(vault, "NothingToClaim")
        .withArgs(feeRecipient.address, await ethUsdt.getAddress());
    });

    it("reverts with NothingToClaim on a second withdrawal", async function () {
      const { vault, token, feeRecipient } = await loadFixture(accruedFeesFixture);
      await vault.connect(feeRecipient).withdrawFees(await token.getAddress());
      await expect(vault.connect(feeRecipient).withdrawFees(await token.getAddress()))
        .to.be.revertedWithCustomError(vault, "NothingToClaim")
        .withArgs(feeRecipient.address, await token.getAddress());
    });

    it("moves accrued fees with the role: only the new recipient can withdraw them", async function () {
      const { vault, token, owner, feeRecipient, other, accrued } = await loadFixture(accruedFeesFixture);
      await vault.connect(owner).setFeeRecipient(other.address);
      await expect(vault.connect(feeRecipient).withdrawFees(await token.getAddress()))
        .to.be.revertedWithCustomError(vault, "NotAuthorized")
        .withArgs(feeRecipient.address);
      await expect(vault.connect(other).withdrawFees(await token.getAddress())).to.changeTokenBalances(
        token,
        [other, vault],
        [accrued, -accrued],
      );
    });

    it("reverts with TokenMovementsPushFailed and keeps the fees when the recipient cannot receive", async function () {
      const { vault, owner, ethUsdt, merchant, payer, feeRecipient } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).setFee(100);
      const usdt = await ethUsdt.getAddress();
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: usdt }));
      await vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await ethUsdt.setBlackListed(feeRecipient.address, true);
      await expect(vault.connect(feeRecipient).withdrawFees(usdt))
        .to.be.revertedWithCustomError(vault, "TokenMovementsPushFailed")
        .withArgs(usdt, feeRecipient.address);
      expect(await vault.accruedFees(usdt)).to.equal(1_000_000n);
    });
  });
});
