import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKey, startWebStack, type WebStack } from "./support/stack.js";
import { axeViolations, collectPageErrors, guardOrigin, injectWallet, launchBrowser, screenshot, type WalletControl } from "./support/browser.js";

/**
 * The checkout page and the merchant dashboard in a real Chromium against the whole stack: a payer
 * pays with an injected wallet and watches the status change over SSE, releases early by signature;
 * the merchant signs in, refunds an escrow with its wallet, reads the timeline and redelivers a
 * webhook whose receiver failed first. axe-core runs on every main page; no request may leave the
 * relayer's origin.
 */

/** Upper bound for anything the relayer does in the background (it polls every 200 ms). */
const LIVE_MS = 30_000;
const RELOAD_TRIES = 40;
const RELOAD_PAUSE_MS = 500;

let stack: WebStack;
let browser: Browser;
let context: BrowserContext;
let foreign: string[];
const wallet: WalletControl = { calls: [] };
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  page.on("close", () => pageErrors.push(...errors));
  return page;
}

async function expectAccessible(page: Page): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Reloads until `probe` holds; the dashboard has no live updates. */
async function reloadUntil(page: Page, what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < RELOAD_TRIES; i++) {
    if (await probe()) return;
    await page.waitForTimeout(RELOAD_PAUSE_MS);
    await page.reload();
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function createInvoice(reference: string, extra: Record<string, unknown> = {}) {
  const created = await stack.api("POST", "/v1/invoices", {
    chain: "local",
    token: stack.fx.token,
    amount: "25000000",
    expiresIn: 3_600,
    holdPeriod: 86_400,
    timeoutAction: "release",
    merchantReference: reference,
    ...extra,
  });
  expect(created.status).toBe(201);
  return created.json as { id: string; checkoutUrl: string; payment: { steps: { to: string; data: string }[] } };
}

beforeAll(async () => {
  stack = await startWebStack();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  foreign = await guardOrigin(context, stack.relayer.url);
  await injectWallet(context, stack.node, stack.fx.chainId, wallet);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.stop();
});

describe("checkout page", () => {
  it("shows the invoice, pays with the injected wallet, and turns to confirmed over SSE without a reload", async () => {
    const invoice = await createInvoice("order-42", { arbiter: (await stack.fx.arbiter.getAddress()).toLowerCase() });
    expect(invoice.checkoutUrl).toBe(`${stack.relayer.url}/pay/${invoice.id}`);
    const page = await newPage();
    const response = await page.goto(invoice.checkoutUrl);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await expect.poll(() => page.textContent("#amount")).toBe("25.00");
    expect(await page.textContent("h1")).toBe(`Payment to ${stack.merchantName}`);
    expect(await page.getAttribute("#status", "data-status")).toBe("waiting");
    expect(await page.locator("svg.qr").count()).toBe(1);
    // Pay-by is an hour ahead: a fresh page shows 1:00:00, a second later 59:59.
    expect(await page.textContent("#countdown")).toMatch(/Time left: (1:00:00|59:\d\d)/);
    await screenshot(page, "checkout-waiting");
    await expectAccessible(page);

    wallet.wallet = accountKey(7).connect(stack.payer.provider) as never; // no test USDT at all
    await page.click("#pay-button");
    await expect.poll(() => page.textContent("#wallet-message")).toMatch(/^Not enough USDT: this wallet holds 0\.00, the invoice asks 25\.00\./);

    wallet.wallet = stack.payer;
    wallet.wrongChain = true;
    await page.click("#pay-button");
    await expect.poll(() => page.textContent("#wallet-message")).toMatch(/another network\. Switch it to local \(chain id 31337\)/);
    wallet.wrongChain = false;

    wallet.rejectNext = "eth_sendTransaction";
    await page.click("#pay-button");
    await expect.poll(() => page.textContent("#wallet-message")).toBe("You rejected the request in your wallet. Nothing was sent.");

    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await page.click("#pay-button");
    await page.waitForSelector('#status[data-status="confirmed"]', { timeout: LIVE_MS });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The rejected attempt, then approve (the payer had no allowance) and payInvoice.
    expect(wallet.calls.filter((m) => m === "eth_sendTransaction")).toHaveLength(3);
    expect(await page.textContent("#status")).toBe("Paid: held in escrow");
    expect(await page.isVisible("#release-button")).toBe(true);
    expect(await page.isVisible("#dispute-button")).toBe(true);
    expect(await page.textContent("#escrow-text")).toMatch(/^Your payment is held in escrow until \S.+\. Then it goes to the merchant/);
    expect(await page.textContent("#countdown")).toBe("");
    await screenshot(page, "checkout-paid");
    await expectAccessible(page);

    // Release early: the payer signs typed data, the relayer submits releaseWithSig, SSE reports it.
    await page.click("#release-button");
    await expect.poll(() => page.textContent("#wallet-message")).toBe("Signed and submitted; the relayer sends it now.");
    await page.waitForSelector('#status[data-status="settled"]', { timeout: LIVE_MS });
    expect(await page.isHidden("#escrow")).toBe(true);
    await page.close();
  });

  it("is readable without JavaScript: amount, vault address, QR code and status", async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const page = await noJs.newPage();
    const invoice = await createInvoice("order-nojs");
    await page.goto(invoice.checkoutUrl);
    expect(await page.textContent("#amount")).toBe("25.00");
    expect((await page.textContent("#vault"))!.toLowerCase()).toBe(stack.fx.vault);
    expect(await page.locator("svg.qr path").count()).toBeGreaterThan(0);
    expect(await page.textContent("#status")).toBe("Waiting for payment");
    expect(await page.isVisible("#pay-button")).toBe(false);
    await noJs.close();
  });

  it("fits a phone screen and speaks Chinese from ?lang=zh or Accept-Language", async () => {
    const invoice = await createInvoice("订单-7");
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const phoneForeign = await guardOrigin(phone, stack.relayer.url);
    const page = await phone.newPage();
    await page.goto(invoice.checkoutUrl);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, "checkout-phone");
    await expectAccessible(page);

    await page.goto(`${invoice.checkoutUrl}?lang=zh`);
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.textContent("h1")).toBe(`付款给 ${stack.merchantName}`);
    expect(await page.textContent("#status")).toBe("等待付款");
    await screenshot(page, "checkout-zh");
    await expectAccessible(page);
    expect(phoneForeign).toEqual([]);
    await phone.close();

    const zh = await fetch(invoice.checkoutUrl, { headers: { "accept-language": "fr;q=0.9, zh-TW;q=0.8, en;q=0.5" } });
    expect(await zh.text()).toContain('<html lang="zh-CN">');
  });
});

