import { OPEN_ESCROW_STATUSES, type EscrowProjection } from "../../domain/escrow.js";
import type { InvoiceChain } from "../../merchants/index.js";
import type { StoredInvoice } from "../../store/invoices-repository.js";
import { INVOICE_STATUSES } from "../../store/invoices-repository.js";
import type { BalanceRow } from "../../store/web-repository.js";
import { formatDate, formatTime, formatUnits, shortHex } from "../format.js";
import { html, type SafeHtml } from "../html.js";
import { fillDays, volumeChart, type DayVolume } from "./chart.js";
import { selectField } from "./shell.js";

/** Server-rendered dashboard pages: sign-in, overview (balances, volume), invoice and escrow lists. */

export const ESCROW_STATUSES = ["open", "disputed", "released", "refunded", "resolved", "timed_out"] as const;
export const VOLUME_DAYS = 14;

export interface ListFilter {
  status?: string;
  chain?: string;
  q?: string;
}

const fmt = (chains: Map<string, InvoiceChain>, chain: string, hex: string) => chains.get(chain)?.formatAddress(hex) ?? hex;

export function loginBody(error?: string): SafeHtml {
  return html`<h1>Sign in</h1>
${error ? html`<p class="message error" role="alert">${error}</p>` : ""}
<form method="post" action="/dashboard/login" class="login">
  <label for="api-key">API key</label>
  <input id="api-key" name="apiKey" type="password" autocomplete="current-password" required spellcheck="false" placeholder="sk_live_…">
  <button type="submit" class="primary">Sign in</button>
</form>
<p class="hint">The key stays on this relayer: it is exchanged for a session cookie that lasts 12 hours and ends when the key is revoked.</p>`;
}

export function overviewBody(chains: Map<string, InvoiceChain>, balances: BalanceRow[], volume: DayVolume[]): SafeHtml {
  const days = fillDays(volume, VOLUME_DAYS);
  const rows = balances.map(
    (b) => html`<tr><td>${b.chain}</td><td><code class="addr" title="${fmt(chains, b.chain, b.token)}">${shortHex(fmt(chains, b.chain, b.token))}</code></td>
<td class="num">${b.openCount}</td><td class="num">${formatUnits(b.held)}</td><td class="num">${formatUnits(b.paidOut)}</td><td class="num">${formatUnits(b.refunded)}</td><td class="num">${formatUnits(b.fees)}</td></tr>`,
  );
  return html`<h1>Overview</h1>
<section aria-labelledby="balances-heading">
<h2 id="balances-heading">Balances per chain and token</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Chain</th><th scope="col">Token</th><th scope="col">Open escrows</th><th scope="col">Held in escrow</th><th scope="col">Paid out to you</th><th scope="col">Refunded</th><th scope="col">Fees</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7">No escrows yet.</td></tr>`}</tbody>
</table></div>
</section>
<section aria-labelledby="volume-heading">
<h2 id="volume-heading">Paid volume per day (last ${VOLUME_DAYS} days, UTC)</h2>
${volumeChart(days, `Paid volume per day over the last ${VOLUME_DAYS} days`)}
<details><summary>Volume as a table</summary><div class="table-wrap"><table><thead><tr><th scope="col">Day</th><th scope="col">Payments</th><th scope="col">Amount</th></tr></thead>
<tbody>${days.map((d) => html`<tr><td>${d.day}</td><td class="num">${d.count}</td><td class="num">${formatUnits(d.amount)}</td></tr>`)}</tbody></table></div></details>
</section>`;
}

function filterForm(action: string, statuses: readonly string[], chains: Map<string, InvoiceChain>, filter: ListFilter): SafeHtml {
  return html`<form method="get" action="${action}" class="filters" role="search">
${selectField("status", "Status", statuses, filter.status)}
${selectField("chain", "Chain", [...chains.keys()], filter.chain)}
<label>Search <input type="search" name="q" value="${filter.q ?? ""}" placeholder="reference or 0x id"></label>
<button type="submit">Filter</button>
</form>`;
}

export function invoicesBody(chains: Map<string, InvoiceChain>, invoices: StoredInvoice[], filter: ListFilter): SafeHtml {
  const rows = invoices.map(
    (i) => html`<tr>
<td>${formatDate(i.createdAt)}</td>
<td>${i.merchantReference}</td>
<td class="num">${formatUnits(i.amount)}</td>
<td>${i.chain}</td>
<td><span class="badge badge-${i.status}">${i.status}</span></td>
<td>${formatTime(i.payBy)}</td>
<td><a href="/pay/${i.invoiceId}" title="${i.invoiceId}">checkout ${shortHex(i.invoiceId)}</a>${
      i.escrow ? html` · <a href="/dashboard/escrows/${i.chain}/${i.invoiceId}">escrow</a>` : ""
    }</td>
</tr>`,
  );
  return html`<h1>Invoices</h1>
${filterForm("/dashboard/invoices", INVOICE_STATUSES, chains, filter)}
<div class="table-wrap"><table>
<caption>${invoices.length} invoice${invoices.length === 1 ? "" : "s"}, newest first</caption>
<thead><tr><th scope="col">Created</th><th scope="col">Reference</th><th scope="col">Amount</th><th scope="col">Chain</th><th scope="col">Status</th><th scope="col">Pay by</th><th scope="col">Links</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7">No invoices match.</td></tr>`}</tbody>
</table></div>`;
}

export function escrowsBody(chains: Map<string, InvoiceChain>, escrows: (EscrowProjection & { referenceText: string | null })[], filter: ListFilter): SafeHtml {
  const rows = escrows.map(
    (e) => html`<tr>
<td><a href="/dashboard/escrows/${e.chain}/${e.escrowId}" title="${e.escrowId}">${shortHex(e.escrowId)}</a></td>
<td>${e.referenceText ?? "—"}</td>
<td>${e.chain}</td>
<td class="num">${formatUnits(e.amount)}</td>
<td class="num">${formatUnits(e.remaining)}</td>
<td><span class="badge badge-${e.status}">${e.status}</span></td>
<td>${OPEN_ESCROW_STATUSES.includes(e.status) ? formatTime(e.deadline) : "—"}</td>
<td><code class="addr" title="${fmt(chains, e.chain, e.payer)}">${shortHex(fmt(chains, e.chain, e.payer))}</code></td>
</tr>`,
  );
  return html`<h1>Escrows</h1>
${filterForm("/dashboard/escrows", ESCROW_STATUSES, chains, filter)}
<div class="table-wrap"><table>
<caption>${escrows.length} escrow${escrows.length === 1 ? "" : "s"}, newest first</caption>
<thead><tr><th scope="col">Escrow</th><th scope="col">Reference</th><th scope="col">Chain</th><th scope="col">Amount</th><th scope="col">Remaining</th><th scope="col">Status</th><th scope="col">Deadline</th><th scope="col">Payer</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8">No escrows match.</td></tr>`}</tbody>
</table></div>`;
}
