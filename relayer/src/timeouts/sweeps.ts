import { Interface } from "ethers";
import type { TxCall, TxReceipt } from "../chains/writer.js";
import { signedStruct } from "../merchants/invoices.js";
import type { InvoiceRecord } from "../store/invoices-repository.js";
import { DepositRouter__factory } from "../../../typechain-types/index.js";

/**
 * Batched sweeps of deposit addresses: one `DepositRouter.sweepDeposits` call pays many invoices from
 * their addresses. The router sweeps each on its own, so one that cannot be paid any more (expired,
 * already paid, short) is reported by `DepositSweepFailed` and skipped rather than reverting the rest.
 */

/** Sweeps per transaction: a first sweep costs about 125,000 gas, so 40 stay near 5M. */
export const MAX_SWEEP_BATCH = 40;

let routerInterface: Interface | undefined;
/** The router's ABI as an ethers Interface (typechain's is typed against ethers' CommonJS build). */
function routerAbi(): Interface {
  routerInterface ??= new Interface(DepositRouter__factory.abi);
  return routerInterface;
}

export function buildSweepCall(router: string, invoices: readonly InvoiceRecord[]): TxCall {
  const calls = invoices.map((invoice) => ({ invoice: signedStruct(invoice), signature: invoice.signature }));
  return { to: router, data: routerAbi().encodeFunctionData("sweepDeposits", [calls]) };
}

/** What a mined batch did: invoices whose sweep failed inside it, by the router's events. */
export function sweepOutcome(router: string, receipt: TxReceipt): { failed: string[] } {
  const topic = routerAbi().getEvent("DepositSweepFailed")!.topicHash.toLowerCase();
  return { failed: receipt.logs.filter((log) => log.address === router && log.topics[0] === topic && log.topics[1]).map((log) => log.topics[1]!.toLowerCase()) };
}
