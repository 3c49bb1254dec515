import { ethers } from "hardhat";
import type { Signer, TypedDataDomain, ContractTransactionReceipt } from "ethers";
import {
  ACTION_TYPES,
  INVOICE_TYPES,
  TimeoutAction,
  escrowFromReceipt,
  vaultTypedDataDomain,
  type ActionKind,
  type Escrow,
} from "../../scripts/lib/vault-typed-data";
import type { EscrowVault } from "../../typechain-types";
import type { IEscrowVault } from "../../typechain-types/contracts/EscrowVault";

export {
  ACTION_TYPES,
  INVOICE_TYPES,
  TimeoutAction,
  escrowFromReceipt,
  type ActionKind,
  type Escrow,
} from "../../scripts/lib/vault-typed-data";

export type InvoiceStruct = IEscrowVault.InvoiceStruct;
export type EscrowStruct = IEscrowVault.EscrowStruct;

/** The vault's EIP-712 domain; the chain id is masked to 32 bits as TIP-712 requires. */
export async function vaultDomain(vault: EscrowVault): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return vaultTypedDataDomain(chainId, await vault.getAddress());
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
