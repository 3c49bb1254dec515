import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { deployVaultFixture } from "../fixtures";
import {
  INVOICE_TYPES,
  TimeoutAction,
  escrowFromReceipt,
  latestTimestamp,
  makeInvoice,
  payInvoice,
  signInvoice,
  vaultDomain,
  type Escrow,
} from "../helpers";

/** keccak256(abi.encode(Escrow)) computed off-chain, as the vault stores it. */
function escrowHash(escrow: Escrow): string {
  const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
    ["tuple(address,address,address,address,uint256,uint48,uint48,uint48,uint16,uint8)"],
    [
      [
        escrow.token,
        escrow.payer,
        escrow.payee,
        escrow.arbiter,
        escrow.remaining,
        escrow.payBy,
        escrow.deadline,
        escrow.disputedAt,
        escrow.feeBps,
        escrow.timeoutAction,
      ],
    ],
  );
  return ethers.keccak256(encoded);
}

/** The fixture plus a signed, approved invoice for the default payer. */
async function signedInvoiceFixture() {
  const f = await deployVaultFixture();
  const invoice = await makeInvoice({
    merchant: f.merchant.address,
    token: await f.token.getAddress(),
    arbiter: f.arbiter.address,
    merchantReference: ethers.encodeBytes32String("order-42"),
  });
  const signature = await signInvoice(f.vault, f.merchant, invoice);
  await f.token.connect(f.payer).approve(await f.vault.getAddress(), invoice.amount);
  return { ...f, invoice, signature };
}

