import { ethers } from "hardhat";
import type { Signer, TypedDataDomain, ContractTransactionReceipt } from "ethers";
import type { EscrowVault } from "../../typechain-types";
import type { IEscrowVault } from "../../typechain-types/contracts/EscrowVault";

/** Timeout actions, as the Solidity enum numbers them. */
export const TimeoutAction = { Release: 0, Refund: 1 } as const;

export type InvoiceStruct = IEscrowVault.InvoiceStruct;
export type EscrowStruct = IEscrowVault.EscrowStruct;

/** A plain-object escrow, as read back from the EscrowOpened event and updated by tests. */
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

/** The vault's EIP-712 domain; the chain id is masked to 32 bits as TIP-712 requires. */
export async function vaultDomain(vault: EscrowVault): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return {
    name: "EscrowVault",
    version: "1",
    chainId: chainId & 0xffffffffn,
    verifyingContract: await vault.getAddress(),
  };
}

export async function signInvoice(vault: EscrowVault, signer: Signer, invoice: InvoiceStruct): Promise<string> {
  return signer.signTypedData(await vaultDomain(vault), INVOICE_TYPES, invoice);
}

/** Signs an action's typed data and returns the Authorization struct the vault expects. */
export async function authorize(
  vault: EscrowVault,
  signer: Signer,
  kind: ActionKind,
  fields: Record<string, unknown>,
  opts: { nonce?: bigint; validBefore?: bigint } = {},
): Promise<IEscrowVault.AuthorizationStruct> {
  const nonce = opts.nonce ?? BigInt(ethers.hexlify(ethers.randomBytes(8)));
  const validBefore = opts.validBefore ?? BigInt(await latestTimestamp()) + 3600n;
  const types = { [kind]: [...ACTION_TYPES[kind]] };
  const signature = await signer.signTypedData(await vaultDomain(vault), types, { ...fields, nonce, validBefore });
  return { signer: await signer.getAddress(), nonce, validBefore, signature };
}

export async function latestTimestamp(): Promise<number> {
  const block = await ethers.provider.getBlock("latest");
  return block!.timestamp;
}

/** Builds an invoice with sensible defaults: 100 units of a 6-decimal token, pay within an hour, hold a week. */
export async function makeInvoice(overrides: Partial<InvoiceStruct> & { merchant: string; token: string }): Promise<InvoiceStruct> {
  const now = BigInt(await latestTimestamp());
  return {
    amount: 100_000_000n,
    payBy: now + 3600n,
    holdPeriod: 7n * 24n * 3600n,
    timeoutAction: TimeoutAction.Release,
    arbiter: ethers.ZeroAddress,
    payer: ethers.ZeroAddress,
    merchantReference: ethers.encodeBytes32String("order-1"),
    nonce: BigInt(ethers.hexlify(ethers.randomBytes(8))),
    ...overrides,
  };
}

/** Reads the escrow back from the EscrowOpened event of a payment receipt. */
export function escrowFromReceipt(vault: EscrowVault, receipt: ContractTransactionReceipt): { escrowId: string; escrow: Escrow } {
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
  throw new Error("no EscrowOpened event in receipt");
}

/** Signs and pays `invoice` from `payer`, approving exactly the amount first; returns the opened escrow. */
export async function payInvoice(
  vault: EscrowVault,
  merchant: Signer,
  payer: Signer,
  invoice: InvoiceStruct,
): Promise<{ escrowId: string; escrow: Escrow; receipt: ContractTransactionReceipt }> {
  const token = await ethers.getContractAt("TestToken", invoice.token as string);
  const vaultAddress = await vault.getAddress();
  // USDT refuses non-zero to non-zero approvals: reset to zero first.
  if ((await token.allowance(await payer.getAddress(), vaultAddress)) !== 0n) {
    await (await token.connect(payer).approve(vaultAddress, 0)).wait();
  }
  await (await token.connect(payer).approve(vaultAddress, invoice.amount)).wait();
  const signature = await signInvoice(vault, merchant, invoice);
  const receipt = (await (await vault.connect(payer).payInvoice(invoice, signature)).wait())!;
  return { ...escrowFromReceipt(vault, receipt), receipt };
}
