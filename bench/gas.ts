/**
 * Gas benchmark: runs each flow on the in-process Hardhat network with a 6-decimal token between
 * accounts that already hold a balance, prints a table against the targets and writes
 * bench/out/gas.json as { "<flow>": <gas used by the transaction> }. Every gas figure quoted in
 * docs/ comes from this script, so CI re-checks each of them.
 *
 * Run: npm run bench:gas
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { DepositRouter, EscrowVault, EthereumUsdtMock, TestToken } from "../typechain-types";
import { P2P_BATCH, runP2pFlows } from "./gas-p2p";
import { authorize, escrowFromReceipt, makeInvoice, signInvoice, TimeoutAction, type Escrow } from "../test/contracts/helpers";

/** Targets from the contracts issue; flows without a target are reported for information. */
const TARGETS: Record<string, number> = {
  "invoice.pay": 85_000,
  "escrow.release": 45_000,
  "escrow.release.fee": 55_000,
  "escrow.refund": 45_000,
  "escrow.timeout.batch50": 50 * 30_000,
  // Scan-to-pay must cost less than 1.5x a plain payment: 1.5 x invoice.pay (84,463 when set) = 126,694.
  "deposit.sweep": 126_694,
  "deposit.sweep.again": 126_694,
  // Per sweep (total / 20): batching through the router must not cost more per invoice than a single sweep.
  "deposit.sweep.batch20": 126_694,
  // A reservation must cost less than a third of invoice.pay; set from this run's invoice.pay in main().
  "p2p.reserve": Math.floor(84_518 / 3),
};
/**
 * Targets known to be missed, with the record that explains why. They still print OVER in the table but do
 * not fail the run; delete an entry to make its target a hard gate again.
 */
const KNOWN_MISSES: Record<string, string> = {};
const AMOUNT = 100_000_000n; // 100 units of a 6-decimal token
const BATCH_SIZE = 50;
const SWEEP_BATCH_SIZE = 20;
const HOUR = 3600n;

const results: Record<string, number> = {};
let invoiceNonce = 0;

/** The committed snapshot: a change in any flow's gas shows up in review (GAS_SNAPSHOT_UPDATE=1 rewrites it). */
const SNAPSHOT_PATH = join(__dirname, "gas-snapshot.json");
/** Block timestamps follow the wall clock, so a deadline in calldata can gain or lose a zero byte (±12 gas
 * per escrow): differences within this, or within 0.1% for the batch, are noise. */
const SNAPSHOT_NOISE_GAS = 48;

async function measure(flow: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  results[flow] = Number(receipt!.gasUsed);
  process.stdout.write(`  measured ${flow}\n`);
}

async function advance(seconds: bigint): Promise<void> {
  await network.provider.send("evm_increaseTime", [Number(seconds)]);
  await network.provider.send("evm_mine");
}

