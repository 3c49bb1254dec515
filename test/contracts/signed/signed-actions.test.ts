import { anyUint } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { deployVaultFixture, INITIAL_BALANCE } from "../fixtures";
import {
  authorize,
  escrowFromReceipt,
  latestTimestamp,
  makeInvoice,
  signInvoice,
  type ActionKind,
  type Escrow,
  type InvoiceStruct,
} from "../helpers";
import type { ERC1271WalletMock, EscrowVault } from "../../../typechain-types";
import type { IEscrowVault } from "../../../typechain-types/contracts/EscrowVault";

/** A party to an escrow: its on-chain address (an EOA or an EIP-1271 wallet) and the EOA key that signs for it. */
interface Party {
  address: string;
  key: HardhatEthersSigner;
  wallet?: ERC1271WalletMock;
}

/** Sends `data` to `to` as `party`: directly for an EOA, through `execute` for a wallet. */
async function sendAs(party: Party, to: string, data: string): Promise<ContractTransactionResponse> {
  if (party.wallet) return party.wallet.connect(party.key).execute(to, data);
  return (await party.key.sendTransaction({ to, data })) as ContractTransactionResponse;
}

/** Signs an action's typed data with the party's key, on behalf of the party's address. */
async function authorizeAs(
  vault: EscrowVault,
  party: Party,
  kind: ActionKind,
  fields: Record<string, unknown>,
  opts: { nonce?: bigint; validBefore?: bigint; key?: HardhatEthersSigner } = {},
): Promise<IEscrowVault.AuthorizationStruct> {
  const auth = await authorize(vault, opts.key ?? party.key, kind, fields, opts);
  return { ...auth, signer: party.address };
}

/**
 * Everything every twin needs: an open escrow, a disputed escrow, an unpaid invoice and a deferred payout
 * for the merchant. With `useWallets` the payer, merchant and arbiter are EIP-1271 wallets owned by the
 * fixture's EOAs.
 */
async function buildWorld(useWallets: boolean) {
  const f = await deployVaultFixture();
  const { vault, token, ethUsdt } = f;
  const vaultAddress = await vault.getAddress();
  const relayer = (await ethers.getSigners())[7];

  const party = async (key: HardhatEthersSigner): Promise<Party> => {
    if (!useWallets) return { address: key.address, key };
    const wallet = await ethers.deployContract("ERC1271WalletMock", [key.address]);
    return { address: await wallet.getAddress(), key, wallet };
  };
  const payer = await party(f.payer);
  const merchant = await party(f.merchant);
  const arbiter = await party(f.arbiter);
  if (useWallets) {
    await token.mint(payer.address, INITIAL_BALANCE);
    await ethUsdt.mint(payer.address, INITIAL_BALANCE);
  }

  const pay = async (invoice: InvoiceStruct) => {
    const t = await ethers.getContractAt("TestToken", invoice.token as string);
    await sendAs(payer, await t.getAddress(), t.interface.encodeFunctionData("approve", [vaultAddress, invoice.amount]));
    const signature = await signInvoice(vault, merchant.key, invoice);
    const tx = await sendAs(payer, vaultAddress, vault.interface.encodeFunctionData("payInvoice", [invoice, signature]));
    return escrowFromReceipt(vault, (await tx.wait())!);
  };
  const invoiceFor = (tokenAddress: string) =>
    makeInvoice({ merchant: merchant.address, token: tokenAddress, arbiter: arbiter.address });

  const open = await pay(await invoiceFor(await token.getAddress()));

  const disputedOpen = await pay(await invoiceFor(await token.getAddress()));
  const disputeTx = await sendAs(
    payer,
    vaultAddress,
    vault.interface.encodeFunctionData("dispute", [disputedOpen.escrowId, disputedOpen.escrow]),
  );
  const disputedAt = BigInt((await disputeTx.getBlock())!.timestamp);
  const disputed = { escrowId: disputedOpen.escrowId, escrow: { ...disputedOpen.escrow, disputedAt } };

  const unpaid = await invoiceFor(await token.getAddress());
  const unpaidId = await vault.hashInvoice(unpaid);

  // A payout the merchant could not receive: blacklisted in Tether when the payer released.
  const usdtEscrow = await pay(await invoiceFor(await ethUsdt.getAddress()));
  await ethUsdt.setBlackListed(merchant.address, true);
  await sendAs(
    payer,
    vaultAddress,
    vault.interface.encodeFunctionData("release", [usdtEscrow.escrowId, usdtEscrow.escrow, usdtEscrow.escrow.remaining]),
  );
  const deferred = usdtEscrow.escrow.remaining;

  return { ...f, relayer, payer, merchant, arbiter, open, disputed, unpaid, unpaidId, deferred };
}

