import type { Party } from "../domain/p2p-order.js";
import type { Db } from "../store/db.js";

/**
 * The seam to the chain. The P2P module decides; the lead's transaction journal sends. Each call
 * runs inside the transaction that changed the order, so a queued reservation or confirmation
 * commits together with the state change or not at all (journal it as `intended` there).
 */

/** Everything `reserve`/`openWithdrawal` needs besides the platform's signature (the port signs). */
export interface ReservationRequest {
  orderId: string;
  chain: string;
  kind: "deposit" | "withdrawal";
  token: string;
  /** Desk account of the acceptor, lower-case hex. */
  acceptor: string;
  /** The platform's relayer account: its desk address and invoice signer come from merchants/. */
  platformId: string;
  beneficiary: string;
  arbiter: string;
  amount: bigint;
  slot: bigint;
  /** The slot's content now, which the signed reservation states (`previous`). */
  previous: string;
  /** The on-chain deadline is the reservation's chain time plus this. */
  paymentWindowSeconds: number;
}

/** A confirm the API accepted: deposit by the acceptor, withdrawal by the platform for its user. */
export interface ConfirmRequest {
  orderId: string;
  chain: string;
  kind: "deposit" | "withdrawal";
  acceptor: string;
  platformId: string;
  slot: bigint;
  by: Party;
  /**
   * The acceptor's EIP-712/TIP-712 authorisation of `confirmWithSig` (deposit); absent when the
   * acceptor confirms on the desk itself, or for withdrawals (the platform's signer signs).
   */
  authorization?: { signer: string; nonce: bigint; validBefore: bigint; signature: string };
}

export interface ReservationPort {
  /** Queue `reserveBatch` / `openWithdrawal` calls; a later `ReservationFailed` or revert re-matches. */
  queueReservations(tx: Db, requests: readonly ReservationRequest[]): Promise<void>;
  /** Queue `confirm`/`confirmWithSig`; the release arrives as the desk's `OrderConfirmed`. */
  queueConfirmations(tx: Db, requests: readonly ConfirmRequest[]): Promise<void>;
}

/** Until the lead wires the journal: orders wait in `reserving`/`confirmed` for the desk's events. */
export const idleReservationPort: ReservationPort = {
  queueReservations: async () => undefined,
  queueConfirmations: async () => undefined,
};
