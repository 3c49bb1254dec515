import type { Request, Response } from "express";
import { NonRetryableUserError } from "../../common/errors.js";
import type { Context } from "../../common/context.js";
import type { InvoiceChain } from "../../merchants/index.js";
import { selectMerchant } from "../../store/merchants-repository.js";
import type { WebhookEndpoints } from "../../webhooks/index.js";
import { html, type SafeHtml } from "../html.js";
import { sendPage } from "../layout.js";
import { sessionOf } from "./session.js";
import { dashboardPage, type Section } from "./shell.js";

/** What every dashboard route needs, and the two ways it answers: a page or a user error page. */

export interface DashboardDeps {
  ctx: Context;
  chains: Map<string, InvoiceChain>;
  webhooks: WebhookEndpoints;
  masterKey?: Buffer;
  explorerUrls: Record<string, string | undefined>;
}

export async function renderSection(deps: DashboardDeps, req: Request, res: Response, section: Section, title: string, body: SafeHtml, scripts: string[] = []): Promise<void> {
  const session = sessionOf(res);
  const merchant = await selectMerchant(deps.ctx.db, session.merchantId);
  const flash = typeof req.query.done === "string" ? req.query.done : undefined;
  sendPage(
    res,
    200,
    dashboardPage({ section, title, body, csrf: session.csrfToken, ...(merchant ? { merchantName: merchant.name } : {}), ...(flash ? { flash } : {}), scripts }),
  );
}

/** Errors a merchant can fix become a readable page (or JSON for fetch callers); the rest go to the API's handler. */
export async function userErrors(deps: DashboardDeps, req: Request, res: Response, section: Section, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof NonRetryableUserError)) throw error;
    const status = error.name.includes("NotFound") ? 404 : 422;
    if (req.is("application/json")) {
      res.status(status).json({ detail: error.message, hints: error.hints });
      return;
    }
    const body = html`<h1>That did not work</h1><p class="message error" role="alert">${error.message}</p>${
      error.hints.length ? html`<ul>${error.hints.map((h) => html`<li>${h}</li>`)}</ul>` : ""
    }<p><a href="/dashboard">Back to the dashboard</a></p>`;
    res.status(status);
    const session = sessionOf(res);
    sendPage(res, status, dashboardPage({ section, title: "Error", body, csrf: session.csrfToken }));
  }
}

export const queryString = (req: Request, name: string): string | undefined => {
  const value = req.query[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, 100) : undefined;
};
