/**
 * TIP-712 (TRON's EIP-712): signatures made by tronweb, the way TronLink-style TRON wallets sign,
 * must verify in the vault. Runs under both chain ids; under HARDHAT_CHAIN_ID=728126428 the chain has
 * TRON mainnet's id.
 */
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { Trx, utils as tronUtils } from "tronweb";
import { deployVaultFixture } from "../fixtures";
import { ACTION_TYPES, INVOICE_TYPES, latestTimestamp, makeInvoice, payInvoice, type InvoiceStruct } from "../helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { toBase58, toTronHex } = require("../../../scripts/tron/addresses.js") as {
  toBase58(address: string): string;
  toTronHex(address: string): string;
};

/** TRON mainnet's chain id as TIP-712 sees it (`block.chainid & 0xffffffff`). */
const TRON_MAINNET_CHAIN_ID = 728126428n;
const CHAIN_ID_MASK = 0xffffffffn;
/** Hardhat's default accounts; the fixture's signers are accounts 0..6 of this mnemonic. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
const USED = ethers.toBeHex(1, 32);

/** The private key (no 0x, as tronweb takes it) of Hardhat's default account `index`. */
function hardhatPrivateKey(index: number): string {
  return ethers.HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey.slice(2);
}

/** The invoice with every address in TRON base58 form, as a TRON wallet would present it. */
function tronInvoice(invoice: InvoiceStruct): Record<string, unknown> {
  const out: Record<string, unknown> = { ...invoice };
  for (const field of ["merchant", "token", "arbiter", "payer"] as const) out[field] = toBase58(invoice[field] as string);
  return out;
}

async function fixture() {
  const base = await deployVaultFixture();
  const { chainId } = await ethers.provider.getNetwork();
  const vaultAddress = await base.vault.getAddress();
  const keys = { merchant: hardhatPrivateKey(2), payer: hardhatPrivateKey(3) };
  // Guard: the keys must belong to the fixture's merchant and payer.
  expect(new ethers.Wallet(keys.merchant).address).to.equal(base.merchant.address);
  expect(new ethers.Wallet(keys.payer).address).to.equal(base.payer.address);
  /** The domain a TRON wallet builds: masked chain id, vault address in base58. */
  const tronDomain = { name: "EscrowVault", version: "1", chainId: chainId & CHAIN_ID_MASK, verifyingContract: toBase58(vaultAddress) };
  return { ...base, chainId, vaultAddress, keys, tronDomain };
}

