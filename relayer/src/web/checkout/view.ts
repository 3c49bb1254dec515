import { formatTime, formatUnits, DISPLAY_DECIMALS } from "../format.js";
import { html, jsonIsland, type SafeHtml } from "../html.js";
import { catalogueOf, type Lang, type Translate } from "../i18n.js";
import { page } from "../layout.js";
import type { CheckoutInvoice, CheckoutState } from "./state.js";

/**
 * The checkout page. Everything a payer needs is in the HTML itself (amount, addresses, QR code,
 * status, deadline); checkout.js adds the countdown, copy buttons, live status and wallet payment.
 */

/** Token label shown next to amounts; every token the product targets is a USDT. */
const TOKEN_LABEL = "USDT";
const TRON_PAY_SELECTOR = "payInvoice((address,address,uint256,uint48,uint48,uint8,address,address,bytes32,uint256),bytes)";

export interface CheckoutViewInput {
  loaded: CheckoutInvoice;
  state: CheckoutState;
  lang: Lang;
  t: Translate;
  qr: SafeHtml;
  qrKind: "transfer" | "checkout";
  checkoutPath: string;
  /** The invoice's wallet calls (approve, payInvoice) as the API returns them: display `to`, calldata. */
  paymentSteps: { to: string; data: string }[];
}

const copyButton = (value: string, label: string) => html`<button type="button" class="copy" data-copy="${value}" hidden>${label}</button>`;

function details(input: CheckoutViewInput): SafeHtml {
  const { invoice, chain } = input.loaded;
  const { t } = input;
  const amount = formatUnits(invoice.amount);
  return html`<dl class="facts">
  <div><dt>${t("checkout.amount")}</dt><dd class="amount"><span id="amount">${amount}</span> ${TOKEN_LABEL} ${copyButton(amount, t("checkout.copyAmount"))}</dd></div>
  <div><dt>${t("checkout.network")}</dt><dd>${chain.name} (${chain.kind === "tron" ? "TRON" : `chain id ${chain.chainId}`})</dd></div>
  <div><dt>${t("checkout.token")}</dt><dd><code class="addr">${chain.formatAddress(invoice.token)}</code></dd></div>
  <div><dt>${t("checkout.reference")}</dt><dd>${invoice.merchantReference}</dd></div>
  <div><dt>${t("checkout.payBy")}</dt><dd><time id="pay-by" datetime="${new Date(Number(invoice.payBy) * 1000).toISOString()}">${formatTime(invoice.payBy)}</time>
    <span id="countdown" class="countdown" aria-live="off"></span></dd></div>
</dl>`;
}

/** Scan-to-pay: the invoice's own address, for a plain transfer from any wallet or exchange. */
function depositAddress(input: CheckoutViewInput): SafeHtml {
  const { invoice, chain } = input.loaded;
  if (!invoice.deposit) return html``;
  const { t } = input;
  const address = chain.formatAddress(invoice.deposit.depositAddress);
  const received = invoice.deposit.received > 0n ? html`<p id="deposit-received">${t("checkout.depositReceived", { amount: formatUnits(invoice.deposit.received) })}</p>` : html``;
  return html`<div class="deposit">
  <p>${t("checkout.depositAddress", { amount: formatUnits(invoice.amount) })}<br><code class="addr" id="deposit-address">${address}</code> ${copyButton(address, t("checkout.copyAddress"))}</p>
  <p class="note">${t("checkout.depositNote")}</p>
  ${received}
</div>`;
}

function paySection(input: CheckoutViewInput): SafeHtml {
  const { invoice, chain } = input.loaded;
  const { t } = input;
  const vault = chain.formatAddress(invoice.vault);
  const qrText = input.qrKind === "transfer" ? t("checkout.qrDeposit") : t("checkout.qrCheckout");
  return html`<section id="pay" aria-labelledby="pay-heading" ${input.state.status === "waiting" ? "" : html`hidden`}>
  <h2 id="pay-heading">${t("checkout.payWithWallet")}</h2>
  <figure class="qr-box">${input.qr}<figcaption>${qrText}</figcaption></figure>
  ${depositAddress(input)}
  <p>${t("checkout.vault")}:<br><code class="addr" id="vault">${vault}</code> ${copyButton(vault, t("checkout.copyAddress"))}</p>
  <p class="warning">${t("checkout.vaultWarning")}</p>
  <div id="wallet" hidden>
    <p>${t("checkout.walletHint")}</p>
    <button type="button" id="pay-button" class="primary">${t("checkout.payWithWallet")}</button>
  </div>
  <noscript><p>${t("checkout.noJs")}</p></noscript>
</section>`;
}

