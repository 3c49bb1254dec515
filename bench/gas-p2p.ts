/**
 * The P2P flows of the gas benchmark (bench/gas.ts): an acceptor desk next to the benchmark's vault,
 * BATCH acceptors each holding liquidity and trusting one platform, whose registered invoice signer
 * signs every reservation (as the relayer does).
 *
 * p2p.reserve is the gas of a reserveBatch of BATCH reservations into recycled slots under one platform
 * signature, divided by BATCH: what a reservation costs the relayer in steady state. The single-transaction and first-use figures are
 * reported beside it for information.
 */
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { AcceptorDesk, EscrowVault, TestToken } from "../typechain-types";
import {
  RESERVATION_BATCH_TYPES,
  RESERVATION_TYPES,
  deskTypedDataDomain,
  reservationBatchMessage,
  type Order,
  type ReserveItem,
} from "../scripts/lib/desk-typed-data";

/** Reservations per batch. */
export const P2P_BATCH = 20;
const AMOUNT = 100_000_000n;
const LIQUIDITY = 1_000n * AMOUNT;
const HOUR = 3600n;
const GAS_FOR_ACCEPTOR_SETUP = ethers.parseEther("1");

export interface P2pBench {
  /** Records a single transaction's gas under `flow`. */
  measure(flow: string, tx: Promise<ContractTransactionResponse>): Promise<void>;
  /** Records `gas` under `flow` directly (per-item figures of a batch). */
  record(flow: string, gas: number): void;
  funder: Signer;
  platform: Signer;
  platformSigner: Signer;
  beneficiary: Signer;
  vault: EscrowVault;
  token: TestToken;
}

export async function runP2pFlows(b: P2pBench): Promise<void> {
  const desk = (await ethers.deployContract("AcceptorDesk", [await b.vault.getAddress()])) as unknown as AcceptorDesk;
  const deskAddress = await desk.getAddress();
  const tokenAddress = await b.token.getAddress();
  const platform = await b.platform.getAddress();
  await (await b.vault.connect(b.platform).setInvoiceSigner(await b.platformSigner.getAddress())).wait();
  const { chainId } = await ethers.provider.getNetwork();
  const domain = deskTypedDataDomain(chainId, deskAddress);

  // Acceptors: fresh keys with gas, tokens, liquidity in the desk and trust in the platform.
  const acceptors = Array.from({ length: P2P_BATCH }, () => ethers.Wallet.createRandom(ethers.provider));
  for (const a of acceptors) {
    await (await b.funder.sendTransaction({ to: a.address, value: GAS_FOR_ACCEPTOR_SETUP })).wait();
    await (await b.token.mint(a.address, LIQUIDITY)).wait();
    await (await b.token.connect(a).approve(deskAddress, LIQUIDITY)).wait();
    await (await desk.connect(a).depositLiquidity(tokenAddress, LIQUIDITY)).wait();
    await (await desk.connect(a).setPlatformTrusted(platform, true)).wait();
  }

  let orderNumber = 0;
  const order = async (acceptor: string, overrides: Partial<Order> = {}): Promise<Order> => ({
    // Order ids look random (as a relayer's would), but are deterministic so the figures repeat.
    orderId: ethers.keccak256(ethers.toBeHex(++orderNumber, 32)),
    kind: 0,
    token: tokenAddress,
    acceptor,
    platform,
    beneficiary: await b.beneficiary.getAddress(),
    arbiter: await b.funder.getAddress(),
    amount: AMOUNT,
    deadline: BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + HOUR,
    disputedAt: 0n,
    ...overrides,
  });
  const call = async (o: Order, slot: bigint): Promise<ReserveItem> => ({ order: o, slot, previous: await desk.orderSlot(o.acceptor, slot) });
  const batch = async (slot: bigint) => Promise.all(acceptors.map(async (a) => call(await order(a.address), slot)));
  const validBefore = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + HOUR;
  const reserveBatch = async (flow: string, calls: ReserveItem[]) => {
    const until = await validBefore();
    const signature = await b.platformSigner.signTypedData(domain, RESERVATION_BATCH_TYPES, reservationBatchMessage(calls, until));
    const receipt = (await (await desk.reserveBatch(calls, until, signature)).wait())!;
    const reserved = receipt.logs.filter((log) => desk.interface.parseLog(log)?.name === "OrderReserved").length;
    // A failed reservation would make the batch look cheap: insist that every one went through.
    if (reserved !== calls.length) throw new Error(`${flow}: reserved ${reserved} of ${calls.length}`);
    b.record(flow, Math.round(Number(receipt.gasUsed) / calls.length));
    process.stdout.write(`  measured ${flow}\n`);
  };

  // First use of slot 0 of every acceptor: each reservation creates a storage word.
  const first = await batch(0n);
  await reserveBatch("p2p.reserve.first", first);
  // Close them all by expiry (one batch), leaving tombstones: slot 0 is now recycled.
  await network.provider.send("evm_increaseTime", [Number(2n * HOUR)]);
  await network.provider.send("evm_mine");
  const expireReceipt = (await (await desk.expireBatch(first.map((c) => ({ order: c.order, slot: c.slot })))).wait())!;
  b.record("p2p.expire.batch20", Number(expireReceipt.gasUsed));
  // Steady state: a batch into recycled slots.
  const steady = await batch(0n);
  await reserveBatch("p2p.reserve", steady);

  // The same batch sent by the platform's invoice signer itself, with an empty signature: no ecrecover.
  // Information only: the relayer's operator key sends with a signature.
  await network.provider.send("evm_increaseTime", [Number(2n * HOUR)]);
  await network.provider.send("evm_mine");
  await (await desk.expireBatch(steady.map((c) => ({ order: c.order, slot: c.slot })))).wait();
  const unsigned = await batch(0n);
  const bySigner = (await (await desk.connect(b.platformSigner).reserveBatch(unsigned, await validBefore(), "0x")).wait())!;
  b.record("p2p.reserve.bySigner", Math.round(Number(bySigner.gasUsed) / unsigned.length));

  // One reservation alone into a recycled slot (slot 0 of the first acceptor is taken now; use slot 1
  // after recycling it once).
  const warmup = await call(await order(acceptors[0].address), 1n);
  await (await desk.connect(b.platformSigner).reserveBatch([warmup], await validBefore(), "0x")).wait();
  await (await desk.connect(b.platform).cancel(warmup.order, 1n)).wait();
  const single = await call(await order(acceptors[0].address), 1n);
  const singleSignature = await b.platformSigner.signTypedData(domain, RESERVATION_TYPES, { ...single.order, slot: single.slot, previous: single.previous });
  await b.measure("p2p.reserve.single", desk.reserve(single.order, single.slot, single.previous, singleSignature));

  // The acceptor confirms a Deposit order: the reserved amount goes to the beneficiary (who holds the token).
  await b.measure("p2p.release", desk.connect(acceptors[1]).confirm(unsigned[1].order, 0n));
}