describe("TIP-712 signatures made with tronweb", function () {
  describe("eip712Domain", function () {
    it("reports the chain id masked to 32 bits (728126428 under TRON mainnet's id) and the vault's address", async function () {
      const { vault, chainId, vaultAddress } = await loadFixture(fixture);
      const domain = await vault.eip712Domain();
      expect(domain.fields).to.equal("0x0f");
      expect(domain.name).to.equal("EscrowVault");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(chainId & CHAIN_ID_MASK);
      if (chainId === TRON_MAINNET_CHAIN_ID) expect(domain.chainId).to.equal(TRON_MAINNET_CHAIN_ID);
      expect(domain.verifyingContract).to.equal(vaultAddress);
      expect(domain.salt).to.equal(ethers.ZeroHash);
      expect(domain.extensions).to.deep.equal([]);
    });

    it("has the domain separator tronweb computes for the TRON-form domain", async function () {
      const { vault, tronDomain } = await loadFixture(fixture);
      expect(await vault.DOMAIN_SEPARATOR()).to.equal(tronUtils.typedData.TypedDataEncoder.hashDomain(tronDomain));
    });
  });

  describe("hashInvoice", function () {
    it("equals tronweb's TIP-712 hash whichever address form the domain and invoice use", async function () {
      const { vault, merchant, payer, tronUsdt, tronDomain, vaultAddress } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress(), payer: payer.address });
      const invoiceId = await vault.hashInvoice(invoice);
      const forms = [tronDomain.verifyingContract, toTronHex(vaultAddress), vaultAddress];
      for (const verifyingContract of forms) {
        const domain = { ...tronDomain, verifyingContract };
        expect(tronUtils.typedData.hashTypedData(domain, INVOICE_TYPES, tronInvoice(invoice))).to.equal(invoiceId);
        expect(tronUtils.typedData.hashTypedData(domain, INVOICE_TYPES, invoice)).to.equal(invoiceId);
      }
    });

    it("differs from tronweb's hash when the domain carries another chain id", async function () {
      const { vault, merchant, tronUsdt, tronDomain } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress() });
      const nile = { ...tronDomain, chainId: tronDomain.chainId === 3448148188n ? 728126428n : 3448148188n };
      expect(tronUtils.typedData.hashTypedData(nile, INVOICE_TYPES, tronInvoice(invoice))).to.not.equal(await vault.hashInvoice(invoice));
    });
  });

  describe("payInvoice", function () {
    it("accepts an invoice signed with tronweb's _signTypedData and opens the escrow", async function () {
      const { vault, merchant, payer, tronUsdt, tronDomain, keys, vaultAddress } = await loadFixture(fixture);
      const token = await tronUsdt.getAddress();
      const invoice = await makeInvoice({ merchant: merchant.address, token, payer: payer.address });
      const signature = Trx._signTypedData(tronDomain, INVOICE_TYPES, tronInvoice(invoice), keys.merchant);
      expect(Trx.verifyTypedData(tronDomain, INVOICE_TYPES, tronInvoice(invoice), signature, toBase58(merchant.address))).to.equal(true);
      const invoiceId = await vault.hashInvoice(invoice);
      await tronUsdt.connect(payer).approve(vaultAddress, invoice.amount);

      const tx = vault.connect(payer).payInvoice(invoice, signature);

      const deadline = BigInt(await latestTimestamp()) + 1n + BigInt(invoice.holdPeriod);
      await expect(tx)
        .to.emit(vault, "EscrowOpened")
        .withArgs(
          invoiceId,
          payer.address,
          merchant.address,
          token,
          ethers.ZeroAddress,
          invoice.amount,
          invoice.payBy,
          deadline,
          0,
          invoice.timeoutAction,
          invoice.merchantReference,
        );
      await expect(tx).to.changeTokenBalances(tronUsdt, [payer, vault], [-BigInt(invoice.amount), invoice.amount]);
      const escrow = {
        token,
        payer: payer.address,
        payee: merchant.address,
        arbiter: ethers.ZeroAddress,
        remaining: invoice.amount,
        payBy: invoice.payBy,
        deadline,
        disputedAt: 0,
        feeBps: 0,
        timeoutAction: invoice.timeoutAction,
      };
      expect(await vault.escrowHashOf(invoiceId)).to.equal(await vault.hashEscrow(escrow));
    });

    it("reverts when tronweb signed the invoice for another vault", async function () {
      const { vault, merchant, payer, tronUsdt, tronDomain, keys, other } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress() });
      const otherVault = { ...tronDomain, verifyingContract: toBase58(other.address) };
      const signature = Trx._signTypedData(otherVault, INVOICE_TYPES, tronInvoice(invoice), keys.merchant);
      await tronUsdt.connect(payer).approve(await vault.getAddress(), invoice.amount);

      await expect(vault.connect(payer).payInvoice(invoice, signature))
        .to.be.revertedWithCustomError(vault, "InvalidInvoiceSignature")
        .withArgs(await vault.hashInvoice(invoice));
    });
  });

  describe("releaseWithSig", function () {
    it("accepts a Release authorisation signed with tronweb and pays the payee", async function () {
      const { vault, merchant, payer, other, tronUsdt, tronDomain, keys } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress() });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      const nonce = 0x1234_5678n;
      const validBefore = BigInt(await latestTimestamp()) + 3600n;
      const release = { escrowId, amount: escrow.remaining, nonce, validBefore };
      const signature = Trx._signTypedData(tronDomain, { Release: [...ACTION_TYPES.Release] }, release, keys.payer);
      const auth = { signer: payer.address, nonce, validBefore, signature };

      const tx = vault.connect(other).releaseWithSig(escrowId, escrow, escrow.remaining, auth);

      await expect(tx).to.emit(vault, "EscrowReleased").withArgs(escrowId, escrow.remaining, 0);
      await expect(tx).to.changeTokenBalances(tronUsdt, [vault, merchant], [-escrow.remaining, escrow.remaining]);
      expect(await vault.escrowHashOf(escrowId)).to.equal(USED);
      expect(await vault.nonceBitmap(payer.address, nonce >> 8n)).to.equal(1n << (nonce & 0xffn));
    });

    it("reverts when tronweb signed a Release of another amount", async function () {
      const { vault, merchant, payer, other, tronUsdt, tronDomain, keys } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress() });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      const nonce = 7n;
      const validBefore = BigInt(await latestTimestamp()) + 3600n;
      const release = { escrowId, amount: escrow.remaining - 1n, nonce, validBefore };
      const signature = Trx._signTypedData(tronDomain, { Release: [...ACTION_TYPES.Release] }, release, keys.payer);
      const auth = { signer: payer.address, nonce, validBefore, signature };

      await expect(vault.connect(other).releaseWithSig(escrowId, escrow, escrow.remaining, auth))
        .to.be.revertedWithCustomError(vault, "InvalidAuthorizationSignature")
        .withArgs(payer.address);
    });
  });
});