type World = Awaited<ReturnType<typeof buildWorld>>;

/** One signature-authorised twin: who signs, what, how it is submitted and what success looks like. */
interface Twin {
  fn: string;
  kind: ActionKind;
  signer: (w: World) => Party;
  fields: (w: World) => Record<string, unknown>;
  /** Fields of a neighbouring action (another escrow, amount, invoice or recipient). */
  tampered: (w: World) => Record<string, unknown>[];
  submit: (w: World, auth: IEscrowVault.AuthorizationStruct, caller: HardhatEthersSigner) => Promise<ContractTransactionResponse>;
  verify: (w: World, tx: Promise<ContractTransactionResponse>) => Promise<void>;
  /** The error when a valid signature comes from someone with no right to the action. */
  nonParty: (w: World, tx: Promise<ContractTransactionResponse>, other: string) => Promise<void>;
}

const twins: Twin[] = [
  {
    fn: "releaseWithSig",
    kind: "Release",
    signer: (w) => w.payer,
    fields: (w) => ({ escrowId: w.open.escrowId, amount: w.open.escrow.remaining / 4n }),
    tampered: (w) => [
      { escrowId: w.open.escrowId, amount: w.open.escrow.remaining / 4n + 1n },
      { escrowId: w.disputed.escrowId, amount: w.open.escrow.remaining / 4n },
    ],
    submit: (w, auth, caller) =>
      w.vault.connect(caller).releaseWithSig(w.open.escrowId, w.open.escrow, w.open.escrow.remaining / 4n, auth),
    verify: async (w, tx) => {
      const amount = w.open.escrow.remaining / 4n;
      await expect(tx).to.emit(w.vault, "EscrowReleased").withArgs(w.open.escrowId, amount, 0);
      await expect(tx).to.changeTokenBalances(w.token, [w.merchant.address, w.vault], [amount, -amount]);
      const updated: Escrow = { ...w.open.escrow, remaining: w.open.escrow.remaining - amount };
      expect(await w.vault.escrowHashOf(w.open.escrowId)).to.equal(await w.vault.hashEscrow(updated));
    },
    nonParty: (w, tx, other) => expect(tx).to.be.revertedWithCustomError(w.vault, "NotAuthorized").withArgs(other),
  },
  {
    fn: "refundWithSig",
    kind: "Refund",
    signer: (w) => w.merchant,
    fields: (w) => ({ escrowId: w.open.escrowId, amount: w.open.escrow.remaining }),
    tampered: (w) => [
      { escrowId: w.open.escrowId, amount: w.open.escrow.remaining - 1n },
      { escrowId: w.disputed.escrowId, amount: w.open.escrow.remaining },
    ],
    submit: (w, auth, caller) =>
      w.vault.connect(caller).refundWithSig(w.open.escrowId, w.open.escrow, w.open.escrow.remaining, auth),
    verify: async (w, tx) => {
      const amount = w.open.escrow.remaining;
      await expect(tx).to.emit(w.vault, "EscrowRefunded").withArgs(w.open.escrowId, amount);
      await expect(tx).to.changeTokenBalances(w.token, [w.payer.address, w.vault], [amount, -amount]);
      expect(await w.vault.escrowHashOf(w.open.escrowId)).to.equal(ethers.toBeHex(1, 32));
    },
    nonParty: (w, tx, other) => expect(tx).to.be.revertedWithCustomError(w.vault, "NotAuthorized").withArgs(other),
  },
  {
    fn: "disputeWithSig",
    kind: "Dispute",
    signer: (w) => w.payer,
    fields: (w) => ({ escrowId: w.open.escrowId }),
    tampered: (w) => [{ escrowId: w.disputed.escrowId }],
    submit: (w, auth, caller) => w.vault.connect(caller).disputeWithSig(w.open.escrowId, w.open.escrow, auth),
    verify: async (w, tx) => {
      await expect(tx).to.emit(w.vault, "EscrowDisputed").withArgs(w.open.escrowId, w.payer.address, anyUint);
      const disputedAt = BigInt((await (await tx).getBlock())!.timestamp);
      expect(await w.vault.escrowHashOf(w.open.escrowId)).to.equal(await w.vault.hashEscrow({ ...w.open.escrow, disputedAt }));
    },
    nonParty: (w, tx, other) => expect(tx).to.be.revertedWithCustomError(w.vault, "NotAuthorized").withArgs(other),
  },
  {
    fn: "resolveWithSig",
    kind: "Resolve",
    signer: (w) => w.arbiter,
    fields: (w) => ({ escrowId: w.disputed.escrowId, payeeAmount: w.disputed.escrow.remaining / 4n }),
    tampered: (w) => [
      { escrowId: w.disputed.escrowId, payeeAmount: w.disputed.escrow.remaining },
      { escrowId: w.open.escrowId, payeeAmount: w.disputed.escrow.remaining / 4n },
    ],
    submit: (w, auth, caller) =>
      w.vault.connect(caller).resolveWithSig(w.disputed.escrowId, w.disputed.escrow, w.disputed.escrow.remaining / 4n, auth),
    verify: async (w, tx) => {
      const payeeAmount = w.disputed.escrow.remaining / 4n;
      const payerAmount = w.disputed.escrow.remaining - payeeAmount;
      await expect(tx).to.emit(w.vault, "EscrowResolved").withArgs(w.disputed.escrowId, payeeAmount, 0, payerAmount);
      await expect(tx).to.changeTokenBalances(
        w.token,
        [w.merchant.address, w.payer.address, w.vault],
        [payeeAmount, payerAmount, -w.disputed.escrow.remaining],
      );
    },
    nonParty: (w, tx, other) => expect(tx).to.be.revertedWithCustomError(w.vault, "NotAuthorized").withArgs(other),
  },
  {
    fn: "extendDeadlineWithSig",
    kind: "ExtendDeadline",
    signer: (w) => w.merchant,
    fields: (w) => ({ escrowId: w.open.escrowId, newDeadline: w.open.escrow.deadline + 86_400n }),
    tampered: (w) => [
      { escrowId: w.open.escrowId, newDeadline: w.open.escrow.deadline + 86_401n },
      { escrowId: w.disputed.escrowId, newDeadline: w.open.escrow.deadline + 86_400n },
    ],
    submit: (w, auth, caller) =>
      w.vault.connect(caller).extendDeadlineWithSig(w.open.escrowId, w.open.escrow, w.open.escrow.deadline + 86_400n, auth),
    verify: async (w, tx) => {
      const newDeadline = w.open.escrow.deadline + 86_400n;
      await expect(tx)
        .to.emit(w.vault, "EscrowDeadlineExtended")
        .withArgs(w.open.escrowId, w.open.escrow.deadline, newDeadline);
      expect(await w.vault.escrowHashOf(w.open.escrowId)).to.equal(
        await w.vault.hashEscrow({ ...w.open.escrow, deadline: newDeadline }),
      );
    },
    nonParty: (w, tx, other) => expect(tx).to.be.revertedWithCustomError(w.vault, "NotAuthorized").withArgs(other),
  },
  {
    fn: "cancelInvoiceWithSig",
    kind: "CancelInvoice",
    signer: (w) => w.merchant,
    fields: (w) => ({ invoiceId: w.unpaidId }),
    tampered: (w) => [{ invoiceId: w.open.escrowId }],
    submit: (w, auth, caller) => w.vault.connect(caller).cancelInvoiceWithSig(w.unpaid, auth),
    verify: async (w, tx) => {
      await expect(tx).to.emit(w.vault, "InvoiceCancelled").withArgs(w.unpaidId, w.merchant.address);
      expect(await w.vault.escrowHashOf(w.unpaidId)).to.equal(ethers.toBeHex(1, 32));
    },
    nonParty: (w, tx, other) => expect(tx).to.be.revertedWithCustomError(w.vault, "NotAuthorized").withArgs(other),
  },
  {
    fn: "claimWithSig",
    kind: "Claim",
    signer: (w) => w.merchant,
    fields: (w) => ({ token: w.ethUsdt.target, to: w.other.address }),
    tampered: (w) => [
      { token: w.ethUsdt.target, to: w.relayer.address },
      { token: w.token.target, to: w.other.address },
    ],
    submit: (w, auth, caller) => w.vault.connect(caller).claimWithSig(w.ethUsdt.target, w.other.address, auth),
    verify: async (w, tx) => {
      await expect(tx)
        .to.emit(w.vault, "PayoutClaimed")
        .withArgs(w.merchant.address, w.ethUsdt.target, w.other.address, w.deferred);
      await expect(tx).to.changeTokenBalances(w.ethUsdt, [w.other, w.vault], [w.deferred, -w.deferred]);
      expect(await w.vault.deferredPayouts(w.merchant.address, w.ethUsdt.target)).to.equal(0n);
    },
    nonParty: (w, tx, other) =>
      expect(tx).to.be.revertedWithCustomError(w.vault, "NothingToClaim").withArgs(other, w.ethUsdt.target),
  },
];

