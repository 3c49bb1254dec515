import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from "../../store/webhooks-repository.js";
import { formatDate, shortHex } from "../format.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField } from "./shell.js";

/** Webhook endpoints: list and add, then per endpoint its actions and the delivery log. */

/** "Redeliver all failed" goes back this far. */
export const REDELIVER_WINDOW_DAYS = 30;

const postButton = (action: string, csrf: string, label: string, extra: SafeHtml | string = "") =>
  html`<form method="post" action="${action}" class="inline">${csrfField(csrf)}${extra}<button type="submit">${label}</button></form>`;

export function endpointsBody(endpoints: WebhookEndpointRow[], csrf: string): SafeHtml {
  const rows = endpoints.map(
    (e) => html`<tr><td><a href="/dashboard/webhooks/${e.id}">${e.url}</a></td><td>${e.description || "—"}</td>
<td><span class="badge badge-${e.status}">${e.status}</span>${e.disabledReason ? html` (${e.disabledReason})` : ""}</td><td>${e.eventTypes?.join(", ") ?? "all events"}</td></tr>`,
  );
  return html`<h1>Webhooks</h1>
<div class="table-wrap"><table><caption>Endpoints</caption>
<thead><tr><th scope="col">URL</th><th scope="col">Description</th><th scope="col">Status</th><th scope="col">Events</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4">No endpoints yet.</td></tr>`}</tbody></table></div>
<section aria-labelledby="add-heading"><h2 id="add-heading">Add an endpoint</h2>
<form method="post" action="/dashboard/webhooks" class="stack">${csrfField(csrf)}
<label for="ep-url">URL</label><input id="ep-url" name="url" type="url" required placeholder="https://shop.example.com/hooks/relayer">
<label for="ep-desc">Description</label><input id="ep-desc" name="description" maxlength="200">
<button type="submit" class="primary">Add endpoint</button>
</form></section>`;
}

export function secretBody(endpointId: string, secret: string, what: "created" | "rotated", previousExpiresAt?: Date): SafeHtml {
  return html`<h1>${what === "created" ? "Endpoint added" : "Secret rotated"}</h1>
<p>Copy the signing secret now: it is shown only once.</p>
<p><code class="addr secret" id="secret">${secret}</code></p>
${previousExpiresAt ? html`<p>The previous secret keeps signing until ${formatDate(previousExpiresAt)}.</p>` : ""}
<p><a href="/dashboard/webhooks/${endpointId}">Back to the endpoint</a></p>`;
}

function headers(record: Record<string, string> | null): string {
  return record ? Object.entries(record).map(([k, v]) => `${k}: ${v}`).join("\n") : "";
}

function attemptBlock(a: WebhookAttemptRow): SafeHtml {
  return html`<li class="attempt">
<p><strong>#${a.attemptNumber}</strong> ${a.trigger} · ${formatDate(a.startedAt)} · <span class="outcome outcome-${a.outcome}">${a.outcome}</span>
${a.responseStatus === null ? "" : html` · HTTP ${a.responseStatus}`} · ${a.durationMs} ms${a.error ? html` · ${a.error}` : ""}</p>
<details><summary>Request and response</summary>
<p>POST ${a.url}</p>
<pre>${headers(a.requestHeaders)}\n\n${a.requestBody}</pre>
<p>Response</p>
<pre>${headers(a.responseHeaders)}\n\n${a.responseBody ?? ""}</pre>
</details></li>`;
}

export interface EndpointPageInput {
  endpoint: WebhookEndpointRow;
  deliveries: { delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }[];
  csrf: string;
}

export function endpointBody({ endpoint, deliveries, csrf }: EndpointPageInput): SafeHtml {
  const base = `/dashboard/webhooks/${endpoint.id}`;
  const since = new Date(Date.now() - REDELIVER_WINDOW_DAYS * 86_400_000).toISOString();
  const rows = deliveries.map(
    ({ delivery: d, attempts }) => html`<tr>
<td>${formatDate(d.createdAt)}</td><td>${d.eventType}</td><td><span class="badge badge-${d.status}">${d.status}</span></td>
<td class="num">${d.attemptCount}</td><td>${d.lastStatusCode ?? "—"}</td>
<td>${postButton(`/dashboard/deliveries/${d.id}/redeliver`, csrf, "Redeliver", html`<input type="hidden" name="endpoint" value="${endpoint.id}">`)}</td>
</tr><tr class="attempts"><td colspan="6"><p class="visually-hidden">Attempts of delivery ${shortHex(d.id)}</p><ol>${attempts.map(attemptBlock)}</ol></td></tr>`,
  );
  return html`<h1>Endpoint</h1>
<dl class="facts">
<div><dt>URL</dt><dd><code class="addr">${endpoint.url}</code></dd></div>
<div><dt>Status</dt><dd><span class="badge badge-${endpoint.status}">${endpoint.status}</span>${endpoint.disabledReason ? html` (${endpoint.disabledReason})` : ""}</dd></div>
<div><dt>Events</dt><dd>${endpoint.eventTypes?.join(", ") ?? "all events"}</dd></div>
</dl>
<div class="toolbar">
${postButton(`${base}/test`, csrf, "Send test event")}
${postButton(`${base}/rotate`, csrf, "Rotate secret")}
${postButton(`${base}/redeliver-failed`, csrf, `Redeliver all failed (last ${REDELIVER_WINDOW_DAYS} days)`, html`<input type="hidden" name="since" value="${since}">`)}
${endpoint.status === "enabled" ? postButton(`${base}/disable`, csrf, "Disable") : postButton(`${base}/enable`, csrf, "Enable")}
</div>
<section aria-labelledby="log-heading"><h2 id="log-heading">Delivery log</h2>
<div class="table-wrap"><table class="log"><caption>Newest first, with every attempt's request, response and timing</caption>
<thead><tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last HTTP</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="6">No deliveries yet.</td></tr>`}</tbody></table></div>
</section>`;
}
