import { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import { INITIAL_BALANCE, deployVaultFixture } from "../fixtures";
import { latestTimestamp } from "../helpers";
import {
  DESK_ACTION_TYPES,
  RESERVATION_BATCH_TYPES,
  RESERVATION_TYPES,
  deskTypedDataDomain,
  reservationBatchMessage,
  type DeskActionKind,
  type Order,
  type ReserveItem,
} from "../../../scripts/lib/desk-typed-data";
import type { AcceptorDesk, TestToken } from "../../../typechain-types";
import type { IAcceptorDesk } from "../../../typechain-types/contracts/AcceptorDesk";

/** A reserve item with its own signature, for {reserve} and {openWithdrawal}. */
export interface SignedReservation extends ReserveItem {
  platformSignature: string;
}

export { OrderKind, hashOrder, tombstoneOf, type Order, DESK_ARBITRATION_PERIOD_S } from "../../../scripts/lib/desk-typed-data";

/** What each acceptor puts into the desk, per token, in the fixture. */
export const LIQUIDITY = 10_000_000_000n; // 10,000 units of a 6-decimal token
/** A typical order amount. */
export const ORDER_AMOUNT = 100_000_000n;
export const HOUR = 3600n;

/**
 * The shared desk fixture: the vault fixture, a desk on top, two acceptors funded in all three tokens
 * (each deposits LIQUIDITY of each and trusts the merchant as platform), the merchant's registered
 * invoice signer (`signerKey`), and the user's account at the platform (`beneficiary`).
 */
export async function deployDeskFixture() {
  const f = await deployVaultFixture();
  const signers = await ethers.getSigners();
  const [acceptor, acceptor2, beneficiary] = signers.slice(7, 10);
  const desk = (await ethers.deployContract("AcceptorDesk", [await f.vault.getAddress()])) as unknown as AcceptorDesk;
  const deskAddress = await desk.getAddress();
  const tokens = [f.token, f.ethUsdt, f.tronUsdt].map((t) => t as unknown as TestToken);
  await (await f.vault.connect(f.merchant).setInvoiceSigner(f.signerKey.address)).wait();
  for (const t of tokens) {
    // The platform funds Withdrawal orders from its own balance.
    await (await t.connect(f.merchant).approve(deskAddress, ethers.MaxUint256)).wait();
    for (const a of [acceptor, acceptor2]) {
      await (await t.mint(a.address, INITIAL_BALANCE)).wait();
      await (await t.connect(a).approve(deskAddress, ethers.MaxUint256)).wait();
      await (await desk.connect(a).depositLiquidity(await t.getAddress(), LIQUIDITY)).wait();
    }
  }
  for (const a of [acceptor, acceptor2]) await (await desk.connect(a).setPlatformTrusted(f.merchant.address, true)).wait();
  return { ...f, desk, deskAddress, tokens, acceptor, acceptor2, beneficiary, platform: f.merchant };
}

export type DeskFixture = Awaited<ReturnType<typeof deployDeskFixture>>;

export async function deskDomain(desk: AcceptorDesk): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return deskTypedDataDomain(chainId, await desk.getAddress());
}

let orderCounter = 0;

/** A Deposit order for `acceptor` from the fixture's platform, 100 units, an hour to pay, with an arbiter. */
export async function makeOrder(f: DeskFixture, overrides: Partial<Order> = {}): Promise<Order> {
  const now = BigInt(await latestTimestamp());
  return {
    orderId: ethers.zeroPadValue(ethers.toBeHex(++orderCounter), 32),
    kind: 0,
    token: await f.token.getAddress(),
    acceptor: f.acceptor.address,
    platform: f.platform.address,
    beneficiary: f.beneficiary.address,
    arbiter: f.arbiter.address,
    amount: ORDER_AMOUNT,
    deadline: now + HOUR,
    disputedAt: 0n,
    ...overrides,
  };
}

/** The platform's (or its signer's) EIP-712 signature over a reservation. */
export async function signReservation(
  desk: AcceptorDesk,
  signer: Signer,
  order: Order,
  slot: bigint,
  previous: string,
): Promise<string> {
  return signer.signTypedData(await deskDomain(desk), RESERVATION_TYPES, { ...order, slot, previous });
}

/** The platform's (or its signer's) one EIP-712 signature over a whole reserveBatch. */
export async function signReservationBatch(
  desk: AcceptorDesk,
  signer: Signer,
  items: readonly ReserveItem[],
  validBefore: bigint,
): Promise<string> {
  return signer.signTypedData(await deskDomain(desk), RESERVATION_BATCH_TYPES, reservationBatchMessage(items, validBefore));
}

/** A reservation of `order` into `slot`, stating the slot's current content, signed on its own. */
export async function reserveCall(
  f: DeskFixture,
  order: Order,
  slot: bigint,
  signer: Signer = f.signerKey,
): Promise<SignedReservation> {
  const previous = await f.desk.orderSlot(order.acceptor, slot);
  return { order, slot, previous, platformSignature: await signReservation(f.desk, signer, order, slot, previous) };
}

/** Reserves (Deposit) or opens (Withdrawal) `order` in `slot`, signed by the platform's invoice signer. */
export async function placeOrder(f: DeskFixture, order: Order, slot = 0n): Promise<Order> {
  const call = await reserveCall(f, order, slot);
  const fn = order.kind === 0 ? f.desk.reserve : f.desk.openWithdrawal;
  await (await fn(order, slot, call.previous, call.platformSignature)).wait();
  return order;
}

/** Signs an action's typed data and returns the Authorization struct the desk expects. */
export async function authorizeDesk(
  desk: AcceptorDesk,
  signer: Signer,
  kind: DeskActionKind,
  fields: Record<string, unknown>,
  opts: { nonce?: bigint; validBefore?: bigint } = {},
): Promise<IAcceptorDesk.AuthorizationStruct> {
  const nonce = opts.nonce ?? BigInt(ethers.hexlify(ethers.randomBytes(8)));
  const validBefore = opts.validBefore ?? BigInt(await latestTimestamp()) + HOUR;
  const types = { [kind]: [...DESK_ACTION_TYPES[kind]] };
  const signature = await signer.signTypedData(await deskDomain(desk), types, { ...fields, nonce, validBefore });
  return { signer: await signer.getAddress(), nonce, validBefore, signature };
}

/** The order with a field changed, as the desk commits to it after a dispute or an extension. */
export function withFields(order: Order, fields: Partial<Order>): Order {
  return { ...order, ...fields };
}
