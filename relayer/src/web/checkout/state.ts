import type { InvoiceChain } from "../../merchants/index.js";
import type { Db } from "../../store/db.js";
import { selectInvoice, type StoredInvoice } from "../../store/invoices-repository.js";
import { selectInvoiceOwner, selectLatestChainTime } from "../../store/web-repository.js";

/**
 * The payer's view of an invoice: what the checkout page renders and what Server-Sent Events push.
 * Statuses seen, paid_partial, paid_over and paid_late come from the invoice's deposit address (a plain
 * transfer can carry any amount at any time); the wallet flow through the vault cannot produce them.
 */

export type CheckoutStatus =
  | "waiting"
  | "seen"
  | "confirmed"
  | "disputed"
  | "settled"
  | "refunded"
  | "expired"
  | "cancelled"
  | "paid_partial"
  | "paid_over"
  | "paid_late";

/** How long a payer's signed release or dispute stays valid, counted from chain time. */
export const AUTHORIZATION_VALIDITY_SECONDS = 3_600n;

export interface CheckoutInvoice {
  invoice: StoredInvoice;
  merchantName: string;
  chain: InvoiceChain;
}

/** The public state pushed to the page; no merchant-only data (metadata stays out). */
export interface CheckoutState {
  status: CheckoutStatus;
  escrow: null | {
    status: string;
    payer: string;
    remaining: string;
    deadline: number;
    hasArbiter: boolean;
  };
  /** Suggested validBefore for a signature now: chain time (as ingested) plus an hour. */
  validBefore: string;
}

export async function loadCheckoutInvoice(db: Db, chains: Map<string, InvoiceChain>, invoiceId: string): Promise<CheckoutInvoice | undefined> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(invoiceId)) return undefined;
  const owner = await selectInvoiceOwner(db, invoiceId);
  const chain = owner && chains.get(owner.chain);
  if (!owner || !chain) return undefined;
  const invoice = await selectInvoice(db, owner.merchantId, invoiceId, owner.chain);
  return invoice ? { invoice, merchantName: owner.merchantName, chain } : undefined;
}

export function checkoutStatus(invoice: StoredInvoice): CheckoutStatus {
  const deposit = invoice.deposit;
  switch (invoice.status) {
    case "created":
      if (deposit?.status === "processing") return "seen";
      return deposit?.exception === "paid_partial" ? "paid_partial" : "waiting";
    case "paid":
      return invoice.escrow?.status === "disputed" ? "disputed" : "confirmed";
    case "settled":
      return deposit?.exception === "paid_over" ? "paid_over" : "settled";
    case "refunded":
      return "refunded";
    case "expired":
      if (deposit?.exception === "paid_late" || deposit?.exception === "paid_partial") return deposit.exception;
      return "expired";
    case "cancelled":
      return "cancelled";
  }
}

export async function checkoutState(db: Db, loaded: CheckoutInvoice): Promise<CheckoutState> {
  const { invoice, chain } = loaded;
  const escrow = invoice.escrow;
  // Wall clock and chain clock can differ (a local chain moved ahead, a lagging node): take the later.
  const chainTime = (await selectLatestChainTime(db, invoice.chain)) ?? 0n;
  const now = BigInt(Math.floor(Date.now() / 1000));
  return {
    status: checkoutStatus(invoice),
    escrow: escrow
      ? {
          status: escrow.status,
          payer: chain.formatAddress(escrow.payer),
          remaining: escrow.remaining.toString(),
          deadline: Number(escrow.deadline),
          hasArbiter: !/^0x0{40}$/.test(escrow.arbiter),
        }
      : null,
    validBefore: ((chainTime > now ? chainTime : now) + AUTHORIZATION_VALIDITY_SECONDS).toString(),
  };
}
