/** Types of the transaction journal and the signed-action queue, shared by the store and timeouts/. */

export type TxState = "intended" | "signed" | "sent" | "mined" | "confirmed" | "replaced" | "failed";
export type TxKind = "timeouts" | "sweeps" | "p2p" | "signed_action" | "nonce_fill";
export const OPEN_TX_STATES: readonly TxState[] = ["intended", "signed", "sent", "mined"];
export const TX_STATES: readonly TxState[] = ["intended", "signed", "sent", "mined", "confirmed", "replaced", "failed"];

export interface JournalRow {
  id: string;
  chain: string;
  sender: string;
  kind: TxKind;
  state: TxState;
  to: string;
  data: string;
  nonce: number | null;
  gasLimit: bigint | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  feeLimitSun: bigint | null;
  expiresAtMs: number | null;
  rawTx: string | null;
  txHash: string | null;
  replacesId: string | null;
  blockNumber: number | null;
  blockHash: string | null;
  outcome: Record<string, unknown> | null;
  error: string | null;
  sentAt: Date | null;
}

/** An escrow version (its updated_tx_hash) or a queued action a transaction acts on. */
export interface TxSubject {
  id: string;
  version: string;
}

export interface NewTx {
  chain: string;
  sender: string;
  kind: TxKind;
  to: string;
  data: string;
  nonce: number | null;
  subjects: TxSubject[];
}

export interface SignedFields {
  rawTx: string;
  txHash: string;
  gasLimit: bigint | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  feeLimitSun: bigint | null;
  expiresAtMs: number | null;
}

export type SignedActionKind = "release" | "refund" | "dispute";
export type SignedActionState = "queued" | "submitted" | "done" | "failed";

export interface SignedActionRow {
  id: string;
  chain: string;
  escrowId: string;
  action: SignedActionKind;
  amount: bigint | null;
  signer: string;
  nonce: bigint;
  validBefore: bigint;
  signature: string;
  state: SignedActionState;
  txId: string | null;
  error: string | null;
}

export interface TxChainRow {
  chain: string;
  kind: "evm" | "tron";
  chainId: bigint;
  vault: string;
}
