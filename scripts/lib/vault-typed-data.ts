/**
 * The vault's typed data and event decoding, shared by the scripts, the benchmarks and the tests (and
 * the relayer later): one definition of the EIP-712 types so that every signer agrees with the
 * contract's typehashes.
 */
import type { TransactionReceipt, TypedDataDomain } from "ethers";
import type { EscrowVault } from "../../typechain-types";

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

export const INVOICE_TYPES = {
  Invoice: [
    { name: "merchant", type: "address" },
    { name: "token", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "payBy", type: "uint48" },
    { name: "holdPeriod", type: "uint48" },
    { name: "timeoutAction", type: "uint8" },
    { name: "arbiter", type: "address" },
    { name: "payer", type: "address" },
    { name: "merchantReference", type: "bytes32" },
    { name: "nonce", type: "uint256" },
  ],
};

/** EIP-712 types of the signature-authorised actions, keyed by primary type. */
export const ACTION_TYPES = {
  Release: [
    { name: "escrowId", type: "bytes32" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
  Refund: [
    { name: "escrowId", type: "bytes32" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
  Dispute: [
    { name: "escrowId", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
  Resolve: [
    { name: "escrowId", type: "bytes32" },
    { name: "payeeAmount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
  ExtendDeadline: [
    { name: "escrowId", type: "bytes32" },
    { name: "newDeadline", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
  CancelInvoice: [
    { name: "invoiceId", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
  Claim: [
    { name: "token", type: "address" },
    { name: "to", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "validBefore", type: "uint256" },
  ],
} as const;

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
