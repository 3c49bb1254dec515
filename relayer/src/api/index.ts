import express, { type NextFunction, type Request, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import type { Context } from "../common/context.js";
import type { RelayerConfig } from "../config.js";
import { createInvoices, createMerchants, invoiceChains, type ChainDeposits } from "../merchants/index.js";
import type { WebhookEndpoints } from "../webhooks/index.js";
import { authOf, requireApiKey } from "./auth.js";
import { buildOpenApiDocument } from "./openapi.js";
import { sendProblem } from "./problem.js";
import { accountRoutes } from "./routes/account.js";
import { escrowActionRoutes } from "./routes/escrow-actions.js";
import { escrowRoutes } from "./routes/escrows.js";
import { invoiceRoutes } from "./routes/invoices.js";
import { operationsRouter, type Readiness } from "./routes/operations.js";
import { mountRoutes, problemErrorHandler, type RouteSpec } from "./routes/route.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { p2pRoutes } from "./routes/p2p.js";
import { createAcceptorRegistry, createP2pOrders, type ReservationPort, type UserLimits } from "../p2p/index.js";
import { createWeb } from "../web/index.js";

export type { Readiness };
export { expireInvoices } from "../merchants/index.js";

/**
 * The merchant HTTP API (express 5) under /v1, plus /healthz, /readyz and /metrics. Every error is
 * problem+json; anything a client can send wrong is a 4xx.
 */

/** Largest JSON body accepted; an invoice is well under 2 KiB. */
const MAX_BODY_BYTES = 64 * 1024;
/** Requests per API key per window. Default: 600 a minute. */
const RATE_LIMIT_REQUESTS = 600;
const RATE_LIMIT_WINDOW_MS = 60_000;
const API_VERSION = "1.0.0";

export interface ApiOptions {
  config: Pick<RelayerConfig, "chains" | "api" | "masterKey">;
  webhooks: WebhookEndpoints;
  /** Chain ids by configured chain name, read from the nodes at start-up: the EIP-712 domain needs them. */
  chainIds: Record<string, bigint | number>;
  /** Deposit-address facts per chain name, read from the vaults at start-up (absent: no scan-to-pay there). */
  deposits?: Record<string, ChainDeposits | undefined>;
  /** Extra readiness checks (ingestion recent…); /readyz is 503 when it reports not ok or throws. */
  readiness?: () => Promise<Readiness>;
  /** Per-key rate limit. Default: 600 requests per 60 000 ms. */
  rateLimit?: { limit: number; windowMs: number };
  /** API keys this relayer issues: sk_live_ in production, sk_test_ locally. Default: "live". */
  apiKeyMode?: "live" | "test";
  clock?: () => Date;
  /** P2P: where accepted orders and confirmations are queued for the chain, and per-user limits. */
  p2p?: { reservations?: ReservationPort; userLimits?: UserLimits };
}

export function createApi(ctx: Context, options: ApiOptions): express.Express {
  const chains = invoiceChains(options.config, options.chainIds, options.deposits);
  const publicUrl = options.config.api.publicUrl ?? `http://${options.config.api.host}:${options.config.api.port}`;
  const masterKey = options.config.masterKey;
  const merchants = createMerchants(ctx, { chains, ...(masterKey ? { masterKey } : {}) });
  const invoices = createInvoices(ctx, { chains, publicUrl, ...(masterKey ? { masterKey } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const specs: RouteSpec[] = [
    ...invoiceRoutes(invoices),
    ...escrowRoutes(ctx.db, chains),
    ...escrowActionRoutes(ctx, chains),
    ...webhookRoutes(options.webhooks),
    ...accountRoutes(merchants, options.apiKeyMode ?? "live"),
    ...p2pRoutes(
      createAcceptorRegistry(ctx, { chains, apiKeyMode: options.apiKeyMode ?? "live" }),
      createP2pOrders(ctx, { chains, ...options.p2p, ...(options.clock ? { clock: options.clock } : {}) }),
    ),
  ];
  const openApi = buildOpenApiDocument(specs, { serverUrl: publicUrl, version: API_VERSION });
  const logger = ctx.logger.child({ module: "api" });

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Behind a proxy, set this in front (the operator's choice); client IPs are not used for anything here.
  app.set("trust proxy", false);

  app.use(operationsRouter(ctx, options.readiness));
  app.get("/v1/openapi.json", (_req, res) => {
    res.json(openApi);
  });

  const v1 = express.Router({ strict: true });
  v1.use(requireApiKey(merchants));
  v1.use(
    rateLimit({
      windowMs: options.rateLimit?.windowMs ?? RATE_LIMIT_WINDOW_MS,
      limit: options.rateLimit?.limit ?? RATE_LIMIT_REQUESTS,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      keyGenerator: (_req, res) => authOf(res).keyId,
      handler: (req, res) => sendProblem(req, res, 429, "Too many requests for this API key; wait for the time in the RateLimit header and retry."),
    }),
  );
  v1.use((req: Request, res: Response, next: NextFunction) => {
    // A body that is not JSON is refused whole, before anyone parses it.
    const hasBody = req.get("transfer-encoding") !== undefined || Number(req.get("content-length") ?? 0) > 0;
    if (req.method === "POST" && hasBody && !req.is("application/json")) return sendProblem(req, res, 415, "Send request bodies as application/json.");
    next();
  });
  v1.use(express.json({ limit: MAX_BODY_BYTES, strict: true, type: (req) => req.method === "POST" }));
  mountRoutes(v1, ctx.db, specs);
  app.use("/v1", v1);
  app.use(createWeb(ctx, { chains, publicUrl, merchants, webhooks: options.webhooks, ...(masterKey ? { masterKey } : {}), explorerUrls: Object.fromEntries(options.config.chains.map((c) => [c.name, c.explorerUrl])) }));

  app.use((req: Request, res: Response) => sendProblem(req, res, 404, `No route ${req.method} ${req.path}.`));
  app.use(problemErrorHandler(logger, MAX_BODY_BYTES));
  return app;
}
