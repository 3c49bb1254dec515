/**
 * Deposit addresses: the CREATE2 derivation on EVM chains (prefix 0xff) and on TRON (prefix 0x41), in
 * Solidity (DepositAddress.sol) and in TypeScript (scripts/lib/deposit-address.ts), and the forwarder
 * deployed at each address. Hardhat's EVM uses 0xff under every chain id, TRON's included, so the TRON
 * formula is checked against a worked example computed here independently (ethers' keccak256, tronweb's
 * base58 conversion), never against the local chain.
 */
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { TronWeb } from "tronweb";
import {
  CREATE2_PREFIX,
  create2Address,
  create2PrefixForChain,
  depositAddress,
  forwarderInitCode,
} from "../../../scripts/lib/deposit-address";
import type { DepositAddressHarness } from "../../../typechain-types";
import { depositFixture, depositInvoice } from "./deposit-helpers";

/** The worked TRON example: deployer, salt and the deposit address written down once, by hand, in both forms. */
const WORKED = {
  deployer: "0x1111111111111111111111111111111111111111",
  salt: ethers.id("invoice-1"),
  initCodeHash: "0x14af46998a48199f97ef0e24d269e50c4aa9d91a35c69678af4323af2a07fe3c",
  tronHex: "411abaf75653bc73be4693baacedbde2b1794ec92e",
  tronBase58: "TCQYYgaXhRP5D3pmvXygidM2rkuet1X3a3",
};

async function harnessFixture() {
  const f = await depositFixture();
  const harness = (await ethers.deployContract("DepositAddressHarness")) as unknown as DepositAddressHarness;
  return { ...f, harness };
}

