import type { FoldContext } from "./escrow.js";
import { eventOrigin } from "./escrow.js";
import type { DerivedEvent } from "./events.js";
import type { ChainEvent } from "./vault-events.js";

/**
 * Events with no escrow projection behind them: invoices settled straight to the merchant (hold
 * period zero), cancelled invoices, payouts deferred outside an escrow and claims of deferred payouts.
 */
export function deriveInvoiceEvents(record: ChainEvent, ctx: FoldContext): DerivedEvent[] {
  const { event } = record;
  const origin = eventOrigin(record, ctx);
  const fmt = ctx.formatAddress;
  switch (event.name) {
    case "InvoiceSettled":
      return [
        {
          type: "invoice.paid",
          subjectId: record.subjectId,
          routeTo: event.merchant,
          data: {
            ...origin,
            invoiceId: event.invoiceId,
            settlement: "direct",
            payer: fmt(event.payer),
            merchant: fmt(event.merchant),
            token: fmt(event.token),
            amount: event.amount.toString(),
            fee: event.fee.toString(),
            merchantReference: event.merchantReference,
            escrow: null,
          },
        },
      ];
    case "InvoiceCancelled":
      return [
        {
          type: "invoice.cancelled",
          subjectId: record.subjectId,
          routeTo: event.merchant,
          data: { ...origin, invoiceId: event.invoiceId, merchant: fmt(event.merchant) },
        },
      ];
    case "PayoutDeferred": {
      // A settled invoice whose fee-bearing payout the token refused: the recipient is the merchant.
      const invoiceId = record.subjectId.startsWith("payout:") ? null : record.subjectId;
      return [
        {
          type: "escrow.payout_deferred",
          subjectId: record.subjectId,
          routeTo: event.recipient,
          data: { ...origin, invoiceId, recipient: fmt(event.recipient), token: fmt(event.token), amount: event.amount.toString() },
        },
      ];
    }
    case "PayoutClaimed":
      return [
        {
          type: "payout.claimed",
          subjectId: record.subjectId,
          routeTo: event.recipient,
          data: { ...origin, recipient: fmt(event.recipient), token: fmt(event.token), to: fmt(event.to), amount: event.amount.toString() },
        },
      ];
    default:
      return [];
  }
}
