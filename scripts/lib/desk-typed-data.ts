/**
 * The acceptor desk's typed data and order helpers, shared by the tests, the benchmarks and the relayer:
 * one definition of the EIP-712 types so that every signer agrees with the typehashes in
 * contracts/AcceptorReservationAuth.sol and contracts/AcceptorDesk.sol.
 */
import { AbiCoder, keccak256, toBeHex, type TypedDataDomain } from "ethers";
import { maskChainId } from "./vault-typed-data";

/** Order kinds, as the Solidity enum numbers them. */
export const OrderKind = { Deposit: 0, Withdrawal: 1 } as const;

/** EIP-712 domain name and version of AcceptorDesk. */
export const DESK_DOMAIN_NAME = "AcceptorDesk";
export const DESK_DOMAIN_VERSION = "1";

/** How long an arbiter has before a disputed order can be expired (AcceptorOrders.ARBITRATION_PERIOD). */
export const DESK_ARBITRATION_PERIOD_S = 30n * 24n * 3600n;

export function deskTypedDataDomain(chainId: bigint, deskAddress: string): TypedDataDomain {
  return { name: DESK_DOMAIN_NAME, version: DESK_DOMAIN_VERSION, chainId: maskChainId(chainId), verifyingContract: deskAddress };
}

/** An order as the desk commits to it; pass it back with every action. */
export interface Order {
  orderId: string;
  kind: number | bigint;
  token: string;
  acceptor: string;
  platform: string;
  beneficiary: string;
  arbiter: string;
  amount: bigint;
  deadline: bigint;
  disputedAt: bigint;
}

const ORDER_FIELDS = [
  { name: "orderId", type: "bytes32" },
  { name: "kind", type: "uint8" },
  { name: "token", type: "address" },
  { name: "acceptor", type: "address" },
  { name: "platform", type: "address" },
  { name: "beneficiary", type: "address" },
  { name: "arbiter", type: "address" },
  { name: "amount", type: "uint256" },
  { name: "deadline", type: "uint48" },
  { name: "disputedAt", type: "uint48" },
] as const;

const ORDER_ACTION = [
  { name: "orderId", type: "bytes32" },
  { name: "acceptor", type: "address" },
  { name: "slot", type: "uint256" },
] as const;
const NONCE = [
  { name: "nonce", type: "uint256" },
  { name: "validBefore", type: "uint256" },
] as const;

/** The reservation the platform (or its invoice signer) signs: the order's fields, then slot and previous. */
export const RESERVATION_TYPES = {
  Reservation: [...ORDER_FIELDS, { name: "slot", type: "uint256" }, { name: "previous", type: "bytes32" }],
};

/**
 * A batch of reservations the platform (or its invoice signer) signs once for reserveBatch: each item is
 * hashed as the single reservation's struct (order fields, slot, previous), so every slot stays covered.
 */
export const RESERVATION_BATCH_TYPES = {
  ReservationBatch: [
    { name: "reservations", type: "Reservation[]" },
    { name: "validBefore", type: "uint256" },
  ],
  Reservation: RESERVATION_TYPES.Reservation,
};

/** One reserveBatch item: the order, its slot and the slot's current content. */
export interface ReserveItem {
  order: Order;
  slot: bigint;
  previous: string;
}

/** The typed-data message of RESERVATION_BATCH_TYPES for `items`. */
export function reservationBatchMessage(items: readonly ReserveItem[], validBefore: bigint) {
  return { reservations: items.map((c) => ({ ...c.order, slot: c.slot, previous: c.previous })), validBefore };
}

/** EIP-712 types of the desk's signature-authorised actions, keyed by primary type. */
export const DESK_ACTION_TYPES = {
  Confirm: [...ORDER_ACTION, ...NONCE],
  Cancel: [...ORDER_ACTION, ...NONCE],
  Dispute: [...ORDER_ACTION, ...NONCE],
  Resolve: [...ORDER_ACTION, { name: "payeeAmount", type: "uint256" }, ...NONCE],
  ExtendDeadline: [...ORDER_ACTION, { name: "newDeadline", type: "uint48" }, ...NONCE],
  DepositLiquidity: [{ name: "token", type: "address" }, { name: "amount", type: "uint256" }, ...NONCE],
  WithdrawLiquidity: [{ name: "token", type: "address" }, { name: "amount", type: "uint256" }, { name: "to", type: "address" }, ...NONCE],
  TrustPlatform: [{ name: "platform", type: "address" }, { name: "trusted", type: "bool" }, ...NONCE],
  Claim: [{ name: "token", type: "address" }, { name: "to", type: "address" }, ...NONCE],
} as const;

export type DeskActionKind = keyof typeof DESK_ACTION_TYPES;

const ORDER_TUPLE = `tuple(${ORDER_FIELDS.map((f) => f.type).join(",")})`;

/** The lowest bit of a slot word: set once the slot's order closed, clear while it is open. */
const CLOSED_BIT = 1n;

/** What a slot holds while `order` is open: keccak256(abi.encode(order)) with the lowest bit cleared, as AcceptorOrders.hashOrder. */
export function hashOrder(order: Order): string {
  return clearClosedBit(keccak256(
    AbiCoder.defaultAbiCoder().encode(
      [ORDER_TUPLE],
      [[order.orderId, order.kind, order.token, order.acceptor, order.platform, order.beneficiary, order.arbiter, order.amount, order.deadline, order.disputedAt]],
    ),
  ));
}

function clearClosedBit(word: string): string {
  return toBeHex(BigInt(word) & ~CLOSED_BIT, 32);
}

/** What a slot keeps once the order whose last hash was `orderHash` closed, as AcceptorOrders.tombstoneOf. */
export function tombstoneOf(orderHash: string): string {
  return toBeHex(BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32"], [orderHash]))) | CLOSED_BIT, 32);
}
