import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";
import type { Context } from "../common/context.js";
import type { InvoiceChain, Merchants } from "../merchants/index.js";
import type { WebhookEndpoints } from "../webhooks/index.js";
import { checkoutRouter } from "./checkout/index.js";
import { createStatusHub, type StatusHub } from "./checkout/status-hub.js";
import { dashboardRouter } from "./dashboard/index.js";
import { isLoopbackUrl } from "./dashboard/session.js";
import { ASSETS_PATH, securityHeaders } from "./layout.js";

export { createStatusHub, type StatusHub };

/**
 * The relayer's web pages: the payer's checkout page at /pay/<invoice id> (the API's checkoutUrl)
 * and the merchant dashboard at /dashboard, with their scripts and styles under /assets. Pages are
 * rendered on the server and work without JavaScript; small ES modules add live status (SSE) and
 * wallet signing. Everything is served from this origin under a strict Content-Security-Policy.
 */

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), "static");
/** Static files change only with a release; an hour keeps reloads cheap without pinning old code long. */
const STATIC_MAX_AGE_MS = 60 * 60 * 1000;

export interface WebOptions {
  chains: Map<string, InvoiceChain>;
  publicUrl: string;
  merchants: Merchants;
  webhooks: WebhookEndpoints;
  masterKey?: Buffer;
  /** Block explorer base URL per chain name (chains[].explorerUrl). */
  explorerUrls: Record<string, string | undefined>;
  /** One shared status poller; created here unless given (tests pass their own interval). */
  hub?: StatusHub;
}

export function createWeb(ctx: Context, options: WebOptions): Router {
  const router = express.Router();
  const hub = options.hub ?? createStatusHub(ctx);
  router.use(["/pay", "/dashboard", ASSETS_PATH], securityHeaders);
  router.use(ASSETS_PATH, express.static(STATIC_DIR, { index: false, maxAge: STATIC_MAX_AGE_MS, fallthrough: true }));
  router.use(checkoutRouter(ctx, { chains: options.chains, publicUrl: options.publicUrl, hub }));
  router.use(
    dashboardRouter({
      ctx,
      chains: options.chains,
      merchants: options.merchants,
      webhooks: options.webhooks,
      ...(options.masterKey ? { masterKey: options.masterKey } : {}),
      explorerUrls: options.explorerUrls,
      secureCookies: !isLoopbackUrl(options.publicUrl),
    }),
  );
  return router;
}
