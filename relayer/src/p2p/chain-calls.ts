import { randomBytes } from "node:crypto";
import { Interface, type Wallet } from "ethers";
import {
  DESK_ACTION_TYPES,
  DESK_ARBITRATION_PERIOD_S,
  deskTypedDataDomain,
  OrderKind,
  RESERVATION_BATCH_TYPES,
  RESERVATION_TYPES,
  reservationBatchMessage,
  type Order,
} from "../../../scripts/lib/desk-typed-data.js";
import { AcceptorDesk__factory } from "../../../typechain-types/index.js";
import type { TxCall } from "../chains/writer.js";
import type { Db } from "../store/db.js";
import { attachChainCalls, claimChainCalls, insertChainCalls, releaseChainCalls, type ChainCallRow } from "../store/p2p-chain-calls-repository.js";
import { recordReservationDeadlines, selectExpirableOrders, selectOrdersForUpdate, type P2pOrderRow } from "../store/p2p-orders-repository.js";
import type { TxSubject } from "../store/tx-journal-types.js";
import { applyDeskEvents } from "./desk.js";
import type { ConfirmRequest, ReservationPort, ReservationRequest } from "./ports.js";

/**
 * The chain side of the P2P seam (ports.ts): the matching engine and the API queue reservations and
 * confirmations in the transaction that moved their orders (`createQueuedReservationPort`); the
 * timeout driver, the one sender of the operator key, turns them into AcceptorDesk calls signed for
 * the platform (`createP2pSender`) and sends them through the transaction journal. The desk's events,
 * ingested like the vault's, then move the orders on (desk.ts).
 */

/** Reservations per reserveBatch: at about 25,000 gas each, a batch stays near half a million. */
export const MAX_RESERVATION_BATCH = 20;
/**
 * How long a platform's batch signature stays valid. Short: until then anyone may resubmit the batch,
 * and an item that failed once could succeed later (docs/p2p.md, "Typed data").
 */
export const RESERVATION_VALIDITY_SECONDS = 300;
/** Orders per expireBatch. */
export const MAX_EXPIRY_BATCH = 20;
/** Confirmations signed for the platform stay valid this long. */
const CONFIRM_VALIDITY_SECONDS = 3_600;
const ZERO_HASH = `0x${"0".repeat(64)}`;

const json = (value: object) => JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;

export function createQueuedReservationPort(): ReservationPort {
  return {
    async queueReservations(tx, requests) {
      await insertChainCalls(tx, requests.map((r) => ({ chain: r.chain, kind: "reserve" as const, orderId: r.orderId.toLowerCase(), request: json(r) })));
    },
    async queueConfirmations(tx, requests) {
      await insertChainCalls(tx, requests.map((r) => ({ chain: r.chain, kind: "confirm" as const, orderId: r.orderId.toLowerCase(), request: json(r) })));
    },
  };
}

export interface P2pSenderParams {
  db: Db;
  chain: string;
  chainId: bigint;
  /** The AcceptorDesk, lower-case hex. */
  desk: string;
  /** The platform's address on this chain and the wallet of its invoice signer (which the desk accepts for it). */
  platform(platformId: string): Promise<{ address: string; wallet: Wallet }>;
}

/** One transaction's worth of queued calls. */
export interface P2pSend {
  call: TxCall;
  subjects: TxSubject[];
  /** Attach the journal row to the queued calls once it is reserved. */
  attach(txId: string): Promise<void>;
  /** The call would revert, so nothing was sent: its reservations fail (and are re-matched) now. */
  notSent(reason: string): Promise<void>;
}

export interface P2pSender {
  /** The next transaction to send at chain time `chainTime`, or null when nothing is queued. */
  next(chainTime: bigint): Promise<P2pSend | null>;
}

let deskInterface: Interface | undefined;
const desk = () => (deskInterface ??= new Interface(AcceptorDesk__factory.abi));

function orderStruct(order: P2pOrderRow, platform: string, deadline: bigint): Order {
  return {
    orderId: order.orderId,
    kind: order.kind === "deposit" ? OrderKind.Deposit : OrderKind.Withdrawal,
    token: order.token,
    acceptor: order.acceptorAddress!,
    platform,
    beneficiary: order.beneficiary,
    arbiter: order.arbiter,
    amount: order.amount,
    deadline,
    disputedAt: order.disputedAt ?? 0n,
  };
}

