import { TronWeb } from "tronweb";
import { ConfigError } from "../common/errors.js";
import type { Metrics } from "../common/metrics.js";
import { createJsonRpcReader } from "./evm.js";
import type { ChainReader, ChainReaderConfig } from "./index.js";

/** TRON addresses are a 0x41 version byte followed by the 20 bytes EVM tooling sees. */
const TRON_ADDRESS_PREFIX = "41";

/** Lower-case 0x hex (TRON JSON-RPC drops the 41 prefix) to base58 `T…`. */
export function tronAddressFromHex(hex: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(hex)) throw new Error(`not a 20-byte hex address: ${hex}`);
  return TronWeb.address.fromHex(TRON_ADDRESS_PREFIX + hex.slice(2).toLowerCase());
}

/** Base58 `T…`, 41-prefixed hex or 0x hex to the lower-case 0x hex used inside the relayer. */
export function tronAddressToHex(display: string): string {
  if (/^0x[0-9a-fA-F]{40}$/.test(display)) return display.toLowerCase();
  if (/^41[0-9a-fA-F]{40}$/.test(display)) return `0x${display.slice(2).toLowerCase()}`;
  if (!TronWeb.isAddress(display)) {
    throw new ConfigError(`"${display}" is not a TRON address`, { hints: ["Give a base58 address starting with T (or 41-prefixed hex)."] });
  }
  return `0x${TronWeb.address.toHex(display).slice(2).toLowerCase()}`;
}

/**
 * TRON through its Ethereum-compatible JSON-RPC (`https://<full node>/jsonrpc`). The ingester reads
 * it at the `finalized` tag, i.e. solidified blocks, which TRON's DPoS never reorganises.
 */
export function createTronReader(config: ChainReaderConfig, deps: { metrics?: Metrics }): ChainReader {
  return createJsonRpcReader(config, deps, { kind: "tron", formatAddress: tronAddressFromHex, parseAddress: tronAddressToHex });
}
