import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, signInvoice, type InvoiceStruct } from "../helpers";
import type { DepositRouter, EscrowVault, TestToken } from "../../../typechain-types";

/** The shared fixture plus the router the vault created, and a stranger with no stake in anything. */
export async function depositFixture() {
  const f = await deployVaultFixture();
  const router = (await ethers.getContractAt("DepositRouter", await f.vault.depositRouter())) as unknown as DepositRouter;
  const [, , , , , , , stranger, refundWallet] = await ethers.getSigners();
  return { ...f, router, stranger, refundWallet };
}

export interface DepositInvoice {
  invoice: InvoiceStruct;
  signature: string;
  invoiceId: string;
  deposit: string;
}

/** Signs `invoice` by `merchant` and returns it with its id and deposit address (nothing is sent). */
export async function depositInvoice(
  vault: EscrowVault,
  merchant: Signer,
  overrides: Partial<Omit<InvoiceStruct, "merchant">> & { token: string },
): Promise<DepositInvoice> {
  const invoice = await makeInvoice({ ...overrides, merchant: await merchant.getAddress(), token: overrides.token });
  const signature = await signInvoice(vault, merchant, invoice);
  const invoiceId = await vault.hashInvoice(invoice);
  const deposit = await vault.depositAddress(invoiceId);
  return { invoice, signature, invoiceId, deposit };
}

/** A plain token transfer to the deposit address: what a wallet or an exchange does when the payer scans the QR code. */
export async function sendToDeposit(token: TestToken, from: Signer, deposit: string, amount: bigint): Promise<void> {
  await (await token.connect(from).transfer(deposit, amount)).wait();
}

/**
 * Runs `action` and checks that no unit of `token` was created or lost among `accounts`: their balances sum
 * to the same total before and after (every token unit accounted for).
 */
export async function expectConserved(token: TestToken, accounts: string[], action: () => Promise<unknown>): Promise<void> {
  const sum = async () => {
    let total = 0n;
    for (const account of accounts) total += await token.balanceOf(account);
    return total;
  };
  const before = await sum();
  await action();
  expect(await sum()).to.equal(before);
}
