import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { deployVaultFixture } from "../fixtures";
import type { EscrowVault } from "../../../typechain-types";

/** Every function restricted to the owner, called with harmless arguments. */
const OWNER_FUNCTIONS: Record<string, (vault: EscrowVault, caller: HardhatEthersSigner) => Promise<ContractTransactionResponse | void>> = {
  setTokenAllowed: (vault, caller) => vault.connect(caller).setTokenAllowed(caller.address, true),
  setFee: (vault, caller) => vault.connect(caller).setFee(1),
  setFeeRecipient: (vault, caller) => vault.connect(caller).setFeeRecipient(caller.address),
  setDepositsPaused: (vault, caller) => vault.connect(caller).setDepositsPaused(true),
  sweep: (vault, caller) => vault.connect(caller).sweep(caller.address, caller.address),
  transferOwnership: (vault, caller) => vault.connect(caller).transferOwnership(caller.address),
  renounceOwnership: (vault, caller) => vault.connect(caller).renounceOwnership(),
};

describe("ownership", function () {
  it("starts with the constructor's owner and no pending owner", async function () {
    const { vault, owner } = await loadFixture(deployVaultFixture);
    expect(await vault.owner()).to.equal(owner.address);
    expect(await vault.pendingOwner()).to.equal(ethers.ZeroAddress);
  });

  describe("two-step transfer", function () {
    it("proposes a new owner with OwnershipTransferStarted and keeps the old owner until accepted", async function () {
      const { vault, owner, other } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(owner).transferOwnership(other.address))
        .to.emit(vault, "OwnershipTransferStarted")
        .withArgs(owner.address, other.address);
      expect(await vault.pendingOwner()).to.equal(other.address);
      expect(await vault.owner()).to.equal(owner.address);
      await vault.connect(owner).setFee(1);
    });

    it("completes when the pending owner accepts, with OwnershipTransferred", async function () {
      const { vault, owner, other } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).transferOwnership(other.address);
      await expect(vault.connect(other).acceptOwnership())
        .to.emit(vault, "OwnershipTransferred")
        .withArgs(owner.address, other.address);
      expect(await vault.owner()).to.equal(other.address);
      expect(await vault.pendingOwner()).to.equal(ethers.ZeroAddress);
    });

    it("hands the owner powers over: the new owner has them, the old one not", async function () {
      const { vault, owner, other } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).transferOwnership(other.address);
      await vault.connect(other).acceptOwnership();
      await expect(vault.connect(other).setFee(7)).to.emit(vault, "FeeUpdated").withArgs(0, 7);
      await expect(vault.connect(owner).setFee(8))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
    });

    it("reverts with OwnableUnauthorizedAccount when anyone but the pending owner accepts", async function () {
      const { vault, owner, other, merchant } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).transferOwnership(other.address);
      for (const caller of [merchant, owner]) {
        await expect(vault.connect(caller).acceptOwnership())
          .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
          .withArgs(caller.address);
      }
    });

    it("lets the owner replace or cancel a pending transfer", async function () {
      const { vault, owner, other, merchant } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).transferOwnership(other.address);
      await vault.connect(owner).transferOwnership(merchant.address);
      await expect(vault.connect(other).acceptOwnership())
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
      await expect(vault.connect(owner).transferOwnership(ethers.ZeroAddress))
        .to.emit(vault, "OwnershipTransferStarted")
        .withArgs(owner.address, ethers.ZeroAddress);
      await expect(vault.connect(merchant).acceptOwnership())
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(merchant.address);
      expect(await vault.owner()).to.equal(owner.address);
    });
  });

  describe("renounceOwnership", function () {
    it("reverts with RenounceDisabled for the owner", async function () {
      const { vault, owner } = await loadFixture(deployVaultFixture);
      await expect(vault.connect(owner).renounceOwnership()).to.be.revertedWithCustomError(vault, "RenounceDisabled");
      expect(await vault.owner()).to.equal(owner.address);
    });
  });

  describe("owner-only functions", function () {
    for (const [name, call] of Object.entries(OWNER_FUNCTIONS)) {
      it(`${name} reverts with OwnableUnauthorizedAccount for a non-owner`, async function () {
        const { vault, other } = await loadFixture(deployVaultFixture);
        await expect(call(vault, other)).to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount").withArgs(other.address);
      });

      it(`${name} reverts with OwnableUnauthorizedAccount for a pending owner`, async function () {
        const { vault, owner, other } = await loadFixture(deployVaultFixture);
        await vault.connect(owner).transferOwnership(other.address);
        await expect(call(vault, other)).to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount").withArgs(other.address);
      });
    }
  });
});