function shouldBehaveLikeSignedActions(label: string, useWallets: boolean) {
  // loadFixture keys snapshots by function identity and refuses anonymous functions.
  async function eoaPartiesFixture() {
    return buildWorld(false);
  }
  async function walletPartiesFixture() {
    return buildWorld(true);
  }
  const fixture = useWallets ? walletPartiesFixture : eoaPartiesFixture;

  describe(`signed by ${label}`, function () {
    for (const twin of twins) {
      describe(twin.fn, function () {
        it("succeeds when submitted by a relayer and spends the nonce", async function () {
          const w = await loadFixture(fixture);
          const signer = twin.signer(w);
          const auth = await authorizeAs(w.vault, signer, twin.kind, twin.fields(w), { nonce: 777n });
          await twin.verify(w, twin.submit(w, auth, w.relayer));
          expect(await w.vault.nonceBitmap(signer.address, 3n)).to.equal(1n << 9n);
        });

        it("reverts with InvalidAuthorizationSignature when someone else signed", async function () {
          const w = await loadFixture(fixture);
          const signer = twin.signer(w);
          const auth = await authorizeAs(w.vault, signer, twin.kind, twin.fields(w), { key: w.other });
          await expect(twin.submit(w, auth, w.relayer))
            .to.be.revertedWithCustomError(w.vault, "InvalidAuthorizationSignature")
            .withArgs(signer.address);
        });

        it("reverts when a valid signer has no right to the action", async function () {
          const w = await loadFixture(fixture);
          const auth = await authorize(w.vault, w.other, twin.kind, twin.fields(w));
          await twin.nonParty(w, twin.submit(w, auth, w.relayer), w.other.address);
        });

        it("reverts with InvalidAuthorizationSignature for a signature over another escrow, amount or target", async function () {
          const w = await loadFixture(fixture);
          const signer = twin.signer(w);
          for (const fields of twin.tampered(w)) {
            const auth = await authorizeAs(w.vault, signer, twin.kind, fields);
            await expect(twin.submit(w, auth, w.relayer))
              .to.be.revertedWithCustomError(w.vault, "InvalidAuthorizationSignature")
              .withArgs(signer.address);
          }
        });

        it("reverts with AuthorizationExpired when block.timestamp equals validBefore", async function () {
          const w = await loadFixture(fixture);
          const signer = twin.signer(w);
          const validBefore = BigInt(await latestTimestamp()) + 100n;
          const auth = await authorizeAs(w.vault, signer, twin.kind, twin.fields(w), { validBefore });
          await time.setNextBlockTimestamp(validBefore);
          await expect(twin.submit(w, auth, w.relayer))
            .to.be.revertedWithCustomError(w.vault, "AuthorizationExpired")
            .withArgs(validBefore, validBefore);
        });

        it("succeeds one second before validBefore", async function () {
          const w = await loadFixture(fixture);
          const validBefore = BigInt(await latestTimestamp()) + 100n;
          const auth = await authorizeAs(w.vault, twin.signer(w), twin.kind, twin.fields(w), { validBefore });
          await time.setNextBlockTimestamp(validBefore - 1n);
          await twin.verify(w, twin.submit(w, auth, w.relayer));
        });

        it("reverts with NonceAlreadyUsed when the authorisation is replayed", async function () {
          const w = await loadFixture(fixture);
          const signer = twin.signer(w);
          const auth = await authorizeAs(w.vault, signer, twin.kind, twin.fields(w));
          await twin.submit(w, auth, w.relayer);
          await expect(twin.submit(w, auth, w.relayer))
            .to.be.revertedWithCustomError(w.vault, "NonceAlreadyUsed")
            .withArgs(signer.address, auth.nonce);
        });

        it("reverts with NonceAlreadyUsed after the signer invalidated the nonce", async function () {
          const w = await loadFixture(fixture);
          const signer = twin.signer(w);
          const nonce = (5n << 8n) | 200n;
          const auth = await authorizeAs(w.vault, signer, twin.kind, twin.fields(w), { nonce });
          const mask = 1n << 200n;
          await expect(
            sendAs(signer, await w.vault.getAddress(), w.vault.interface.encodeFunctionData("invalidateNonces", [5n, mask])),
          )
            .to.emit(w.vault, "NoncesInvalidated")
            .withArgs(signer.address, 5n, mask);
          await expect(twin.submit(w, auth, w.relayer))
            .to.be.revertedWithCustomError(w.vault, "NonceAlreadyUsed")
            .withArgs(signer.address, nonce);
        });
      });
    }
  });
}

