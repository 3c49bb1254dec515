import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, payInvoice, signInvoice } from "../helpers";

async function allowlistFixture() {
  const f = await deployVaultFixture();
  const fresh = await ethers.deployContract("TestToken", ["Fresh", "FRSH", 6]);
  await fresh.mint(f.payer.address, 1_000_000_000_000n);
  return { ...f, fresh };
}

describe("setTokenAllowed", function () {
  it("allowlists a token, emits TokenAllowed and records that it was ever allowed", async function () {
    const { vault, owner, fresh } = await loadFixture(allowlistFixture);
    const address = await fresh.getAddress();
    expect(await vault.isTokenAllowed(address)).to.equal(false);
    expect(await vault.wasTokenAllowed(address)).to.equal(false);
    await expect(vault.connect(owner).setTokenAllowed(address, true)).to.emit(vault, "TokenAllowed").withArgs(address, true);
    expect(await vault.isTokenAllowed(address)).to.equal(true);
    expect(await vault.wasTokenAllowed(address)).to.equal(true);
  });

  it("lets invoices in a newly allowlisted token be paid", async function () {
    const { vault, owner, merchant, payer, fresh } = await loadFixture(allowlistFixture);
    await vault.connect(owner).setTokenAllowed(await fresh.getAddress(), true);
    const invoice = await makeInvoice({ merchant: merchant.address, token: await fresh.getAddress() });
    const { escrow } = await payInvoice(vault, merchant, payer, invoice);
    expect(escrow.token).to.equal(await fresh.getAddress());
  });

  it("disallows a token but keeps remembering it was allowed", async function () {
    const { vault, owner, token } = await loadFixture(allowlistFixture);
    const address = await token.getAddress();
    await expect(vault.connect(owner).setTokenAllowed(address, false)).to.emit(vault, "TokenAllowed").withArgs(address, false);
    expect(await vault.isTokenAllowed(address)).to.equal(false);
    expect(await vault.wasTokenAllowed(address)).to.equal(true);
  });

  it("blocks new payments in a disallowed token with TokenNotAllowed", async function () {
    const { vault, owner, token, merchant, payer } = await loadFixture(allowlistFixture);
    await vault.connect(owner).setTokenAllowed(await token.getAddress(), false);
    const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress() });
    await token.connect(payer).approve(await vault.getAddress(), invoice.amount);
    await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
      .to.be.revertedWithCustomError(vault, "TokenNotAllowed")
      .withArgs(await token.getAddress());
  });

  it("never blocks escrows already funded in a disallowed token", async function () {
    const { vault, owner, token, merchant, payer, other } = await loadFixture(allowlistFixture);
    const address = await token.getAddress();
    const first = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address }));
    const second = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address }));
    await vault.connect(owner).setTokenAllowed(address, false);

    await expect(vault.connect(payer).release(first.escrowId, first.escrow, first.escrow.remaining)).to.changeTokenBalances(
      token,
      [merchant, vault],
      [first.escrow.remaining, -first.escrow.remaining],
    );
    await time.increaseTo(second.escrow.deadline + 1n);
    await expect(vault.connect(other).executeTimeout(second.escrowId, second.escrow))
      .to.emit(vault, "EscrowTimedOut")
      .withArgs(second.escrowId, 0, second.escrow.remaining, 0);
  });

  it("allows a token again after it was disallowed", async function () {
    const { vault, owner, token, merchant, payer } = await loadFixture(allowlistFixture);
    const address = await token.getAddress();
    await vault.connect(owner).setTokenAllowed(address, false);
    await vault.connect(owner).setTokenAllowed(address, true);
    expect(await vault.isTokenAllowed(address)).to.equal(true);
    await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address }));
  });

  it("reverts with ZeroAddress for the zero token", async function () {
    const { vault, owner } = await loadFixture(allowlistFixture);
    await expect(vault.connect(owner).setTokenAllowed(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(
      vault,
      "ZeroAddress",
    );
  });

  it("reverts with OwnableUnauthorizedAccount for anyone but the owner", async function () {
    const { vault, other, fresh } = await loadFixture(allowlistFixture);
    await expect(vault.connect(other).setTokenAllowed(await fresh.getAddress(), true))
      .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
      .withArgs(other.address);
  });
});
