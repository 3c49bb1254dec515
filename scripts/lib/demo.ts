import { ethers, type JsonRpcProvider, type Signer } from "ethers";
import { EscrowVault__factory, TestToken__factory } from "../../typechain-types";
import type { IEscrowVault } from "../../typechain-types/contracts/EscrowVault";
import { INVOICE_TYPES, TimeoutAction, escrowFromReceipt, vaultTypedDataDomain } from "./vault-typed-data";

type Log = (message: string) => void;

const { Release: RELEASE, Refund: REFUND } = TimeoutAction;
const DAY = 86_400;

export interface DemoParties {
  merchant: Signer;
  payer: Signer;
  arbiter: Signer;
  anyone: Signer;
}

/**
 * Walks through the product on a running local chain: four invoices paid from a wallet, then released
 * by the payer, refunded by the merchant, disputed and resolved by the arbiter, and timed out by a
 * stranger. Every step prints what moved. Returns the number of steps run.
 */
export async function runDemo(
  provider: JsonRpcProvider,
  vaultAddress: string,
  tokenAddress: string,
  parties: DemoParties,
  log: Log = console.log,
): Promise<number> {
  const vault = EscrowVault__factory.connect(vaultAddress, provider);
  const token = TestToken__factory.connect(tokenAddress, provider);
  const [merchant, payer, arbiter] = await Promise.all([parties.merchant, parties.payer, parties.arbiter].map((s) => s.getAddress()));
  const usdt = (amount: bigint) => `${ethers.formatUnits(amount, 6)} USDT`;
  const balances = async () =>
    `payer ${usdt(await token.balanceOf(payer))}, merchant ${usdt(await token.balanceOf(merchant))}, vault ${usdt(await token.balanceOf(vaultAddress))}`;
  let step = 0;
  const say = (message: string) => log(`  ${++step}. ${message}`);

  await (await token.connect(parties.payer).mint(payer, 1_000_000_000n)).wait();
  say(`The payer holds ${usdt(await token.balanceOf(payer))} of the test token. Fee: ${await vault.feeBps()} bps.`);

  const open = async (reference: string, overrides: Partial<IEscrowVault.InvoiceStruct>) => {
    const invoice = await newInvoice(provider, merchant, tokenAddress, reference, overrides);
    const { chainId } = await provider.getNetwork();
    const signature = await parties.merchant.signTypedData(vaultTypedDataDomain(chainId, vaultAddress), INVOICE_TYPES, invoice);
    const invoiceId = await vault.hashInvoice(invoice);
    say(`The merchant signs invoice "${reference}" for ${usdt(BigInt(invoice.amount))}; its id is known before payment: ${invoiceId.slice(0, 18)}…`);
    await (await token.connect(parties.payer).approve(vaultAddress, invoice.amount)).wait();
    const receipt = (await (await vault.connect(parties.payer).payInvoice(invoice, signature)).wait())!;
    const { escrow } = escrowFromReceipt(vault, receipt);
    say(`The payer pays it: escrow opened until ${new Date(Number(escrow.deadline) * 1000).toISOString()}. ${await balances()}`);
    return { escrowId: invoiceId, escrow };
  };

  const released = await open("order-release", {});
  await (await vault.connect(parties.payer).release(released.escrowId, released.escrow, released.escrow.remaining)).wait();
  say(`The payer confirms delivery and releases it. ${await balances()}`);

  const refunded = await open("order-refund", {});
  await (await vault.connect(parties.merchant).refund(refunded.escrowId, refunded.escrow, refunded.escrow.remaining)).wait();
  say(`The merchant cannot ship and refunds it. ${await balances()}`);

  const disputed = await open("order-dispute", { arbiter });
  const disputeReceipt = (await (await vault.connect(parties.payer).dispute(disputed.escrowId, disputed.escrow)).wait())!;
  const disputedAt = (await provider.getBlock(disputeReceipt.blockNumber))!.timestamp;
  const disputedEscrow = { ...disputed.escrow, disputedAt };
  say("The payer says the goods never came and opens a dispute; only the arbiter can release now.");
  const payeeShare = (BigInt(disputed.escrow.remaining) * 60n) / 100n;
  await (await vault.connect(parties.arbiter).resolve(disputed.escrowId, disputedEscrow, payeeShare)).wait();
  say(`The arbiter splits it 60/40. ${await balances()}`);

  const timedOut = await open("order-timeout", { holdPeriod: BigInt(DAY), timeoutAction: REFUND });
  await provider.send("evm_increaseTime", [DAY + 1]);
  await provider.send("evm_mine", []);
  say("A day passes with nobody acting; the timeout favours the payer (Refund).");
  await (await vault.connect(parties.anyone).executeTimeout(timedOut.escrowId, timedOut.escrow)).wait();
  say(`A stranger (the relayer, later) executes the timeout; nobody's signature is needed. ${await balances()}`);

  say(`Protocol fees accrued: ${usdt(await vault.accruedFees(tokenAddress))}.`);
  return step;
}

async function newInvoice(
  provider: JsonRpcProvider,
  merchant: string,
  token: string,
  reference: string,
  overrides: Partial<IEscrowVault.InvoiceStruct>,
): Promise<IEscrowVault.InvoiceStruct> {
  const now = (await provider.getBlock("latest"))!.timestamp;
  return {
    merchant,
    token,
    amount: 100_000_000n,
    payBy: BigInt(now + 3600),
    holdPeriod: BigInt(7 * DAY),
    timeoutAction: RELEASE,
    arbiter: ethers.ZeroAddress,
    payer: ethers.ZeroAddress,
    merchantReference: ethers.encodeBytes32String(reference),
    nonce: BigInt(ethers.hexlify(ethers.randomBytes(8))),
    ...overrides,
  };
}
