import { anyUint } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import { TimeoutAction, authorize, makeInvoice, payInvoice, signInvoice } from "../helpers";

/** Three open escrows (one to be disputed), then deposits paused. */
async function pausedFixture() {
  const f = await deployVaultFixture();
  const token = await f.token.getAddress();
  const open = (overrides = {}) =>
    makeInvoice({ merchant: f.merchant.address, token, arbiter: f.arbiter.address, ...overrides }).then((invoice) =>
      payInvoice(f.vault, f.merchant, f.payer, invoice),
    );
  const a = await open();
  const b = await open({ timeoutAction: TimeoutAction.Refund });
  const c = await open();
  await f.vault.connect(f.owner).setDepositsPaused(true);
  return { ...f, a, b, c };
}

describe("setDepositsPaused", function () {
  it("pauses, emits DepositsPaused and reports it", async function () {
    const { vault, owner } = await loadFixture(deployVaultFixture);
    expect(await vault.depositsPaused()).to.equal(false);
    await expect(vault.connect(owner).setDepositsPaused(true)).to.emit(vault, "DepositsPaused").withArgs(true);
    expect(await vault.depositsPaused()).to.equal(true);
  });

  it("blocks escrow payments and direct settlements with DepositsArePaused", async function () {
    const { vault, token, merchant, payer } = await loadFixture(pausedFixture);
    for (const holdPeriod of [0n, 3600n]) {
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), holdPeriod });
      await token.connect(payer).approve(await vault.getAddress(), 0);
      await token.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice))).to.be.revertedWithCustomError(
        vault,
        "DepositsArePaused",
      );
    }
  });

  it("unpauses, emits DepositsPaused(false) and lets payments in again", async function () {
    const { vault, owner, token, merchant, payer } = await loadFixture(pausedFixture);
    await expect(vault.connect(owner).setDepositsPaused(false)).to.emit(vault, "DepositsPaused").withArgs(false);
    await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: await token.getAddress() }));
  });

  it("reverts with OwnableUnauthorizedAccount for anyone but the owner", async function () {
    const { vault, other } = await loadFixture(deployVaultFixture);
    await expect(vault.connect(other).setDepositsPaused(true))
      .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
      .withArgs(other.address);
  });

  describe("never blocks money already in", function () {
    it("release", async function () {
      const { vault, token, merchant, payer, a } = await loadFixture(pausedFixture);
      await expect(vault.connect(payer).release(a.escrowId, a.escrow, a.escrow.remaining)).to.changeTokenBalances(
        token,
        [merchant, vault],
        [a.escrow.remaining, -a.escrow.remaining],
      );
    });

    it("releaseWithSig", async function () {
      const { vault, payer, other, a } = await loadFixture(pausedFixture);
      const auth = await authorize(vault, payer, "Release", { escrowId: a.escrowId, amount: a.escrow.remaining });
      await expect(vault.connect(other).releaseWithSig(a.escrowId, a.escrow, a.escrow.remaining, auth))
        .to.emit(vault, "EscrowReleased")
        .withArgs(a.escrowId, a.escrow.remaining, 0);
    });

    it("refund", async function () {
      const { vault, token, merchant, payer, a } = await loadFixture(pausedFixture);
      await expect(vault.connect(merchant).refund(a.escrowId, a.escrow, a.escrow.remaining)).to.changeTokenBalances(
        token,
        [payer, vault],
        [a.escrow.remaining, -a.escrow.remaining],
      );
    });

    it("dispute and resolve", async function () {
      const { vault, token, merchant, payer, arbiter, a } = await loadFixture(pausedFixture);
      const tx = await vault.connect(payer).dispute(a.escrowId, a.escrow);
      await expect(tx).to.emit(vault, "EscrowDisputed").withArgs(a.escrowId, payer.address, anyUint);
      const disputedAt = BigInt((await tx.getBlock())!.timestamp);
      const disputed = { ...a.escrow, disputedAt };
      const half = a.escrow.remaining / 2n;
      await expect(vault.connect(arbiter).resolve(a.escrowId, disputed, half)).to.changeTokenBalances(
        token,
        [merchant, payer, vault],
        [half, a.escrow.remaining - half, -a.escrow.remaining],
      );
    });

    it("extendDeadline", async function () {
      const { vault, merchant, a } = await loadFixture(pausedFixture);
      await expect(vault.connect(merchant).extendDeadline(a.escrowId, a.escrow, a.escrow.deadline + 1n))
        .to.emit(vault, "EscrowDeadlineExtended")
        .withArgs(a.escrowId, a.escrow.deadline, a.escrow.deadline + 1n);
    });

    it("executeTimeout and executeTimeouts", async function () {
      const { vault, token, payer, other, b, c } = await loadFixture(pausedFixture);
      await time.increaseTo(c.escrow.deadline + 1n);
      await expect(vault.connect(other).executeTimeout(b.escrowId, b.escrow)).to.changeTokenBalances(
        token,
        [payer, vault],
        [b.escrow.remaining, -b.escrow.remaining],
      );
      await expect(vault.connect(other).executeTimeouts([{ escrowId: c.escrowId, escrow: c.escrow }]))
        .to.emit(vault, "EscrowTimedOut")
        .withArgs(c.escrowId, TimeoutAction.Release, c.escrow.remaining, 0);
    });

    it("claim", async function () {
      const { vault, ethUsdt, owner, merchant, payer, other } = await loadFixture(deployVaultFixture);
      const usdt = await ethUsdt.getAddress();
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: usdt }));
      await ethUsdt.setBlackListed(merchant.address, true);
      await vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await vault.connect(owner).setDepositsPaused(true);
      await expect(vault.connect(merchant).claim(usdt, other.address))
        .to.emit(vault, "PayoutClaimed")
        .withArgs(merchant.address, usdt, other.address, escrow.remaining);
    });

    it("withdrawFees", async function () {
      const { vault, owner, token, merchant, payer, feeRecipient } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).setFee(100);
      const address = await token.getAddress();
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, await makeInvoice({ merchant: merchant.address, token: address }));
      await vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await vault.connect(owner).setDepositsPaused(true);
      await expect(vault.connect(feeRecipient).withdrawFees(address))
        .to.emit(vault, "FeesWithdrawn")
        .withArgs(address, feeRecipient.address, escrow.remaining / 100n);
    });
  });
});