describe("deposit addresses", function () {
  describe("derivation", function () {
    it("derives TRON's worked example with prefix 0x41, in Solidity and in TypeScript", async function () {
      const { harness } = await loadFixture(harnessFixture);
      // Independently: keccak256(0x41 ++ deployer ++ salt ++ keccak256(initCode))[12:], then base58check.
      const initCodeHash = ethers.keccak256(forwarderInitCode(WORKED.deployer));
      expect(initCodeHash).to.equal(WORKED.initCodeHash);
      const digest = ethers.keccak256(ethers.concat(["0x41", WORKED.deployer, WORKED.salt, initCodeHash]));
      const tronHex = `41${digest.slice(-40)}`;
      expect(tronHex).to.equal(WORKED.tronHex);
      expect(TronWeb.address.fromHex(tronHex)).to.equal(WORKED.tronBase58);

      const fromSolidity = await harness.compute(CREATE2_PREFIX.tron, WORKED.deployer, WORKED.salt, initCodeHash);
      expect(TronWeb.address.fromHex(`41${fromSolidity.slice(2)}`)).to.equal(WORKED.tronBase58);
      const fromTs = depositAddress({ prefix: CREATE2_PREFIX.tron, vault: WORKED.deployer, invoiceId: WORKED.salt });
      expect(fromTs).to.equal(fromSolidity);
      expect(TronWeb.address.toHex(WORKED.tronBase58).toLowerCase()).to.equal(WORKED.tronHex);
    });

    it("derives the EIP-1014 address with prefix 0xff, as ethers does", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const expected = ethers.getCreate2Address(WORKED.deployer, WORKED.salt, WORKED.initCodeHash);
      expect(await harness.compute(CREATE2_PREFIX.evm, WORKED.deployer, WORKED.salt, WORKED.initCodeHash)).to.equal(expected);
      expect(create2Address(CREATE2_PREFIX.evm, WORKED.deployer, WORKED.salt, WORKED.initCodeHash)).to.equal(expected);
    });

    it("gives different addresses for the two prefixes", async function () {
      const evm = depositAddress({ prefix: CREATE2_PREFIX.evm, vault: WORKED.deployer, invoiceId: WORKED.salt });
      const tron = depositAddress({ prefix: CREATE2_PREFIX.tron, vault: WORKED.deployer, invoiceId: WORKED.salt });
      expect(evm).to.not.equal(tron);
    });

    it("builds the same forwarder init code in Solidity and in TypeScript", async function () {
      const { harness, other } = await loadFixture(harnessFixture);
      expect(await harness.forwarderInitCode(other.address)).to.equal(forwarderInitCode(other.address).toLowerCase());
      expect(ethers.dataLength(forwarderInitCode(other.address))).to.equal(65);
    });

    it("maps TRON's chain ids to 0x41 and every other chain to 0xff", async function () {
      for (const id of [728126428n, 3448148188n, 2494104990n]) expect(create2PrefixForChain(id)).to.equal(CREATE2_PREFIX.tron);
      for (const id of [1n, 56n, 137n, 8453n, 31337n]) expect(create2PrefixForChain(id)).to.equal(CREATE2_PREFIX.evm);
    });
  });

  describe("on this chain", function () {
    it("lands a deployed forwarder where the 0xff formula says, under every chain id", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const salt = ethers.id("probe");
      const expected = create2Address(CREATE2_PREFIX.evm, await harness.getAddress(), salt, ethers.keccak256(forwarderInitCode(await harness.getAddress())));
      await expect(harness.deployForwarder(salt)).to.not.be.reverted;
      expect(ethers.dataLength(await ethers.provider.getCode(expected))).to.equal(56);
    });

    it("has the vault detect prefix 0xff and expose addresses the TypeScript twin computes", async function () {
      const { vault, merchant, token } = await loadFixture(depositFixture);
      expect(await vault.create2Prefix()).to.equal(CREATE2_PREFIX.evm);
      expect(await vault.depositInitCodeHash()).to.equal(ethers.keccak256(forwarderInitCode(await vault.getAddress())));
      const { invoiceId, deposit } = await depositInvoice(vault, merchant, { token: await token.getAddress() });
      const prefix = await vault.create2Prefix();
      expect(depositAddress({ prefix, vault: await vault.getAddress(), invoiceId })).to.equal(deposit);
      // Free until used: nothing is deployed before the first sweep.
      expect(await ethers.provider.getCode(deposit)).to.equal("0x");
    });

    it("binds the vault and the router it created to each other", async function () {
      const { vault, router } = await loadFixture(depositFixture);
      expect(await router.vault()).to.equal(await vault.getAddress());
      expect(ethers.dataLength(await ethers.provider.getCode(await router.getAddress()))).to.be.greaterThan(0);
    });
  });

  describe("forwarder", function () {
    it("makes a call only for its deployer, ignoring return values", async function () {
      const { harness, tronUsdt, payer, other } = await loadFixture(harnessFixture);
      const salt = ethers.id("forwarder");
      const forwarder = await harness.deployForwarder.staticCall(salt);
      await (await harness.deployForwarder(salt)).wait();
      await (await tronUsdt.connect(payer).transfer(forwarder, 500n)).wait();
      // TRON USDT's transfer returns false after moving the funds: the forwarder does not care.
      const payload = tronUsdt.interface.encodeFunctionData("transfer", [other.address, 200n]);
      await expect(harness.forward(forwarder, await tronUsdt.getAddress(), 0, payload)).to.changeTokenBalances(
        tronUsdt,
        [forwarder, other],
        [-200n, 200n],
      );
    });

    it("reverts for anyone else, plain native-coin sends included", async function () {
      const { harness, token, other } = await loadFixture(harnessFixture);
      const salt = ethers.id("forwarder");
      const forwarder = await harness.deployForwarder.staticCall(salt);
      await (await harness.deployForwarder(salt)).wait();
      const payload = ethers.concat([
        ethers.zeroPadValue(await token.getAddress(), 32),
        ethers.ZeroHash,
        token.interface.encodeFunctionData("transfer", [other.address, 1n]),
      ]);
      await expect(other.sendTransaction({ to: forwarder, data: payload })).to.be.reverted;
      await expect(other.sendTransaction({ to: forwarder, value: 1n })).to.be.reverted;
    });

    it("reports a failed call as a failure (the vault turns it into DepositCallFailed)", async function () {
      const { harness, token, other } = await loadFixture(harnessFixture);
      const salt = ethers.id("forwarder");
      const forwarder = await harness.deployForwarder.staticCall(salt);
      await (await harness.deployForwarder(salt)).wait();
      const payload = token.interface.encodeFunctionData("transfer", [other.address, 1n]); // holds nothing
      expect(await harness.forward.staticCall(forwarder, await token.getAddress(), 0, payload)).to.equal(false);
    });
  });
});
