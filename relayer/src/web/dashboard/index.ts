import express, { type Router } from "express";
import { rateLimit } from "express-rate-limit";
import type { Merchants } from "../../merchants/index.js";
import { selectInvoice, selectInvoicePage, type InvoiceStatus, type StoredInvoice } from "../../store/invoices-repository.js";
import { searchMerchantEscrows, searchMerchantInvoiceIds, selectDailyVolume, selectMerchantBalances } from "../../store/web-repository.js";
import { sendPage } from "../layout.js";
import { queryString, renderSection, type DashboardDeps } from "./common.js";
import { escrowRoutes } from "./escrow-routes.js";
import { createSessions, sameOrigin } from "./session.js";
import { dashboardPage } from "./shell.js";
import { escrowsBody, invoicesBody, loginBody, overviewBody, VOLUME_DAYS } from "./views.js";
import { webhookRoutes } from "./webhook-routes.js";

/**
 * The merchant dashboard under /dashboard: server-rendered pages that work without JavaScript;
 * dashboard.js adds wallet signing on the escrow page. Sign-in exchanges an API key for a session.
 */

const PAGE_SIZE = 50;
/** Sign-in attempts per client address per 15 minutes: API keys are long, but guessing should stay slow. */
const LOGIN_ATTEMPTS = 20;

export interface DashboardOptions extends DashboardDeps {
  merchants: Merchants;
  secureCookies: boolean;
}

export function dashboardRouter(options: DashboardOptions): Router {
  const { ctx, chains } = options;
  const router = express.Router();
  const sessions = createSessions(ctx.db, { secureCookies: options.secureCookies });
  const form = express.urlencoded({ extended: false, limit: "16kb" });
  const json = express.json({ limit: "8kb" });
  const loginLimiter = rateLimit({ windowMs: 15 * 60_000, limit: LOGIN_ATTEMPTS, standardHeaders: "draft-8", legacyHeaders: false });

  router.get("/dashboard/login", (_req, res) => sendPage(res, 200, dashboardPage({ section: "login", title: "Sign in", body: loginBody() })));
  router.post("/dashboard/login", loginLimiter, form, async (req, res) => {
    const key = String((req.body as Record<string, unknown>).apiKey ?? "").trim();
    const found = sameOrigin(req) && key.length <= 200 ? await options.merchants.authenticate(key) : null;
    if (!found) return sendPage(res, 401, dashboardPage({ section: "login", title: "Sign in", body: loginBody("That API key is unknown, revoked or mistyped.") }));
    await sessions.open(res, { merchantId: found.merchantId, apiKeyId: found.keyId });
    res.redirect(303, "/dashboard");
  });

  const authed = express.Router();
  // Only /dashboard paths: everything else falls through to the API's 404.
  authed.use("/dashboard", (req, res, next) => sessions.require(req, res, next));
  authed.post(/^\/dashboard(\/|$)/, form, json, (req, res, next) => sessions.checkCsrf(req, res, next));
  authed.post("/dashboard/logout", async (req, res) => {
    await sessions.close(req, res);
    res.redirect(303, "/dashboard/login");
  });
  authed.get("/dashboard", async (req, res) => {
    const merchantId = res.locals.session.merchantId as string;
    const since = BigInt(Math.floor(Date.now() / 1000) - VOLUME_DAYS * 86_400);
    const [balances, volume] = [await selectMerchantBalances(ctx.db, merchantId), await selectDailyVolume(ctx.db, merchantId, since)];
    await renderSection(options, req, res, "overview", "Overview", overviewBody(chains, balances, volume));
  });
  authed.get("/dashboard/invoices", async (req, res) => {
    const filter = { status: queryString(req, "status"), chain: queryString(req, "chain"), q: queryString(req, "q") };
    const invoices = await listInvoices(options, res.locals.session.merchantId as string, filter);
    await renderSection(options, req, res, "invoices", "Invoices", invoicesBody(chains, invoices, filter));
  });
  authed.get("/dashboard/escrows", async (req, res) => {
    const filter = { status: queryString(req, "status"), chain: queryString(req, "chain"), q: queryString(req, "q") };
    const escrows = await searchMerchantEscrows(ctx.db, {
      merchantId: res.locals.session.merchantId as string,
      limit: PAGE_SIZE,
      ...(filter.chain ? { chain: filter.chain } : {}),
      ...(filter.status ? { status: [filter.status] } : {}),
      ...(filter.q ? { q: filter.q } : {}),
    });
    await renderSection(options, req, res, "escrows", "Escrows", escrowsBody(chains, escrows, filter));
  });
  escrowRoutes(authed, options);
  webhookRoutes(authed, options);
  router.use(authed);
  return router;
}

async function listInvoices(options: DashboardDeps, merchantId: string, filter: { status?: string | undefined; chain?: string | undefined; q?: string | undefined }): Promise<StoredInvoice[]> {
  const { db } = options.ctx;
  if (filter.q) {
    const found: StoredInvoice[] = [];
    for (const { chain, invoiceId } of await searchMerchantInvoiceIds(db, merchantId, filter.q, PAGE_SIZE)) {
      const invoice = await selectInvoice(db, merchantId, invoiceId, chain);
      if (invoice && (!filter.chain || invoice.chain === filter.chain) && (!filter.status || invoice.status === filter.status)) found.push(invoice);
    }
    return found;
  }
  const page = await selectInvoicePage(db, {
    merchantId,
    limit: PAGE_SIZE,
    ...(filter.chain ? { chain: filter.chain } : {}),
    ...(filter.status ? { status: [filter.status as InvoiceStatus] } : {}),
  });
  return page.items;
}