function escrowSection(input: CheckoutViewInput): SafeHtml {
  const { t, state } = input;
  const escrow = state.escrow;
  const open = escrow !== null && (escrow.status === "open" || escrow.status === "disputed");
  const deadline = escrow ? formatTime(escrow.deadline) : "";
  const party = input.loaded.invoice.timeoutAction === "release" ? t("checkout.merchant") : t("checkout.payer");
  return html`<section id="escrow" aria-labelledby="escrow-heading" ${open ? "" : html`hidden`}>
  <h2 id="escrow-heading">${t("checkout.escrowHeading")}</h2>
  <p id="escrow-text">${t("checkout.escrowText", { deadline, timeoutParty: party })}</p>
  <p>${t("checkout.deadline")}: <time id="deadline">${deadline}</time></p>
  <div id="escrow-actions" hidden>
    <p>${t("checkout.noGas")}</p>
    <button type="button" id="release-button" class="primary">${t("checkout.release")}</button>
    <button type="button" id="dispute-button" ${escrow?.hasArbiter && escrow.status === "open" ? "" : html`hidden`}>${t("checkout.dispute")}</button>
  </div>
</section>`;
}

/** What checkout.js needs, as JSON in the page (CSP forbids inline scripts, not inert data). */
function pageData(input: CheckoutViewInput) {
  const { invoice, chain } = input.loaded;
  const steps = [
    { method: "approve", selector: "approve(address,uint256)" },
    { method: "payInvoice", selector: TRON_PAY_SELECTOR },
  ];
  return {
    invoiceId: invoice.invoiceId,
    chain: chain.name,
    kind: chain.kind,
    chainId: chain.chainId.toString(),
    domainChainId: (chain.chainId & 0xffffffffn).toString(),
    vault: chain.formatAddress(invoice.vault),
    vaultHex: invoice.vault,
    token: chain.formatAddress(invoice.token),
    tokenHex: invoice.token,
    amount: invoice.amount.toString(),
    decimals: DISPLAY_DECIMALS,
    tokenLabel: TOKEN_LABEL,
    payBy: Number(invoice.payBy),
    timeoutParty: input.loaded.invoice.timeoutAction === "release" ? input.t("checkout.merchant") : input.t("checkout.payer"),
    eventsUrl: `${input.checkoutPath}/events`,
    actionsUrl: `${input.checkoutPath}/actions`,
    steps: steps.map((step, i) => ({ ...step, ...payStep(input, i) })),
    state: input.state,
    lang: input.lang,
    messages: catalogueOf(input.lang),
  };
}

function payStep(input: CheckoutViewInput, index: number) {
  const { invoice, chain } = input.loaded;
  const data = input.paymentSteps[index]!;
  return { to: data.to, data: data.data, toHex: index === 0 ? invoice.token : invoice.vault, network: chain.name };
}

export function renderCheckout(input: CheckoutViewInput): string {
  const { t, loaded, state } = input;
  const other = input.lang === "zh" ? "en" : "zh";
  const body = html`<header class="checkout-head">
  <p class="merchant">${loaded.merchantName}</p>
  <h1>${t("checkout.heading", { merchant: loaded.merchantName })}</h1>
  <a class="lang" href="${input.checkoutPath}?lang=${other}" hreflang="${other === "zh" ? "zh-CN" : "en"}" lang="${other === "zh" ? "zh-CN" : "en"}">${t("lang.switch")}</a>
</header>
<p id="status" class="status" role="status" aria-live="polite" data-status="${state.status}">${t(`status.${state.status}`)}</p>
<p id="wallet-message" class="message" role="alert" hidden></p>
${details(input)}
${paySection(input)}
${escrowSection(input)}
${jsonIsland("checkout-data", pageData(input))}`;
  return page({ lang: input.lang, title: t("checkout.title", { merchant: loaded.merchantName }), body, scripts: ["checkout.js"] });
}

export function renderNotFound(t: Translate, lang: Lang): string {
  return page({ lang, title: t("notFound.title"), body: html`<h1>${t("notFound.title")}</h1><p>${t("notFound.text")}</p>` });
}
