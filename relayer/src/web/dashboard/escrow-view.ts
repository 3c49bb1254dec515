import { OPEN_ESCROW_STATUSES, type EscrowProjection } from "../../domain/escrow.js";
import type { InvoiceChain } from "../../merchants/index.js";
import type { SignedActionEntry, TimelineEntry } from "../../store/web-repository.js";
import type { Explorer } from "../explorer.js";
import { formatDate, formatTime, formatUnits, shortHex } from "../format.js";
import { html, jsonIsland, type SafeHtml } from "../html.js";
import { csrfField } from "./shell.js";

/** One escrow: its terms, every on-chain event with explorer links, queued actions, refund/release. */

const AMOUNT_FIELDS = new Set(["amount", "fee", "payeeAmount", "payerAmount"]);
const TIME_FIELDS = new Set(["payBy", "deadline", "previousDeadline", "newDeadline"]);

function argList(chain: InvoiceChain, args: Record<string, unknown>): SafeHtml {
  const entries = Object.entries(args).filter(([key]) => !["name", "escrowId", "invoiceId", "merchantReference"].includes(key));
  return html`<ul class="args">${entries.map(([key, value]) => {
    const text = String(value);
    const shown = AMOUNT_FIELDS.has(key) ? formatUnits(BigInt(text)) : TIME_FIELDS.has(key) ? formatTime(BigInt(text)) : /^0x[0-9a-f]{40}$/.test(text) ? chain.formatAddress(text) : text;
    return html`<li><span class="k">${key}</span> ${shown}</li>`;
  })}</ul>`;
}

function timeline(chain: InvoiceChain, explorer: Explorer, events: TimelineEntry[]): SafeHtml {
  return html`<ol class="timeline">${events.map((e) => {
    const link = explorer.tx(e.txHash);
    const tx = link ? html`<a href="${link}" rel="noreferrer noopener" target="_blank">${shortHex(e.txHash, 10)}</a>` : html`<code>${shortHex(e.txHash, 10)}</code>`;
    return html`<li><p class="event"><strong>${e.eventName}</strong> · ${formatTime(e.blockTimestamp)} · block ${e.blockNumber} · tx ${tx}</p>${argList(chain, e.args)}</li>`;
  })}</ol>`;
}

function actionsTable(chain: InvoiceChain, actions: SignedActionEntry[]): SafeHtml {
  if (actions.length === 0) return html`<p>No signed actions submitted through the relayer.</p>`;
  return html`<div class="table-wrap"><table><thead><tr><th scope="col">Action</th><th scope="col">Amount</th><th scope="col">Signer</th><th scope="col">State</th><th scope="col">Queued</th></tr></thead>
<tbody>${actions.map(
    (a) => html`<tr><td>${a.action}</td><td class="num">${a.amount === null ? "—" : formatUnits(a.amount)}</td><td><code class="addr">${shortHex(chain.formatAddress(a.signer))}</code></td>
<td><span class="badge badge-${a.state}">${a.state}</span>${a.error ? html` ${a.error}` : ""}</td><td>${formatDate(a.createdAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

function actionForms(escrow: EscrowProjection, csrf: string, relayerSigns: boolean): SafeHtml {
  if (!OPEN_ESCROW_STATUSES.includes(escrow.status)) return html`<p>This escrow is ${escrow.status}; nothing left to do.</p>`;
  const base = `/dashboard/escrows/${escrow.chain}/${escrow.escrowId}`;
  return html`<div class="actions">
<label for="action-amount">Amount (raw units, at most ${escrow.remaining.toString()})</label>
<input id="action-amount" name="amount" inputmode="numeric" pattern="[0-9]+" value="${escrow.remaining.toString()}" ${relayerSigns ? html`form="server-refund"` : ""}>
<div id="wallet-actions" hidden>
  <button type="button" id="refund-wallet" class="primary">Refund: sign with your wallet</button>
  <button type="button" id="release-wallet">Release: sign with your wallet (arbiter while disputed)</button>
</div>
${
  relayerSigns
    ? html`<form method="post" action="${base}/refund" id="server-refund">${csrfField(csrf)}<button type="submit" id="refund-relayer">Refund, signed by the relayer with your merchant key</button></form>`
    : ""
}
<p id="action-message" class="message" role="status"></p>
</div>`;
}

export interface EscrowPageInput {
  chain: InvoiceChain;
  explorer: Explorer;
  escrow: EscrowProjection;
  reference: string | null;
  events: TimelineEntry[];
  actions: SignedActionEntry[];
  csrf: string;
  relayerSigns: boolean;
}

export function escrowBody(input: EscrowPageInput): SafeHtml {
  const { escrow, chain, explorer } = input;
  const address = (hex: string) => {
    const shown = chain.formatAddress(hex);
    const link = explorer.address(shown);
    return link ? html`<a href="${link}" rel="noreferrer noopener" target="_blank"><code class="addr">${shown}</code></a>` : html`<code class="addr">${shown}</code>`;
  };
  const base = `/dashboard/escrows/${escrow.chain}/${escrow.escrowId}`;
  return html`<h1>Escrow ${shortHex(escrow.escrowId)}</h1>
<p><span class="badge badge-${escrow.status}">${escrow.status}</span> ${input.reference ? html`· reference ${input.reference}` : ""}</p>
<dl class="facts">
<div><dt>Escrow id</dt><dd><code class="addr">${escrow.escrowId}</code></dd></div>
<div><dt>Chain</dt><dd>${escrow.chain}</dd></div>
<div><dt>Amount</dt><dd>${formatUnits(escrow.amount)} (remaining ${formatUnits(escrow.remaining)})</dd></div>
<div><dt>Payer</dt><dd>${address(escrow.payer)}</dd></div>
<div><dt>Payee</dt><dd>${address(escrow.payee)}</dd></div>
<div><dt>Deadline</dt><dd>${formatTime(escrow.deadline)} (then ${escrow.timeoutAction})</dd></div>
</dl>
<section aria-labelledby="timeline-heading"><h2 id="timeline-heading">Timeline</h2>${timeline(chain, explorer, input.events)}</section>
<section aria-labelledby="signed-heading"><h2 id="signed-heading">Signed actions</h2>${actionsTable(chain, input.actions)}</section>
<section aria-labelledby="act-heading"><h2 id="act-heading">Release or refund</h2>${actionForms(escrow, input.csrf, input.relayerSigns)}</section>
${jsonIsland("escrow-data", { typedDataUrl: `${base}/typed-data`, actionsUrl: `${base}/actions`, csrf: input.csrf, chainId: chain.chainId.toString(), kind: chain.kind })}`;
}