describe("merchant dashboard", () => {
  let page: Page;

  it("signs in with an API key for a strict, HttpOnly session cookie", async () => {
    page = await newPage();
    await page.goto(`${stack.relayer.url}/dashboard`);
    expect(page.url()).toBe(`${stack.relayer.url}/dashboard/login`);
    await expectAccessible(page);
    await page.fill("#api-key", "sk_test_wrong");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    expect(await page.textContent("[role=alert]")).toContain("unknown, revoked or mistyped");
    await page.fill("#api-key", stack.apiKey);
    await Promise.all([page.waitForURL(`${stack.relayer.url}/dashboard`), page.click("button[type=submit]")]);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "relayer_session", httpOnly: true, sameSite: "Strict", secure: false, path: "/dashboard" });
    expect(await page.textContent("#balances-heading")).toBe("Balances per chain and token");
    expect(await page.locator("svg.chart rect").count()).toBe(14);
    await expectAccessible(page);

    // A form post without the CSRF token is refused even with the cookie.
    const refused = await fetch(`${stack.relayer.url}/dashboard/webhooks`, {
      method: "POST",
      headers: { cookie: `relayer_session=${cookie!.value}`, "content-type": "application/x-www-form-urlencoded" },
      body: "url=https%3A%2F%2Fexample.com%2Fh",
    });
    expect(refused.status).toBe(403);
  });

  it("lists and searches invoices", async () => {
    await page.goto(`${stack.relayer.url}/dashboard/invoices`);
    expect(await page.locator("tbody tr").count()).toBeGreaterThanOrEqual(3);
    await page.fill("input[name=q]", "order-42");
    await page.click("form.filters button");
    expect(page.url()).toContain("q=order-42");
    const rows = page.locator("tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("settled");
    await page.goto(`${stack.relayer.url}/dashboard/invoices?status=created`);
    expect(await page.locator("tbody .badge").allTextContents()).toEqual(expect.arrayContaining(["created"]));
    expect(new Set(await page.locator("tbody .badge").allTextContents())).toEqual(new Set(["created"]));
    await page.goto(`${stack.relayer.url}/dashboard/invoices`);
    await screenshot(page, "dashboard-invoices");
    await expectAccessible(page);
  });

  it("refunds an escrow by signing with the merchant's wallet and shows it on the timeline", async () => {
    const invoice = await createInvoice("order-refund");
    await (await stack.payer.sendTransaction({ to: invoice.payment.steps[0]!.to, data: invoice.payment.steps[0]!.data })).wait();
    await (await stack.payer.sendTransaction({ to: invoice.payment.steps[1]!.to, data: invoice.payment.steps[1]!.data })).wait();
    await page.goto(`${stack.relayer.url}/dashboard/escrows?status=open`);
    await reloadUntil(page, "the open escrow in the list", async () => (await page.locator(`a[title="${invoice.id}"]`).count()) === 1);
    await page.click(`a[title="${invoice.id}"]`);
    expect(await page.textContent(".timeline")).toContain("EscrowOpened");
    expect(await page.getAttribute(".timeline a", "href")).toMatch(/^https:\/\/explorer\.invalid\/tx\/0x[0-9a-f]{64}$/);

    wallet.wallet = stack.merchantWallet;
    await page.click("#refund-wallet");
    await expect.poll(() => page.textContent("#action-message"), { timeout: LIVE_MS }).toMatch(/^Refund queued \(act_[0-9a-f]+\)/);
    await reloadUntil(page, "EscrowRefunded on the timeline", async () => (await page.textContent(".timeline"))!.includes("EscrowRefunded"));
    expect(await page.textContent("h1 + p .badge")).toBe("refunded");
    await screenshot(page, "escrow-timeline");
    await expectAccessible(page);
  });

  it("adds a webhook endpoint, sees the failed delivery, and redelivers it once the receiver is back", async () => {
    await page.goto(`${stack.relayer.url}/dashboard/webhooks`);
    await expectAccessible(page);
    await page.fill("#ep-url", stack.receiver.url);
    await page.fill("#ep-desc", "shop backend");
    await page.click("text=Add endpoint");
    expect(await page.textContent("#secret")).toMatch(/^whsec_/);
    await page.click("text=Back to the endpoint");
    await page.click("text=Send test event");
    expect(await page.textContent(".flash")).toContain("Test event queued");
    await reloadUntil(page, "the failed attempt in the log", async () => (await page.locator(".outcome-http_error").count()) > 0);
    expect(await page.textContent(".log")).toContain("HTTP 503");
    expect(await page.textContent(".log")).toContain("down for maintenance");

    stack.receiver.healthy = true;
    await page.click("tbody form button:has-text('Redeliver')");
    expect(await page.textContent(".flash")).toBe("Delivery queued again.");
    await reloadUntil(page, "the manual attempt succeeding", async () => (await page.locator(".outcome-succeeded").count()) > 0);
    expect(await page.textContent(".log")).toMatch(/manual ·/);
    await screenshot(page, "webhooks-delivery-log");
    await expectAccessible(page);
    await page.click("text=Redeliver all failed");
    expect(await page.textContent(".flash")).toContain("queued again");
    await page.close();
  });
});

describe("the whole run", () => {
  it("made no request outside the relayer's origin and logged no CSP violation or script error", async () => {
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