async function main(): Promise<void> {
  const [owner, feeRecipient, merchant, payer, arbiter, holder, invoiceSigner] = await ethers.getSigners();
  // Merchants only sign invoices off-chain, so fresh keys without ETH will do.
  const payees = Array.from({ length: BATCH_SIZE }, () => ethers.Wallet.createRandom(ethers.provider));
  const token = (await ethers.deployContract("TestToken", ["Test USD", "TUSD", 6])) as unknown as TestToken;
  const vault = (await ethers.deployContract("EscrowVault", [owner.address, feeRecipient.address, 0])) as unknown as EscrowVault;
  const vaultAddress = await vault.getAddress();
  await vault.setTokenAllowed(await token.getAddress(), true);
  // Every account holds a balance before anything is measured: warm holders, as in production.
  for (const account of [merchant, payer, arbiter, holder, feeRecipient, ...payees]) {
    await token.mint(account.address, 1_000_000n * AMOUNT);
  }

  /** Pays an invoice from `from`, approving exactly its amount; `paidIn` is the token contract, `signer` signs the invoice. */
  const pay = async (
    from: Signer,
    invoiceOverrides: Record<string, unknown> = {},
    payee: Signer = merchant,
    paidIn: TestToken | EthereumUsdtMock = token,
    signer: Signer = payee,
  ) => {
    const invoice = await makeInvoice({
      merchant: await payee.getAddress(),
      token: await paidIn.getAddress(),
      amount: AMOUNT,
      // Sequential nonces keep calldata, and so the figures, identical from run to run.
      nonce: BigInt(++invoiceNonce),
      ...invoiceOverrides,
    });
    await (await paidIn.connect(from).approve(vaultAddress, invoice.amount)).wait();
    const signature = await signInvoice(vault, signer, invoice);
    return { invoice, tx: vault.connect(from).payInvoice(invoice, signature) };
  };
  const open = async (
    overrides: Record<string, unknown> = {},
    payee: Signer = merchant,
    paidIn: TestToken | EthereumUsdtMock = token,
  ): Promise<{ escrowId: string; escrow: Escrow }> => {
    const { tx } = await pay(payer, overrides, payee, paidIn);
    return escrowFromReceipt(vault, (await (await tx).wait())!);
  };

  console.log("Running gas flows on the in-process Hardhat network…");
  await measure("baseline.transfer", token.connect(holder).transfer(merchant.address, AMOUNT));
  // An allowance that is not used up, so the transferFrom writes it back non-zero as a payment would.
  await (await token.connect(holder).approve(owner.address, 2n * AMOUNT)).wait();
  await measure("baseline.transferFrom", token.connect(owner).transferFrom(holder.address, merchant.address, AMOUNT));

  // The vault must already hold the token, as it does once any escrow is open.
  await open();
  await measure("invoice.pay", (await pay(payer)).tx);
  await measure("invoice.pay.direct", (await pay(payer, { holdPeriod: 0n })).tx);

  // Releases and refunds after the pay-by time, the usual case: the escrow's word is cleared.
  const released = await open();
  const refunded = await open();
  const partial = await open();
  const signed = await open();
  await advance(2n * HOUR);
  await measure("escrow.release", vault.connect(payer).release(released.escrowId, released.escrow, AMOUNT));
  await measure("escrow.refund", vault.connect(merchant).refund(refunded.escrowId, refunded.escrow, AMOUNT));
  await measure("escrow.refund.partial", vault.connect(merchant).refund(partial.escrowId, partial.escrow, AMOUNT / 2n));
  // A relayer hands out sequential nonces, so the signer's bitmap word is already in use.
  await (await vault.connect(payer).invalidateNonces(0, 1)).wait();
  const auth = await authorize(vault, payer, "Release", { escrowId: signed.escrowId, amount: AMOUNT }, { nonce: 1n });
  await measure("escrow.releaseWithSig", vault.connect(holder).releaseWithSig(signed.escrowId, signed.escrow, AMOUNT, auth));

  // Disputes: open, extend, dispute, resolve.
  const disputed = await open({ arbiter: arbiter.address });
  const extended = await open({ timeoutAction: TimeoutAction.Release });
  await measure("escrow.extendDeadline", vault.connect(merchant).extendDeadline(extended.escrowId, extended.escrow, extended.escrow.deadline + 86_400n));
  await measure("escrow.dispute", vault.connect(payer).dispute(disputed.escrowId, disputed.escrow));
  const disputedAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  await advance(3n * HOUR);
  await measure("escrow.resolve", vault.connect(arbiter).resolve(disputed.escrowId, { ...disputed.escrow, disputedAt }, AMOUNT / 2n));

  // 1% fee: the fee accrual slot already holds fees from an earlier release (steady state).
  await (await vault.setFee(100)).wait();
  const warmFee = await open();
  const feeRelease = await open();
  await advance(2n * HOUR);
  await (await vault.connect(payer).release(warmFee.escrowId, warmFee.escrow, AMOUNT)).wait();
  await measure("escrow.release.fee", vault.connect(payer).release(feeRelease.escrowId, feeRelease.escrow, AMOUNT));
  // Zero-hold settlement with a fee: pull into the vault, accrue (slot already non-zero), push the rest.
  await measure("invoice.pay.direct.fee", (await pay(payer, { holdPeriod: 0n })).tx);
  // The fee recipient (a funded account) withdraws everything accrued: the slot goes back to zero.
  await measure("fees.withdraw", vault.connect(feeRecipient).withdrawFees(await token.getAddress()));
  // The first fee after a withdrawal writes accruedFees[token] from zero to non-zero.
  await measure("invoice.pay.direct.firstFee", (await pay(payer, { holdPeriod: 0n })).tx);
  await (await vault.setFee(0)).wait();

  // Closing inside the pay-by window stores the used marker instead of clearing the word.
  const early = await open();
  await measure("escrow.release.beforePayBy", vault.connect(payer).release(early.escrowId, early.escrow, AMOUNT));

  // Single timeouts, through executeTimeout and through a batch of one (Release to the merchant, fee 0).
  const single = await open({ holdPeriod: 2n * HOUR });
  const batchOfOne = await open({ holdPeriod: 2n * HOUR });
  await advance(4n * HOUR);
  await measure("escrow.timeout.single", vault.executeTimeout(single.escrowId, single.escrow));
  await measure("escrow.timeout.batch1", vault.executeTimeouts([batchOfOne]));

  // An invoice signed by the merchant's registered signer instead of the merchant.
  await measure("invoice.setSigner", vault.connect(merchant).setInvoiceSigner(invoiceSigner.address));
  await measure("invoice.pay.registeredSigner", (await pay(payer, {}, merchant, token, invoiceSigner)).tx);

  // The merchant cancels an unpaid invoice.
  const unpaid = await makeInvoice({ merchant: merchant.address, token: await token.getAddress(), amount: AMOUNT, nonce: BigInt(++invoiceNonce) });
  await measure("invoice.cancel", vault.connect(merchant).cancelInvoice(unpaid));

  // A payout the token refuses: the Tether imitation, whose blacklist also blocks recipients. The
  // vault already holds the token; the release is the first deferral for this payee and token.
  const usdt = (await ethers.deployContract("EthereumUsdtMock")) as unknown as EthereumUsdtMock;
  await vault.setTokenAllowed(await usdt.getAddress(), true);
  for (const account of [merchant, payer, holder]) await (await usdt.mint(account.address, 1_000_000n * AMOUNT)).wait();
  await open({}, merchant, usdt);
  const blocked = await open({}, merchant, usdt);
  await (await usdt.setBlackListed(merchant.address, true)).wait();
  await measure("escrow.release.deferred", vault.connect(payer).release(blocked.escrowId, blocked.escrow, AMOUNT));
  // The blocked payee claims to another address it controls, which already holds the token.
  await measure("payout.claim", vault.connect(merchant).claim(await usdt.getAddress(), holder.address));

  // Scan-to-pay: the payer transfers the exact amount to the invoice's deposit address, then anyone
  // (here a holder that never touched the invoice) sweeps it into an escrow. The refund address the payer
  // stated is the invoice's payer. The sweep deploys the deposit address's forwarder.
  const depositInvoice = async (overrides: Record<string, unknown> = {}) => {
    const invoice = await makeInvoice({
      merchant: merchant.address,
      token: await token.getAddress(),
      amount: AMOUNT,
      payer: payer.address,
      nonce: BigInt(++invoiceNonce),
      ...overrides,
    });
    const signature = await signInvoice(vault, merchant, invoice);
    const deposit = await vault.depositAddress(await vault.hashInvoice(invoice));
    await (await token.connect(payer).transfer(deposit, invoice.amount)).wait();
    return { invoice, signature, deposit };
  };
  const first = await depositInvoice();
  await measure("deposit.sweep", vault.connect(holder).sweepDeposit(first.invoice, first.signature));
  // Again: a second payment to an address already deployed. It arrived after the first invoice was paid,
  // so it is refundable, and the merchant accepts it as a new invoice instead: the router moves it to the
  // new invoice's address and sweeps that one, all in one transaction.
  const router = (await ethers.getContractAt("DepositRouter", await vault.depositRouter())) as unknown as DepositRouter;
  await (await token.connect(payer).transfer(first.deposit, AMOUNT)).wait();
  const acceptedInvoice = await makeInvoice({
    ...first.invoice,
    merchant: merchant.address,
    token: await token.getAddress(),
    payBy: BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + HOUR,
    nonce: BigInt(++invoiceNonce),
  });
  const acceptedSignature = await signInvoice(vault, merchant, acceptedInvoice);
  await measure("deposit.sweep.again", router.connect(merchant).acceptPayment(first.invoice, acceptedInvoice, acceptedSignature));

  // The relayer's batch: twenty exact payments, each address swept for the first time, in one router call.
  const sweeps = [];
  for (let i = 0; i < SWEEP_BATCH_SIZE; i++) {
    const { invoice, signature } = await depositInvoice();
    sweeps.push({ invoice, signature });
  }
  const sweepReceipt = await (await router.connect(holder).sweepDeposits(sweeps)).wait();
  const opened = sweepReceipt!.logs.filter((log) => vault.interface.parseLog(log)?.name === "EscrowOpened");
  // A failed sweep would make the batch look cheap: insist that every one opened its escrow.
  if (opened.length !== SWEEP_BATCH_SIZE) throw new Error(`batch swept ${opened.length} of ${SWEEP_BATCH_SIZE} deposits`);
  results["deposit.sweep.batch20"] = Math.round(Number(sweepReceipt!.gasUsed) / SWEEP_BATCH_SIZE);
  process.stdout.write(`  measured deposit.sweep.batch20 (${sweepReceipt!.gasUsed} gas in all)\n`);

  // Fifty escrows due at once, each to a different merchant.
  const due: { escrowId: string; escrow: Escrow }[] = [];
  for (const payee of payees) due.push(await open({ holdPeriod: 2n * HOUR }, payee));
  await advance(4n * HOUR);
  const batchReceipt = await (await vault.executeTimeouts(due)).wait();
  results["escrow.timeout.batch50"] = Number(batchReceipt!.gasUsed);
  const timedOut = batchReceipt!.logs.filter((log) => vault.interface.parseLog(log)?.name === "EscrowTimedOut");
  // A skipped escrow would make the batch look cheap: insist that every one was closed.
  if (timedOut.length !== BATCH_SIZE) throw new Error(`batch closed ${timedOut.length} of ${BATCH_SIZE} escrows`);
  process.stdout.write("  measured escrow.timeout.batch50\n");

  // P2P: a desk next to the vault; the merchant is the platform, its registered signer signs reservations.
  TARGETS["p2p.reserve"] = Math.floor(results["invoice.pay"] / 3);
  await runP2pFlows({
    measure,
    record: (flow, gas) => {
      results[flow] = gas;
    },
    funder: owner,
    platform: merchant,
    platformSigner: invoiceSigner,
    beneficiary: holder,
    vault,
    token,
  });

  report();
}