describe("signature-authorised actions", function () {
  shouldBehaveLikeSignedActions("EOAs", false);
  shouldBehaveLikeSignedActions("EIP-1271 wallets", true);

  describe("cross-checks", function () {
    async function fixture() {
      return buildWorld(false);
    }

    it("rejects a signature of one action kind submitted as another", async function () {
      const w = await loadFixture(fixture);
      // The payee signs Release typed data (same fields as Refund) and it is submitted as a refund.
      const auth = await authorize(w.vault, w.merchant.key, "Release", {
        escrowId: w.open.escrowId,
        amount: w.open.escrow.remaining,
      });
      await expect(w.vault.connect(w.relayer).refundWithSig(w.open.escrowId, w.open.escrow, w.open.escrow.remaining, auth))
        .to.be.revertedWithCustomError(w.vault, "InvalidAuthorizationSignature")
        .withArgs(w.merchant.address);
    });

    it("rejects a signature made for another vault", async function () {
      const w = await loadFixture(fixture);
      const otherVault = await ethers.deployContract("EscrowVault", [w.owner.address, w.feeRecipient.address, 0]);
      const auth = await authorize(otherVault, w.payer.key, "Release", { escrowId: w.open.escrowId, amount: 1n });
      await expect(w.vault.connect(w.relayer).releaseWithSig(w.open.escrowId, w.open.escrow, 1n, auth))
        .to.be.revertedWithCustomError(w.vault, "InvalidAuthorizationSignature")
        .withArgs(w.payer.address);
    });

    it("lets the merchant's registered invoice signer cancel by signature", async function () {
      const w = await loadFixture(fixture);
      await w.vault.connect(w.merchant.key).setInvoiceSigner(w.signerKey.address);
      const auth = await authorize(w.vault, w.signerKey, "CancelInvoice", { invoiceId: w.unpaidId });
      await expect(w.vault.connect(w.relayer).cancelInvoiceWithSig(w.unpaid, auth))
        .to.emit(w.vault, "InvoiceCancelled")
        .withArgs(w.unpaidId, w.merchant.address);
      expect(await w.vault.nonceBitmap(w.signerKey.address, BigInt(auth.nonce) >> 8n)).to.equal(
        1n << (BigInt(auth.nonce) & 0xffn),
      );
    });

    it("accepts unordered nonces and keeps each one single-use", async function () {
      const w = await loadFixture(fixture);
      const { escrowId, escrow } = w.open;
      const high = await authorize(w.vault, w.payer.key, "Release", { escrowId, amount: 1n }, { nonce: 1000n });
      const low = await authorize(w.vault, w.payer.key, "Release", { escrowId, amount: 1n }, { nonce: 3n });
      await w.vault.connect(w.relayer).releaseWithSig(escrowId, escrow, 1n, high);
      const after = { ...escrow, remaining: escrow.remaining - 1n };
      await expect(w.vault.connect(w.relayer).releaseWithSig(escrowId, after, 1n, low))
        .to.emit(w.vault, "EscrowReleased")
        .withArgs(escrowId, 1n, 0);
      expect(await w.vault.nonceBitmap(w.payer.address, 0n)).to.equal(1n << 3n);
      expect(await w.vault.nonceBitmap(w.payer.address, 3n)).to.equal(1n << 232n);
    });

    it("invalidateNonces only ever sets bits", async function () {
      const w = await loadFixture(fixture);
      await w.vault.connect(w.payer.key).invalidateNonces(0n, 0b1010n);
      await w.vault.connect(w.payer.key).invalidateNonces(0n, 0b0100n);
      expect(await w.vault.nonceBitmap(w.payer.address, 0n)).to.equal(0b1110n);
      await w.vault.connect(w.payer.key).invalidateNonces(0n, 0n);
      expect(await w.vault.nonceBitmap(w.payer.address, 0n)).to.equal(0b1110n);
    });

    it("does not spend the nonce when the action itself reverts", async function () {
      const w = await loadFixture(fixture);
      const { escrowId, escrow } = w.open;
      const tooMuch = escrow.remaining + 1n;
      const auth = await authorize(w.vault, w.payer.key, "Release", { escrowId, amount: tooMuch }, { nonce: 9n });
      await expect(w.vault.connect(w.relayer).releaseWithSig(escrowId, escrow, tooMuch, auth))
        .to.be.revertedWithCustomError(w.vault, "AmountExceedsRemaining")
        .withArgs(tooMuch, escrow.remaining);
      expect(await w.vault.nonceBitmap(w.payer.address, 0n)).to.equal(0n);
    });
  });
});
