import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionReceipt, Signer } from "ethers";
import { TimeoutAction, latestTimestamp, signInvoice } from "../helpers";
import type { DepositRouter, EscrowVault, TestToken } from "../../../typechain-types";
import { depositFixture, depositInvoice, sendToDeposit, type DepositInvoice } from "./deposit-helpers";

const AMOUNT = 100_000_000n;

/** What the vault's sweep would revert with, ABI-encoded as `DepositSweepFailed` carries it. */
function vaultError(vault: EscrowVault, name: string, args: unknown[] = []): string {
  return vault.interface.encodeErrorResult(name, args);
}

/** The batch item for a signed deposit invoice. */
function call(d: DepositInvoice) {
  return { invoice: d.invoice, signature: d.signature };
}

/** An invoice of `token` whose deposit address already received `amount` from the payer. */
async function funded(
  vault: EscrowVault,
  merchant: Signer,
  payer: Signer,
  token: TestToken,
  amount: bigint,
  overrides: Record<string, unknown> = {},
): Promise<DepositInvoice> {
  const d = await depositInvoice(vault, merchant, { token: await token.getAddress(), payer: await payer.getAddress(), ...overrides });
  await sendToDeposit(token, payer, d.deposit, amount);
  return d;
}

/** The `DepositSweepFailed` events of a receipt, as [invoiceId, reason] pairs. */
function failures(router: DepositRouter, receipt: ContractTransactionReceipt): [string, string][] {
  return receipt.logs
    .map((log) => router.interface.parseLog(log))
    .filter((parsed) => parsed?.name === "DepositSweepFailed")
    .map((parsed) => [parsed!.args.invoiceId as string, parsed!.args.reason as string]);
}

