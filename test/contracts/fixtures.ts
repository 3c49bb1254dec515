import { ethers } from "hardhat";

/** One supply for every party: large enough that no test runs a balance dry. */
export const INITIAL_BALANCE = 1_000_000_000_000n; // 1,000,000 units of a 6-decimal token

/**
 * The shared fixture: a vault with no fee, three allowlisted USDT-like tokens (a plain OpenZeppelin
 * ERC20, Tether-on-Ethereum and Tether-on-TRON imitations), and funded parties.
 * Use it through `loadFixture(deployVaultFixture)`.
 */
export async function deployVaultFixture() {
  const [owner, feeRecipient, merchant, payer, arbiter, other, signerKey] = await ethers.getSigners();
  const vault = await ethers.deployContract("EscrowVault", [owner.address, feeRecipient.address, 0]);
  const token = await ethers.deployContract("TestToken", ["Test USD", "TUSD", 6]);
  const ethUsdt = await ethers.deployContract("EthereumUsdtMock");
  const tronUsdt = await ethers.deployContract("TronUsdtMock");
  const tokens = { token, ethUsdt, tronUsdt };
  for (const t of Object.values(tokens)) {
    await vault.setTokenAllowed(await t.getAddress(), true);
    for (const account of [merchant, payer, arbiter, other]) {
      await t.mint(account.address, INITIAL_BALANCE);
    }
  }
  return { vault, owner, feeRecipient, merchant, payer, arbiter, other, signerKey, ...tokens };
}
