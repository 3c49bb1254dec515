import { html, type SafeHtml } from "../html.js";
import { page } from "../layout.js";

/** The dashboard frame: navigation, sign-out form (with its CSRF token) and flash messages. */

const NAV = [
  ["overview", "/dashboard", "Overview"],
  ["invoices", "/dashboard/invoices", "Invoices"],
  ["escrows", "/dashboard/escrows", "Escrows"],
  ["webhooks", "/dashboard/webhooks", "Webhooks"],
] as const;

export type Section = (typeof NAV)[number][0];

/** Fixed texts for ?done=… after a redirect: nothing from the URL is echoed into the page. */
export const FLASH: Record<string, string> = {
  test: "Test event queued; it appears in the delivery log within seconds.",
  redelivered: "Delivery queued again.",
  "redelivered-failed": "Every failed delivery of this endpoint was queued again.",
  disabled: "Endpoint disabled.",
  enabled: "Endpoint enabled.",
  refund: "Refund queued; the relayer submits it now.",
};

export interface ShellInput {
  section: Section | "login";
  title: string;
  body: SafeHtml;
  csrf?: string;
  merchantName?: string;
  flash?: string;
  scripts?: string[];
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

export function dashboardPage(input: ShellInput): string {
  const header =
    input.section === "login"
      ? html`<header class="topbar"><p class="brand">Relayer dashboard</p></header>`
      : html`<header class="topbar">
  <p class="brand">${input.merchantName ?? "Merchant"}</p>
  <nav aria-label="Dashboard"><ul>${NAV.map(
    ([key, href, label]) => html`<li><a href="${href}" ${key === input.section ? html`aria-current="page"` : ""}>${label}</a></li>`,
  )}</ul></nav>
  <form method="post" action="/dashboard/logout" class="logout">${csrfField(input.csrf ?? "")}<button type="submit">Sign out</button></form>
</header>`;
  const flash = input.flash && FLASH[input.flash] ? html`<p class="flash" role="status">${FLASH[input.flash]}</p>` : "";
  return page({ lang: "en", title: `${input.title} · Relayer dashboard`, header, body: html`${flash}${input.body}`, scripts: input.scripts ?? [] });
}

/** A labelled select for filter forms; the current value stays selected. */
export function selectField(name: string, label: string, options: readonly string[], current: string | undefined): SafeHtml {
  return html`<label>${label} <select name="${name}"><option value="">all</option>${options.map(
    (o) => html`<option value="${o}" ${o === current ? html`selected` : ""}>${o}</option>`,
  )}</select></label>`;
}
