import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";

/** A token that was never allowlisted, of which someone sent 5 units to the vault by mistake. */
async function strayTokenFixture() {
  const f = await deployVaultFixture();
  const stray = await ethers.deployContract("TestToken", ["Stray", "STRAY", 6]);
  await stray.mint(await f.vault.getAddress(), 5_000_000n);
  return { ...f, stray };
}

describe("sweep", function () {
  it("sends the whole balance of a never-allowlisted token and emits Swept", async function () {
    const { vault, owner, other, stray } = await loadFixture(strayTokenFixture);
    const tx = vault.connect(owner).sweep(await stray.getAddress(), other.address);
    await expect(tx).to.emit(vault, "Swept").withArgs(await stray.getAddress(), other.address, 5_000_000n);
    await expect(tx).to.changeTokenBalances(stray, [vault, other], [-5_000_000n, 5_000_000n]);
  });

  it("sweeps a never-allowlisted USDT-like token that returns nothing", async function () {
    const { vault, owner, other } = await loadFixture(deployVaultFixture);
    const strayUsdt = await ethers.deployContract("EthereumUsdtMock");
    await strayUsdt.mint(await vault.getAddress(), 7n);
    await expect(vault.connect(owner).sweep(await strayUsdt.getAddress(), other.address)).to.changeTokenBalances(
      strayUsdt,
      [vault, other],
      [-7n, 7n],
    );
  });

  it("reverts with TokenHasLiabilities for an allowlisted token", async function () {
    const { vault, owner, token } = await loadFixture(strayTokenFixture);
    await token.mint(await vault.getAddress(), 1n);
    await expect(vault.connect(owner).sweep(await token.getAddress(), owner.address))
      .to.be.revertedWithCustomError(vault, "TokenHasLiabilities")
      .withArgs(await token.getAddress());
  });

  it("reverts with TokenHasLiabilities for a token that was allowlisted and then removed", async function () {
    const { vault, owner, stray } = await loadFixture(strayTokenFixture);
    const address = await stray.getAddress();
    await vault.connect(owner).setTokenAllowed(address, true);
    await vault.connect(owner).setTokenAllowed(address, false);
    await expect(vault.connect(owner).sweep(address, owner.address))
      .to.be.revertedWithCustomError(vault, "TokenHasLiabilities")
      .withArgs(address);
  });

  it("reverts with ZeroAddress when sweeping to the zero address", async function () {
    const { vault, owner, stray } = await loadFixture(strayTokenFixture);
    await expect(vault.connect(owner).sweep(await stray.getAddress(), ethers.ZeroAddress)).to.be.revertedWithCustomError(
      vault,
      "ZeroAddress",
    );
  });

  it("reverts with NothingToClaim when the vault holds none of the token", async function () {
    const { vault, owner, other } = await loadFixture(deployVaultFixture);
    const empty = await ethers.deployContract("TestToken", ["Empty", "EMPTY", 6]);
    await expect(vault.connect(owner).sweep(await empty.getAddress(), other.address))
      .to.be.revertedWithCustomError(vault, "NothingToClaim")
      .withArgs(await vault.getAddress(), await empty.getAddress());
  });

  it("reverts with TokenMovementsPushFailed when the token refuses the transfer", async function () {
    const { vault, owner, other } = await loadFixture(deployVaultFixture);
    const strayUsdt = await ethers.deployContract("EthereumUsdtMock");
    await strayUsdt.mint(await vault.getAddress(), 7n);
    await strayUsdt.setBlackListed(other.address, true);
    await expect(vault.connect(owner).sweep(await strayUsdt.getAddress(), other.address))
      .to.be.revertedWithCustomError(vault, "TokenMovementsPushFailed")
      .withArgs(await strayUsdt.getAddress(), other.address);
  });

  it("reverts with OwnableUnauthorizedAccount for anyone but the owner", async function () {
    const { vault, other, stray } = await loadFixture(strayTokenFixture);
    await expect(vault.connect(other).sweep(await stray.getAddress(), other.address))
      .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
      .withArgs(other.address);
  });
});
