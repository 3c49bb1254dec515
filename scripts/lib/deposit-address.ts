/**
 * Deposit addresses (scan-to-pay), the TypeScript twin of contracts/libraries/DepositAddress.sol: the
 * relayer computes an invoice's deposit address offline, before anyone pays, and must agree with the vault
 * on EVM chains and on TRON.
 *
 * The deposit address of invoice `id` is the CREATE2 address of the vault's forwarder with salt `id`:
 *   keccak256(prefix ++ vault ++ id ++ keccak256(initCode))[12:]
 * where `prefix` is 0xff on EVM chains and 0x41 on TRON (java-tron hashes the deployer as a 21-byte TRON
 * address). The vault learns its chain's prefix at deployment and exposes it as `create2Prefix()`: read it
 * from there rather than guessing from the chain id (a local EVM node run under TRON's chain id uses 0xff).
 */
import { concat, getAddress, keccak256, type BytesLike } from "ethers";

/** CREATE2 prefix bytes: EIP-1014 on EVM chains, the TRON address prefix on TRON. */
export const CREATE2_PREFIX = { evm: "0xff", tron: "0x41" } as const;

/** TRON's chain ids (mainnet, Nile, Shasta) as `block.chainid` reports them. */
export const TRON_CHAIN_IDS: readonly bigint[] = [728126428n, 3448148188n, 2494104990n];

/** Forwarder init code around the 20-byte deployer address; see DepositAddress.sol for the opcodes. */
const INIT_CODE_HEAD = "0x60388060093d393df373";
const INIT_CODE_TAIL = "0x3318603357604036038060403d373d3d913d6020353d355af115603357005b600080fd";

/** The CREATE2 prefix a real chain uses; prefer the vault's `create2Prefix()` where a vault is deployed. */
export function create2PrefixForChain(chainId: bigint): string {
  return TRON_CHAIN_IDS.includes(chainId) ? CREATE2_PREFIX.tron : CREATE2_PREFIX.evm;
}

/** The init code of a forwarder that obeys only `deployer` (the vault). */
export function forwarderInitCode(deployer: string): string {
  return concat([INIT_CODE_HEAD, getAddress(deployer), INIT_CODE_TAIL]);
}

/** CREATE2 address of `initCodeHash` deployed by `deployer` with `salt` on a chain whose prefix is `prefix`. */
export function create2Address(prefix: BytesLike, deployer: string, salt: BytesLike, initCodeHash: BytesLike): string {
  const digest = keccak256(concat([prefix, getAddress(deployer), salt, initCodeHash]));
  return getAddress(`0x${digest.slice(-40)}`);
}

/**
 * The deposit address of invoice `invoiceId` of the vault at `vault` (20-byte hex; on TRON prepend 0x41
 * for the 21-byte form, e.g. with tronweb's `address.fromHex`).
 */
export function depositAddress(params: { prefix: BytesLike; vault: string; invoiceId: BytesLike }): string {
  return create2Address(params.prefix, params.vault, params.invoiceId, keccak256(forwarderInitCode(params.vault)));
}
