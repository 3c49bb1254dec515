/**
 * The vault's typed data and event decoding, shared by the scripts, the benchmarks and the tests (and
 * the relayer later): one definition of the EIP-712 types so that every signer agrees with the
 * contract's typehashes.
 */
import type { TransactionReceipt, TypedDataDomain } from "ethers";
import type { EscrowVault } from "../../typechain-types";
import vaultTypes from "./vault-types.json";

/** Timeout actions, as the Solidity enum numbers them. */
export const TimeoutAction = { Release: 0, Refund: 1 } as const;

/** EIP-712 domain name and version of EscrowVault. */
export const VAULT_DOMAIN_NAME = "EscrowVault";
export const VAULT_DOMAIN_VERSION = "1";

/** TIP-712 (TRON) masks the chain id to its low 32 bits; on EVM chains below 2^32 this is a no-op. */
export function maskChainId(chainId: bigint): bigint {
  return chainId & 0xffffffffn;
}

export function vaultTypedDataDomain(chainId: bigint, vaultAddress: string): TypedDataDomain {
  return { name: VAULT_DOMAIN_NAME, version: VAULT_DOMAIN_VERSION, chainId: maskChainId(chainId), verifyingContract: vaultAddress };
}

/**
 * The EIP-712 types live in vault-types.json so that the CommonJS TRON scripts read the very same
 * definitions; they must match the typehashes in InvoiceBook.sol and SignedActions.sol.
 */
const { Invoice, ...actions } = vaultTypes;

export const INVOICE_TYPES = { Invoice };

/** EIP-712 types of the signature-authorised actions, keyed by primary type. */
export const ACTION_TYPES = actions;

export type ActionKind = keyof typeof ACTION_TYPES;

/** An open escrow as the vault commits to it; pass it back with every action. */
export interface Escrow {
  token: string;
  payer: string;
  payee: string;
  arbiter: string;
  remaining: bigint;
  payBy: bigint;
  deadline: bigint;
  disputedAt: bigint;
  feeBps: bigint;
  timeoutAction: bigint;
}

/** Reads the escrow from the EscrowOpened event of a payment receipt. */
export function escrowFromReceipt(vault: EscrowVault, receipt: TransactionReceipt): { escrowId: string; escrow: Escrow } {
  for (const log of receipt.logs) {
    const parsed = vault.interface.parseLog(log);
    if (parsed?.name !== "EscrowOpened") continue;
    const a = parsed.args;
    return {
      escrowId: a.escrowId,
      escrow: {
        token: a.token,
        payer: a.payer,
        payee: a.payee,
        arbiter: a.arbiter,
        remaining: a.amount,
        payBy: a.payBy,
        deadline: a.deadline,
        disputedAt: 0n,
        feeBps: a.feeBps,
        timeoutAction: a.timeoutAction,
      },
    };
  }
  throw new Error("no EscrowOpened event in the receipt: was the invoice's hold period zero?");
}