export function createP2pSender(params: P2pSenderParams): P2pSender {
  const domain = deskTypedDataDomain(params.chainId, params.desk);

  /** Deposit reservations of one platform in one reserveBatch, under one signature. */
  async function reservations(chainTime: bigint): Promise<P2pSend | null> {
    const claimed = await claimChainCalls(params.db, params.chain, "reserve", MAX_RESERVATION_BATCH);
    if (claimed.length === 0) return null;
    const requests = claimed.map((c) => ({ row: c, request: c.request as unknown as Record<keyof ReservationRequest, string> }));
    const platformId = requests[0]!.request.platformId;
    // A batch carries one platform's signature, and withdrawals are opened one at a time.
    const first = requests[0]!;
    const batch = first.request.kind === "withdrawal" ? [first] : requests.filter((r) => r.request.platformId === platformId && r.request.kind === "deposit");
    await releaseChainCalls(params.db, requests.filter((r) => !batch.includes(r)).map((r) => r.row.id), { state: "queued" });
    const platform = await params.platform(platformId);
    const orders = new Map((await params.db.transaction((tx) => selectOrdersForUpdate(tx, batch.map((b) => b.row.orderId)))).map((o) => [o.orderId, o]));
    const items = batch.map(({ row, request }) => {
      const order = orders.get(row.orderId)!;
      const deadline = chainTime + BigInt(request.paymentWindowSeconds);
      return { row, order: orderStruct(order, platform.address, deadline), slot: BigInt(request.slot), previous: request.previous || ZERO_HASH };
    });
    await params.db.transaction((tx) => recordReservationDeadlines(tx, items.map((i) => ({ orderId: i.order.orderId, deadline: i.order.deadline }))));
    let call: TxCall;
    if (first.request.kind === "withdrawal") {
      const item = items[0]!;
      const signature = await platform.wallet.signTypedData(domain, RESERVATION_TYPES, { ...item.order, slot: item.slot, previous: item.previous });
      call = { to: params.desk, data: desk().encodeFunctionData("openWithdrawal", [item.order, item.slot, item.previous, signature]) };
    } else {
      const validBefore = chainTime + BigInt(RESERVATION_VALIDITY_SECONDS);
      const signature = await platform.wallet.signTypedData(domain, RESERVATION_BATCH_TYPES, reservationBatchMessage(items, validBefore));
      call = { to: params.desk, data: desk().encodeFunctionData("reserveBatch", [items.map((i) => ({ order: i.order, slot: i.slot, previous: i.previous })), validBefore, signature]) };
    }
    return {
      call,
      subjects: items.map((i) => ({ id: `p2p:${i.row.id}`, version: "1" })),
      attach: (txId) => attachChainCalls(params.db, items.map((i) => i.row.id), txId),
      notSent: (reason) => failReservations(items.map((i) => ({ row: i.row, acceptor: i.order.acceptor })), reason),
    };
  }

  /** A withdrawal's confirmation signed for the platform, or a deposit's with the acceptor's authorisation. */
  async function confirmation(): Promise<P2pSend | null> {
    const [claimed] = await claimChainCalls(params.db, params.chain, "confirm", 1);
    if (!claimed) return null;
    const request = claimed.request as unknown as Omit<Record<keyof ConfirmRequest, string>, "authorization"> & { authorization?: Record<string, string> };
    // A deposit is the acceptor's to confirm: without its signed authorisation it confirms on the desk itself.
    if (request.kind === "deposit" && !request.authorization) return null;
    const platform = await params.platform(request.platformId);
    const [order] = await params.db.transaction((tx) => selectOrdersForUpdate(tx, [claimed.orderId]));
    if (!order || order.deadline === null) {
      await releaseChainCalls(params.db, [claimed.id], { state: "failed", error: "the order has no reservation on chain" });
      return null;
    }
    const struct = orderStruct(order, platform.address, order.deadline);
    const auth = request.authorization ? { ...request.authorization } : await signConfirm(platform.wallet, struct, BigInt(request.slot), order.deadline);
    return {
      call: { to: params.desk, data: desk().encodeFunctionData("confirmWithSig", [struct, BigInt(request.slot), auth]) },
      subjects: [{ id: `p2p:${claimed.id}`, version: "1" }],
      attach: (txId) => attachChainCalls(params.db, [claimed.id], txId),
      notSent: (reason) => releaseChainCalls(params.db, [claimed.id], { state: "failed", error: reason }),
    };
  }

  /** As if the desk had logged ReservationFailed for each: the order is re-matched with another acceptor. */
  async function failReservations(items: { row: ChainCallRow; acceptor: string }[], reason: string): Promise<void> {
    await releaseChainCalls(params.db, items.map((i) => i.row.id), { state: "failed", error: reason });
    await params.db.transaction((tx) =>
      applyDeskEvents(
        tx,
        items.map(({ row, acceptor }, logIndex) => ({
          origin: { chain: params.chain, blockNumber: 0, blockHash: ZERO_HASH, txHash: `not-sent:${row.id}`, logIndex, blockTimestamp: 0 },
          event: { name: "ReservationFailed" as const, orderId: row.orderId, acceptor, reason: "not_sent" },
        })),
      ),
    );
  }

  /** Past-deadline orders, expired in one expireBatch: the acceptor's liquidity goes back to it. */
  async function expiries(chainTime: bigint): Promise<P2pSend | null> {
    const due = await selectExpirableOrders(params.db, params.chain, chainTime, DESK_ARBITRATION_PERIOD_S, MAX_EXPIRY_BATCH);
    if (due.length === 0) return null;
    const platforms = new Map<string, string>();
    const calls = [];
    for (const order of due) {
      if (!platforms.has(order.platformId)) platforms.set(order.platformId, (await params.platform(order.platformId)).address);
      calls.push({ order: orderStruct(order, platforms.get(order.platformId)!, order.deadline!), slot: order.slot! });
    }
    return {
      call: { to: params.desk, data: desk().encodeFunctionData("expireBatch", [calls]) },
      subjects: due.map((o) => ({ id: `p2p-expire:${o.orderId}`, version: String(o.version) })),
      attach: async () => undefined,
      // expireBatch skips what it cannot expire instead of reverting: nothing to undo.
      notSent: async () => undefined,
    };
  }

  async function signConfirm(wallet: Wallet, order: Order, slot: bigint, deadline: bigint) {
    // Permit2-style nonces: any unused one works, so a random 128-bit value needs no coordination.
    const nonce = BigInt(`0x${randomBytes(16).toString("hex")}`);
    const validBefore = deadline + BigInt(CONFIRM_VALIDITY_SECONDS);
    const signature = await wallet.signTypedData(domain, { Confirm: [...DESK_ACTION_TYPES.Confirm] }, { orderId: order.orderId, acceptor: order.acceptor, slot, nonce, validBefore });
    return { signer: wallet.address, nonce, validBefore, signature };
  }

  return {
    async next(chainTime) {
      return (await reservations(chainTime)) ?? (await confirmation()) ?? (await expiries(chainTime));
    },
  };
}

export type { ChainCallRow };
