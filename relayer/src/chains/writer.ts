import { NonRetryableUserError, RetryableError } from "../common/errors.js";
import type { ChainKind } from "./index.js";

/** A call the operator key pays for: every one is permissionless or carries a party's signature. */
export interface TxCall {
  /** Lower-case 0x hex, also on TRON. */
  to: string;
  /** 0x call data. */
  data: string;
  /** Known gas limit (a replacement reuses its predecessor's); estimated when absent. EVM only. */
  gasLimit?: bigint;
}

export type TxFees =
  | { kind: "evm"; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { kind: "tron"; feeLimitSun: bigint };

export interface SignedTx {
  /** What `broadcast` takes back: the 0x RLP bytes on EVM, the signed transaction's JSON on TRON. */
  raw: string;
  /** Lower-case 0x transaction hash (TRON: 0x + txID). */
  hash: string;
  gasLimit: bigint | null;
  /** TRON: raw_data.expiration in milliseconds; after it the transaction can never be included. */
  expiresAtMs: number | null;
}

export interface TxReceipt {
  hash: string;
  success: boolean;
  blockNumber: number;
  blockHash: string;
  logs: { address: string; topics: string[]; data: string }[];
  /** TRON's solidified transaction info is final when it appears; EVM receipts count confirmations. */
  final: boolean;
}

export interface ChainHead {
  number: number;
  /** Unix seconds, as `block.timestamp` sees it. */
  timestamp: number;
}

/**
 * The write side of a chain. Errors leave it classified like the reader's, plus NonceTooLowError and
 * UnderpricedError, which the journal repairs rather than retries.
 */
export interface ChainWriter {
  readonly chain: string;
  readonly kind: ChainKind;
  /** The operator address, lower-case 0x hex. */
  readonly address: string;
  /** Next nonce counting the node's pending pool; null on chains without nonces (TRON). */
  getPendingNonce(): Promise<number | null>;
  /** Next nonce counting mined transactions only; null on TRON. */
  getMinedNonce(): Promise<number | null>;
  /** The head block: chain time, not the wall clock, decides what is due. */
  getChainTime(): Promise<ChainHead>;
  /** Builds and signs without sending anything (estimates gas when the call has no limit). */
  buildAndSign(call: TxCall, options: { nonce: number | null; fees: TxFees }): Promise<SignedTx>;
  /** Sends a signed transaction; resolves when the node already knows it. */
  broadcast(raw: string): Promise<void>;
  /** Whether the node still has the transaction (pending or mined); false once it was dropped. */
  isKnown(hash: string): Promise<boolean>;
  getReceipt(hash: string): Promise<TxReceipt | null>;
  suggestFees(): Promise<TxFees>;
  close(): Promise<void>;
}

/** The node has already mined a transaction with this nonce from the operator. */
export class NonceTooLowError extends RetryableError {
  override name = "NonceTooLowError";
}

/** The node keeps another transaction with this nonce that pays more. */
export class UnderpricedError extends RetryableError {
  override name = "UnderpricedError";
}

/** The node rejected the call in simulation: it would revert. Carries the decoded reason. */
export class CallRevertedError extends NonRetryableUserError {
  override name = "CallRevertedError";
}
