import { getAddress } from "ethers";
import { tronAddressFromHex, tronAddressToHex } from "../chains/tron.js";
import { NonRetryableUserError } from "../common/errors.js";
import type { RelayerConfig } from "../config.js";

/** A chain invoices can be created on: what the EIP-712 domain and the address formats need. */
export interface InvoiceChain {
  name: string;
  kind: "evm" | "tron";
  /** The node's chain id (the domain masks it to 32 bits, as TIP-712 does). */
  chainId: bigint;
  /** Lower-case 0x hex. */
  vault: string;
  /** Lower-case hex to what people see: checksummed 0x, or base58 T… on TRON. */
  formatAddress(hex: string): string;
  /** What people type to lower-case hex; throws InvalidInputError naming `field`. */
  parseAddress(display: string, field: string): string;
  /** Scan-to-pay, when the vault has deposit addresses (read from it at start-up). */
  deposits?: ChainDeposits;
}

/** What the vault reports about its deposit addresses: `create2Prefix()` and `depositRouter()`. */
export interface ChainDeposits {
  /** "0xff" on EVM chains, "0x41" on TRON. */
  prefix: string;
  /** The DepositRouter, lower-case hex. */
  router: string;
}

/** Input the caller can fix; `errors` name the fields (the API shows them as problem `errors`). */
export class InvalidInputError extends NonRetryableUserError {
  override name = "InvalidInputError";
  readonly errors: { path: string; message: string }[];

  constructor(message: string, errors: { path: string; message: string }[], options: { hints?: string[] } = {}) {
    super(message, options);
    this.errors = errors;
  }
}

export class NotFoundError extends NonRetryableUserError {
  override name = "NotFoundError";
}

/** Signing needs RELAYER_MASTER_KEY; without it the relayer can still read and report. */
export class SigningUnavailableError extends NonRetryableUserError {
  override name = "SigningUnavailableError";
}

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function parseEvm(display: string, field: string): string {
  if (!HEX_ADDRESS.test(display)) throw new InvalidInputError(`${field} is not an address`, [{ path: field, message: "must be a 0x-prefixed 20-byte hex address" }]);
  // Mixed case claims an EIP-55 checksum: a typo in it must not send money elsewhere.
  if (display !== display.toLowerCase() && display.slice(2) !== display.slice(2).toUpperCase()) {
    try {
      getAddress(display);
    } catch {
      throw new InvalidInputError(`${field} has a bad checksum`, [{ path: field, message: "bad EIP-55 checksum" }]);
    }
  }
  return display.toLowerCase();
}

function parseTron(display: string, field: string): string {
  try {
    return tronAddressToHex(display);
  } catch {
    throw new InvalidInputError(`${field} is not a TRON address`, [{ path: field, message: "must be a TRON address (base58 T…)" }]);
  }
}

/** The configured chains with their ids (read from the nodes by the runtime at start-up). */
export function invoiceChains(
  config: Pick<RelayerConfig, "chains">,
  chainIds: Record<string, bigint | number>,
  deposits: Record<string, ChainDeposits | undefined> = {},
): Map<string, InvoiceChain> {
  const chains = new Map<string, InvoiceChain>();
  for (const chain of config.chains) {
    const chainId = chainIds[chain.name];
    if (chainId === undefined) continue;
    const tron = chain.kind === "tron";
    chains.set(chain.name, {
      name: chain.name,
      kind: chain.kind,
      chainId: BigInt(chainId),
      vault: tron ? tronAddressToHex(chain.vaultAddress) : chain.vaultAddress.toLowerCase(),
      formatAddress: tron ? tronAddressFromHex : (hex) => getAddress(hex),
      parseAddress: tron ? parseTron : parseEvm,
      ...(deposits[chain.name] ? { deposits: deposits[chain.name]! } : {}),
    });
  }
  return chains;
}

export function requireChain(chains: Map<string, InvoiceChain>, name: string, field = "chain"): InvoiceChain {
  const chain = chains.get(name);
  if (!chain) {
    throw new InvalidInputError(`Unknown chain "${name}"`, [{ path: field, message: `must be one of: ${[...chains.keys()].join(", ") || "(no chain configured)"}` }]);
  }
  return chain;
}
