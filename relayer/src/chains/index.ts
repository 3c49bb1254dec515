import type { Metrics } from "../common/metrics.js";
import { createJsonRpcReader } from "./evm.js";
import { createTronReader } from "./tron.js";

/** Which head a chain is read at: EVM chains count confirmations from `latest`; TRON reads `finalized`. */
export type HeadTag = "latest" | "finalized";

/** The four fields of a block header the ingester needs: linkage for reorgs and time for deadlines. */
export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  /** Unix seconds, as `block.timestamp` sees it. */
  timestamp: number;
}

/** An `eth_getLogs` entry with quantities as numbers and every hex string lower-case. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export interface LogFilter {
  fromBlock: number;
  toBlock: number;
  /** Lower-case 0x hex, also on TRON; several are OR-ed; absent: logs of every contract. */
  address?: string | string[];
  topics?: (string | string[] | null)[];
}

/**
 * The read side of a chain, the only thing in the relayer that talks to a node. Errors leave it
 * already classified: RangeTooLargeError (shrink the range), RetryableError (try again later) or
 * NonRetryableUserError (fix the configuration).
 */
export interface ChainReader {
  readonly chain: string;
  readonly kind: ChainKind;
  /** The node's chain id (eth_chainId), which signatures and typed-data domains must use. */
  getChainId(): Promise<bigint>;
  getHeadBlockNumber(tag: HeadTag): Promise<number>;
  getBlock(number: number): Promise<BlockHeader>;
  getLogs(filter: LogFilter): Promise<RawLog[]>;
  /** `eth_call` at the latest block: the 0x return data of calling `to` (lower-case hex) with `data`. */
  call(to: string, data: string): Promise<string>;
  /** Lower-case 0x hex to what people see: checksummed 0x on EVM chains, base58 `T…` on TRON. */
  formatAddress(hex: string): string;
  /** What people type (any case of 0x hex, or base58 on TRON) to lower-case 0x hex; throws a ConfigError. */
  parseAddress(display: string): string;
  close(): Promise<void>;
}

export type ChainKind = "evm" | "tron";

export interface ChainReaderConfig {
  /** Configured chain name, e.g. "tron", "sepolia"; used in metrics, logs and every stored row. */
  name: string;
  kind: ChainKind;
  /** JSON-RPC endpoint; for TRON the full node's `/jsonrpc` URL. */
  rpcUrl: string;
  /** Chain id, when known, so the provider never asks for it. Default: read once from the node. */
  chainId?: number;
  /** Per-request timeout. Default: 15 000 ms. */
  timeoutMs?: number;
}

export function createChainReader(config: ChainReaderConfig, deps: { metrics?: Metrics } = {}): ChainReader {
  return config.kind === "tron" ? createTronReader(config, deps) : createJsonRpcReader(config, deps);
}