describe("sweepDeposits", function () {
  it("sweeps a batch of exact payments: each escrow opened, the zero-hold one settled", async function () {
    const { vault, router, token, merchant, payer, stranger, refundWallet } = await loadFixture(depositFixture);
    const held = [
      await funded(vault, merchant, payer, token, AMOUNT),
      await funded(vault, merchant, payer, token, AMOUNT, { payer: refundWallet.address }),
      await funded(vault, merchant, payer, token, AMOUNT, { payer: ethers.ZeroAddress }),
    ];
    const direct = await funded(vault, merchant, payer, token, AMOUNT, { holdPeriod: 0n });
    const calls = [...held, direct].map(call);

    expect(await router.connect(stranger).sweepDeposits.staticCall(calls)).to.equal(4n);
    const tx = router.connect(stranger).sweepDeposits(calls);
    await expect(tx).to.changeTokenBalances(
      token,
      [...held.map((d) => d.deposit), direct.deposit, vault, merchant, stranger],
      [-AMOUNT, -AMOUNT, -AMOUNT, -AMOUNT, 3n * AMOUNT, AMOUNT, 0n],
    );
    const payers = [payer.address, refundWallet.address, held[2].deposit];
    for (const [i, d] of held.entries()) {
      await expect(tx)
        .to.emit(vault, "EscrowOpened")
        .withArgs(d.invoiceId, payers[i], merchant.address, await token.getAddress(), ethers.ZeroAddress, AMOUNT, d.invoice.payBy, anyValue, 0, TimeoutAction.Release, d.invoice.merchantReference);
      expect(await vault.escrowHashOf(d.invoiceId)).to.not.equal(ethers.ZeroHash);
    }
    await expect(tx)
      .to.emit(vault, "InvoiceSettled")
      .withArgs(direct.invoiceId, payer.address, merchant.address, await token.getAddress(), AMOUNT, 0n, direct.invoice.merchantReference);
    await expect(tx).to.not.emit(router, "DepositSweepFailed");
  });

  it("skips short, expired, already used and forged invoices with their reasons, and sweeps the rest", async function () {
    const { vault, router, token, merchant, payer, stranger } = await loadFixture(depositFixture);
    const first = await funded(vault, merchant, payer, token, AMOUNT);
    const short = await funded(vault, merchant, payer, token, AMOUNT - 1n);
    const expired = await funded(vault, merchant, payer, token, AMOUNT, { payBy: BigInt(await latestTimestamp()) + 60n });
    const used = await funded(vault, merchant, payer, token, AMOUNT);
    await (await vault.sweepDeposit(used.invoice, used.signature)).wait();
    await sendToDeposit(token, payer, used.deposit, AMOUNT); // a repeated payment
    const forged = await funded(vault, merchant, payer, token, AMOUNT);
    forged.signature = await signInvoice(vault, stranger, forged.invoice);
    const last = await funded(vault, merchant, payer, token, AMOUNT);
    const batch = [first, short, expired, used, forged, last];
    await time.increaseTo(BigInt(expired.invoice.payBy) + 1n);
    expect(await router.sweepDeposits.staticCall(batch.map(call))).to.equal(2n);
    const sweptAt = BigInt(expired.invoice.payBy) + 10n;
    await time.setNextBlockTimestamp(sweptAt);
    const tx = router.connect(stranger).sweepDeposits(batch.map(call));
    await expect(tx).to.changeTokenBalances(
      token,
      [...batch.map((d) => d.deposit), vault],
      [-AMOUNT, 0n, 0n, 0n, 0n, -AMOUNT, 2n * AMOUNT],
    );
    expect(failures(router, (await (await tx).wait())!)).to.deep.equal([
      [short.invoiceId, vaultError(vault, "DepositCallFailed", [short.deposit, await token.getAddress()])],
      [expired.invoiceId, vaultError(vault, "InvoiceExpired", [sweptAt, expired.invoice.payBy])],
      [used.invoiceId, vaultError(vault, "InvoiceAlreadyUsed", [used.invoiceId])],
      [forged.invoiceId, vaultError(vault, "InvalidInvoiceSignature", [forged.invoiceId])],
    ]);
    for (const d of [first, last]) expect(await vault.escrowHashOf(d.invoiceId)).to.not.equal(ethers.ZeroHash);
    for (const d of [short, expired, forged]) expect(await vault.escrowHashOf(d.invoiceId)).to.equal(ethers.ZeroHash);
  });

  it("reports every sweep as failed while deposits are paused, and returns 0", async function () {
    const { vault, router, token, merchant, payer, owner } = await loadFixture(depositFixture);
    const batch = [await funded(vault, merchant, payer, token, AMOUNT), await funded(vault, merchant, payer, token, AMOUNT)];
    await (await vault.connect(owner).setDepositsPaused(true)).wait();
    expect(await router.sweepDeposits.staticCall(batch.map(call))).to.equal(0n);
    const tx = router.sweepDeposits(batch.map(call));
    await expect(tx).to.changeTokenBalances(token, [...batch.map((d) => d.deposit), vault], [0n, 0n, 0n]);
    const paused = vaultError(vault, "DepositsArePaused");
    expect(failures(router, (await (await tx).wait())!)).to.deep.equal(batch.map((d) => [d.invoiceId, paused]));
  });

  it("reverts with EmptySweepBatch for no calls", async function () {
    const { router } = await loadFixture(depositFixture);
    await expect(router.sweepDeposits([])).to.be.revertedWithCustomError(router, "EmptySweepBatch");
  });

  for (const name of ["ethUsdt", "tronUsdt"] as const) {
    it(`sweeps ${name === "ethUsdt" ? "Tether on Ethereum (no return values)" : "Tether on TRON (transfer returns false)"} and reports a short payment`, async function () {
      const f = await loadFixture(depositFixture);
      const usdt = f[name] as unknown as TestToken;
      const exact = await funded(f.vault, f.merchant, f.payer, usdt, AMOUNT);
      const short = await funded(f.vault, f.merchant, f.payer, usdt, AMOUNT / 2n);
      expect(await f.router.sweepDeposits.staticCall([exact, short].map(call))).to.equal(1n);
      const tx = f.router.sweepDeposits([exact, short].map(call));
      await expect(tx).to.changeTokenBalances(usdt, [exact.deposit, short.deposit, f.vault], [-AMOUNT, 0n, AMOUNT]);
      await expect(tx)
        .to.emit(f.router, "DepositSweepFailed")
        .withArgs(short.invoiceId, vaultError(f.vault, "DepositCallFailed", [short.deposit, await usdt.getAddress()]));
    });
  }

  it("goes on when a token re-enters the batch: the vault's deposit lock refuses the nested sweep", async function () {
    const { vault, router, owner, merchant, payer } = await loadFixture(depositFixture);
    const reentrant = (await ethers.deployContract("ReentrantToken")) as unknown as TestToken & {
      arm(trigger: number, target: string, data: string, skipMove: boolean, bubble: boolean): Promise<unknown>;
      reentrySucceeded(): Promise<boolean>;
    };
    await (await vault.connect(owner).setTokenAllowed(await reentrant.getAddress(), true)).wait();
    await (await reentrant.mint(payer.address, 10n * AMOUNT)).wait();
    const first = await funded(vault, merchant, payer, reentrant, AMOUNT);
    const second = await funded(vault, merchant, payer, reentrant, AMOUNT);
    const nested = router.interface.encodeFunctionData("sweepDeposits", [[call(second)]]);
    await reentrant.arm(1, await router.getAddress(), nested, false, false); // on the first sweep's transfer

    const tx = router.sweepDeposits([first, second].map(call));
    // The nested batch reports the second sweep as refused; the outer batch then sweeps it normally.
    await expect(tx).to.emit(router, "DepositSweepFailed").withArgs(second.invoiceId, vaultError(vault, "ReentrantDeposit"));
    await expect(tx).to.changeTokenBalances(reentrant, [first.deposit, second.deposit, vault], [-AMOUNT, -AMOUNT, 2n * AMOUNT]);
    expect(await reentrant.reentrySucceeded()).to.equal(true);
  });

  describe("running out of gas", function () {
    async function burningFixture() {
      const f = await depositFixture();
      const burning = (await ethers.deployContract("GasBurningToken")) as unknown as TestToken & {
        setGasToBurn(amount: bigint): Promise<unknown>;
      };
      await (await f.vault.connect(f.owner).setTokenAllowed(await burning.getAddress(), true)).wait();
      await (await burning.mint(f.payer.address, 10n * AMOUNT)).wait();
      const cheap = await funded(f.vault, f.merchant, f.payer, f.token, AMOUNT);
      const costly = await funded(f.vault, f.merchant, f.payer, burning, AMOUNT);
      return { ...f, burning, cheap, costly };
    }

    it("reverts the whole batch with SweepOutOfGas when the gas limit starves a sweep, instead of reporting it", async function () {
      const { vault, router, burning, cheap, costly } = await loadFixture(burningFixture);
      await burning.setGasToBurn(300_000n); // an expensive but honest token
      // Enough for the cheap sweep and for the outer frame to go on, not for the costly sweep.
      await expect(router.sweepDeposits([cheap, costly].map(call), { gasLimit: 450_000 }))
        .to.be.revertedWithCustomError(router, "SweepOutOfGas")
        .withArgs(1);
      expect(await vault.escrowHashOf(cheap.invoiceId)).to.equal(ethers.ZeroHash);
      // With the gas it needs, the same batch sweeps both.
      expect(await router.sweepDeposits.staticCall([cheap, costly].map(call))).to.equal(2n);
    });

    it("reverts with SweepOutOfGas at any gas limit when a sweep burns all the gas it is given", async function () {
      const { router, burning, cheap, costly } = await loadFixture(burningFixture);
      await burning.setGasToBurn(ethers.MaxUint256);
      await expect(router.sweepDeposits([cheap, costly].map(call), { gasLimit: 10_000_000 }))
        .to.be.revertedWithCustomError(router, "SweepOutOfGas")
        .withArgs(1);
    });
  });
});