function report(): void {
  const snapshot: Record<string, number> = existsSync(SNAPSHOT_PATH) ? JSON.parse(readFileSync(SNAPSHOT_PATH, "utf8")) : {};
  const rows = Object.entries(results).map(([flow, gas]) => {
    const target = TARGETS[flow];
    const verdict = target === undefined ? "" : gas <= target ? "ok" : "OVER";
    const before = snapshot[flow];
    const change =
      before === undefined ? "new" : Math.abs(gas - before) <= Math.max(SNAPSHOT_NOISE_GAS, gas / 1000) ? "" : `${gas > before ? "+" : ""}${gas - before}`;
    return { flow, gas, target: target ?? "", verdict, "vs snapshot": change };
  });
  console.log("");
  console.table(rows);
  const perEscrow = Math.round(results["escrow.timeout.batch50"] / BATCH_SIZE);
  console.log(`escrow.timeout.batch50 per escrow: ${perEscrow} gas`);
  console.log(`p2p.reserve and p2p.reserve.first are per reservation in a reserveBatch of ${P2P_BATCH}; p2p.expire.batch20 is the whole batch`);
  const outDir = join(__dirname, "out");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "gas.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(`wrote ${join("bench", "out", "gas.json")}`);
  if (process.env.GAS_SNAPSHOT_UPDATE === "1") {
    writeFileSync(SNAPSHOT_PATH, JSON.stringify(results, null, 2) + "\n");
    console.log(`updated ${join("bench", "gas-snapshot.json")}`);
  } else if (rows.some((r) => r["vs snapshot"] !== "")) {
    console.log("Figures differ from bench/gas-snapshot.json; if intended, rerun with GAS_SNAPSHOT_UPDATE=1 and commit it.");
  }
  const known = rows.filter((r) => r.verdict === "OVER" && KNOWN_MISSES[r.flow] !== undefined);
  for (const r of known) console.log(`known miss: ${r.flow} ${r.gas} > ${r.target} (see ${KNOWN_MISSES[r.flow]})`);
  const over = rows.filter((r) => r.verdict === "OVER" && KNOWN_MISSES[r.flow] === undefined);
  if (over.length > 0) {
    console.error(`over target: ${over.map((r) => r.flow).join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