describe("payInvoice", function () {
  describe("invoice id", function () {
    it("equals hashInvoice and the off-chain EIP-712 hash before payment", async function () {
      const { vault, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      const offChain = ethers.TypedDataEncoder.hash(await vaultDomain(vault), INVOICE_TYPES, invoice);
      expect(await vault.hashInvoice(invoice)).to.equal(offChain);
      expect(await vault.connect(payer).payInvoice.staticCall(invoice, signature)).to.equal(offChain);
      expect(await vault.escrowHashOf(offChain)).to.equal(ethers.ZeroHash);
    });

    it("is the id under which the escrow is emitted and stored", async function () {
      const { vault, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      const expectedId = ethers.TypedDataEncoder.hash(await vaultDomain(vault), INVOICE_TYPES, invoice);
      const receipt = (await (await vault.connect(payer).payInvoice(invoice, signature)).wait())!;
      const { escrowId, escrow } = escrowFromReceipt(vault, receipt);
      expect(escrowId).to.equal(expectedId);
      expect(await vault.escrowHashOf(expectedId)).to.equal(escrowHash(escrow));
    });

    it("changes with every signed field", async function () {
      const { vault, invoice, other } = await loadFixture(signedInvoiceFixture);
      const base = await vault.hashInvoice(invoice);
      const variants = [
        { ...invoice, merchant: other.address },
        { ...invoice, amount: BigInt(invoice.amount) + 1n },
        { ...invoice, payBy: BigInt(invoice.payBy) + 1n },
        { ...invoice, holdPeriod: BigInt(invoice.holdPeriod) + 1n },
        { ...invoice, timeoutAction: TimeoutAction.Refund },
        { ...invoice, arbiter: ethers.ZeroAddress },
        { ...invoice, payer: other.address },
        { ...invoice, merchantReference: ethers.encodeBytes32String("order-43") },
        { ...invoice, nonce: BigInt(invoice.nonce) + 1n },
      ];
      const ids = new Set([base, ...(await Promise.all(variants.map((v) => vault.hashInvoice(v))))]);
      expect(ids.size).to.equal(variants.length + 1);
    });
  });

  describe("escrow opening", function () {
    it("emits EscrowOpened with every field and a deadline of block time plus hold period", async function () {
      const { vault, token, merchant, payer, arbiter, invoice, signature } = await loadFixture(signedInvoiceFixture);
      const id = await vault.hashInvoice(invoice);
      const paidAt = BigInt(await latestTimestamp()) + 100n;
      await time.setNextBlockTimestamp(paidAt);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.emit(vault, "EscrowOpened")
        .withArgs(
          id,
          payer.address,
          merchant.address,
          await token.getAddress(),
          arbiter.address,
          invoice.amount,
          invoice.payBy,
          paidAt + BigInt(invoice.holdPeriod),
          0,
          TimeoutAction.Release,
          invoice.merchantReference,
        );
    });

    it("moves the amount from the payer into the vault", async function () {
      const { vault, token, payer, merchant, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.changeTokenBalances(
        token,
        [payer, vault, merchant],
        [-BigInt(invoice.amount), invoice.amount, 0],
      );
    });

    it("stores the hash of the escrow struct that the event describes", async function () {
      const { vault, token, merchant, payer, arbiter, invoice, signature } = await loadFixture(signedInvoiceFixture);
      const paidAt = BigInt(await latestTimestamp()) + 10n;
      await time.setNextBlockTimestamp(paidAt);
      await vault.connect(payer).payInvoice(invoice, signature);
      const escrow: Escrow = {
        token: await token.getAddress(),
        payer: payer.address,
        payee: merchant.address,
        arbiter: arbiter.address,
        remaining: BigInt(invoice.amount),
        payBy: BigInt(invoice.payBy),
        deadline: paidAt + BigInt(invoice.holdPeriod),
        disputedAt: 0n,
        feeBps: 0n,
        timeoutAction: BigInt(TimeoutAction.Release),
      };
      const id = await vault.hashInvoice(invoice);
      expect(await vault.escrowHashOf(id)).to.equal(escrowHash(escrow));
      expect(await vault.hashEscrow(escrow)).to.equal(escrowHash(escrow));
    });

    it("carries a Refund timeout action and no arbiter through to the escrow", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({
        merchant: merchant.address,
        token: await token.getAddress(),
        timeoutAction: TimeoutAction.Refund,
      });
      const { escrow } = await payInvoice(vault, merchant, payer, invoice);
      expect(escrow.timeoutAction).to.equal(BigInt(TimeoutAction.Refund));
      expect(escrow.arbiter).to.equal(ethers.ZeroAddress);
    });

    it("fixes the fee at funding: later fee changes do not reach the escrow", async function () {
      const { vault, owner, token, merchant, payer } = await loadFixture(deployVaultFixture);
      await vault.connect(owner).setFee(250);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), amount: 100_000_001n });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      expect(escrow.feeBps).to.equal(250n);

      await vault.connect(owner).setFee(500);
      // ceil(100_000_001 * 250 / 10_000) = 2_500_001
      const fee = 2_500_001n;
      const tx = vault.connect(payer).release(escrowId, escrow, escrow.remaining);
      await expect(tx).to.emit(vault, "EscrowReleased").withArgs(escrowId, escrow.remaining, fee);
      await expect(tx).to.changeTokenBalances(token, [merchant, vault], [escrow.remaining - fee, -(escrow.remaining - fee)]);
      expect(await vault.accruedFees(await token.getAddress())).to.equal(fee);
    });

    it("lets anyone pay an invoice that names no payer", async function () {
      const { vault, token, merchant, other, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await token.connect(other).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(other).payInvoice(invoice, signature))
        .to.emit(vault, "EscrowOpened")
        .withArgs(
          await vault.hashInvoice(invoice),
          other.address,
          merchant.address,
          await token.getAddress(),
          invoice.arbiter,
          invoice.amount,
          invoice.payBy,
          (v: bigint) => v > 0n,
          0,
          TimeoutAction.Release,
          invoice.merchantReference,
        );
    });

    it("lets the named payer pay", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), payer: payer.address });
      const { escrow } = await payInvoice(vault, merchant, payer, invoice);
      expect(escrow.payer).to.equal(payer.address);
    });

    it("accepts payment at exactly payBy", async function () {
      const { vault, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await time.setNextBlockTimestamp(invoice.payBy);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.emit(vault, "EscrowOpened");
    });
  });

  describe("reverts", function () {
    it("with InvoiceExpired one second after payBy", async function () {
      const { vault, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      const late = BigInt(invoice.payBy) + 1n;
      await time.setNextBlockTimestamp(late);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvoiceExpired")
        .withArgs(late, invoice.payBy);
    });

    it("with InvoiceAlreadyUsed when the invoice was paid", async function () {
      const { vault, token, payer, other, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await vault.connect(payer).payInvoice(invoice, signature);
      await token.connect(other).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(other).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
        .withArgs(await vault.hashInvoice(invoice));
    });

    it("with InvoiceAlreadyUsed when the escrow was closed before payBy", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress() });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      await vault.connect(merchant).refund(escrowId, escrow, escrow.remaining);
      expect(await vault.escrowHashOf(escrowId)).to.equal(ethers.toBeHex(1, 32));
      await token.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(payer).payInvoice(invoice, await signInvoice(vault, merchant, invoice)))
        .to.be.revertedWithCustomError(vault, "InvoiceAlreadyUsed")
        .withArgs(escrowId);
    });

    it("with InvalidInvoiceSignature when someone else signed", async function () {
      const { vault, payer, other, invoice } = await loadFixture(signedInvoiceFixture);
      const signature = await signInvoice(vault, other, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(await vault.hashInvoice(invoice));
    });

    it("with InvalidInvoiceSignature when a signed field was changed", async function () {
      const { vault, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      const cheaper = { ...invoice, amount: BigInt(invoice.amount) - 1n };
      await expect(vault.connect(payer).payInvoice(cheaper, signature))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(await vault.hashInvoice(cheaper));
    });

    it("with InvalidInvoiceSignature when the signature is malformed", async function () {
      const { vault, payer, invoice } = await loadFixture(signedInvoiceFixture);
      await expect(vault.connect(payer).payInvoice(invoice, "0x1234"))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(await vault.hashInvoice(invoice));
    });

    it("with InvalidInvoiceSignature when the invoice was signed for another vault", async function () {
      const { vault, owner, feeRecipient, merchant, payer, invoice } = await loadFixture(signedInvoiceFixture);
      const otherVault = await ethers.deployContract("EscrowVault", [owner.address, feeRecipient.address, 0]);
      const signature = await signInvoice(otherVault, merchant, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(await vault.hashInvoice(invoice));
    });

    it("with PayerMismatch when the invoice names another payer", async function () {
      const { vault, token, merchant, payer, other } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), payer: payer.address });
      const signature = await signInvoice(vault, merchant, invoice);
      await token.connect(other).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(other).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "PayerMismatch")
        .withArgs(payer.address, other.address);
    });

    it("with ArbiterConflict when the arbiter is the merchant", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), arbiter: merchant.address });
      const signature = await signInvoice(vault, merchant, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "ArbiterConflict")
        .withArgs(merchant.address);
    });

    it("with ArbiterConflict when the arbiter is the paying account", async function () {
      const { vault, token, merchant, payer, arbiter } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), arbiter: arbiter.address });
      const signature = await signInvoice(vault, merchant, invoice);
      await token.connect(arbiter).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(arbiter).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "ArbiterConflict")
        .withArgs(arbiter.address);
      // The same invoice is fine from anyone else.
      await payInvoice(vault, merchant, payer, invoice);
    });

    it("with ArbiterConflict when the arbiter is the named payer", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({
        merchant: merchant.address,
        token: await token.getAddress(),
        arbiter: payer.address,
        payer: payer.address,
      });
      const signature = await signInvoice(vault, merchant, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "ArbiterConflict")
        .withArgs(payer.address);
    });

    it("with ZeroMerchant when the merchant is the zero address", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: ethers.ZeroAddress, token: await token.getAddress() });
      const signature = await signInvoice(vault, merchant, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.be.revertedWithCustomError(vault, "ZeroMerchant");
    });

    it("with ZeroAmount when the amount is zero", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), amount: 0n });
      const signature = await signInvoice(vault, merchant, invoice);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.be.revertedWithCustomError(vault, "ZeroAmount");
    });

    it("with HoldPeriodTooLong when the hold period exceeds ten years, and accepts exactly ten years", async function () {
      const { vault, token, merchant, payer } = await loadFixture(deployVaultFixture);
      const max = await vault.MAX_HOLD_PERIOD();
      expect(max).to.equal(3650n * 24n * 3600n);
      const tooLong = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), holdPeriod: max + 1n });
      await token.connect(payer).approve(await vault.getAddress(), BigInt(tooLong.amount) * 2n);
      await expect(vault.connect(payer).payInvoice(tooLong, await signInvoice(vault, merchant, tooLong)))
        .to.be.revertedWithCustomError(vault, "HoldPeriodTooLong")
        .withArgs(max + 1n, max);
      const longest = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), holdPeriod: max });
      await expect(vault.connect(payer).payInvoice(longest, await signInvoice(vault, merchant, longest))).to.emit(vault, "EscrowOpened");
    });

    it("with DepositsArePaused while deposits are paused", async function () {
      const { vault, owner, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await vault.connect(owner).setDepositsPaused(true);
      await expect(vault.connect(payer).payInvoice(invoice, signature)).to.be.revertedWithCustomError(
        vault,
        "DepositsArePaused",
      );
    });

    it("with TokenNotAllowed for a token that was never allowlisted", async function () {
      const { vault, merchant, payer } = await loadFixture(deployVaultFixture);
      const stranger = await ethers.deployContract("TestToken", ["Stranger", "STR", 6]);
      await stranger.mint(payer.address, 1_000_000_000n);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await stranger.getAddress() });
      const signature = await signInvoice(vault, merchant, invoice);
      await stranger.connect(payer).approve(await vault.getAddress(), invoice.amount);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "TokenNotAllowed")
        .withArgs(await stranger.getAddress());
    });

    it("with TokenNotAllowed for a token taken off the allowlist", async function () {
      const { vault, owner, token, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await vault.connect(owner).setTokenAllowed(await token.getAddress(), false);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "TokenNotAllowed")
        .withArgs(await token.getAddress());
    });

    it("with TokenMovementsPullFailed when the payer has not approved the vault", async function () {
      const { vault, token, payer, invoice, signature } = await loadFixture(signedInvoiceFixture);
      await token.connect(payer).approve(await vault.getAddress(), 0);
      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "TokenMovementsPullFailed")
        .withArgs(await token.getAddress(), payer.address);
    });
  });
});
