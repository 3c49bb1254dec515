import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { deployVaultFixture } from "../fixtures";
import { vaultDomain } from "../helpers";

describe("TypedDataDomain", function () {
  it("returns the cached separator for the vault itself, equal to ethers' for the masked chain id", async function () {
    const { vault } = await loadFixture(deployVaultFixture);
    expect(await vault.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(await vaultDomain(vault)));
  });

  it("rebuilds the separator for the address the code runs as (delegatecall), never reusing the vault's", async function () {
    const { vault } = await loadFixture(deployVaultFixture);
    const caller = await ethers.deployContract("DelegateCallerMock");
    const data = vault.interface.encodeFunctionData("DOMAIN_SEPARATOR");
    const raw = await caller.delegateView.staticCall(await vault.getAddress(), data);
    const [separator] = vault.interface.decodeFunctionResult("DOMAIN_SEPARATOR", raw);
    const { chainId } = await ethers.provider.getNetwork();
    const expected = ethers.TypedDataEncoder.hashDomain({
      name: "EscrowVault",
      version: "1",
      chainId: chainId & 0xffffffffn,
      verifyingContract: await caller.getAddress(),
    });
    expect(separator).to.equal(expected);
    expect(separator).to.not.equal(await vault.DOMAIN_SEPARATOR());
  });
});
