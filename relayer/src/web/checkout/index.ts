import express, { type Request, type Response, type Router } from "express";
import { rateLimit } from "express-rate-limit";
import { z } from "zod";
import { Problem, sendProblem } from "../../api/problem.js";
import { disputeActionBody, payoutActionBody } from "../../api/schemas.js";
import type { Context } from "../../common/context.js";
import { NonRetryableUserError } from "../../common/errors.js";
import { invoiceToJson, type InvoiceChain } from "../../merchants/index.js";
import { enqueueSignedAction } from "../../timeouts/index.js";
import { pickLang, translator } from "../i18n.js";
import { sendPage } from "../layout.js";
import { paymentUri, qrSvg } from "./payment-uri.js";
import { checkoutState, loadCheckoutInvoice, type CheckoutInvoice } from "./state.js";
import type { StatusHub } from "./status-hub.js";
import { renderCheckout, renderNotFound } from "./view.js";

/**
 * The payer's side, public (the invoice id in the URL is the only key): the checkout page at the
 * `checkoutUrl` the API hands out (`/pay/<invoice id>`), its Server-Sent Events stream, and the
 * payer's signed release or dispute, which the relayer submits so the payer needs no gas.
 */

/** Comment lines keep idle proxies from closing the event stream. */
const SSE_HEARTBEAT_MS = 15_000;
/** Open event streams per process; past this new pages fall back to their server-rendered state. */
const MAX_EVENT_STREAMS = 1_000;
/** Signed actions per client address per minute: each one is verified and may cost the operator gas. */
const ACTION_RATE_LIMIT = 20;
const ACTION_BODY_LIMIT_BYTES = 4 * 1024;

export interface CheckoutOptions {
  chains: Map<string, InvoiceChain>;
  publicUrl: string;
  hub: StatusHub;
}

export function checkoutRouter(ctx: Context, options: CheckoutOptions): Router {
  const router = express.Router();
  let openStreams = 0;
  const load = (id: string) => loadCheckoutInvoice(ctx.db, options.chains, id);

  router.get("/pay/:id", async (req, res) => {
    const lang = pickLang(req);
    const t = translator(lang);
    const loaded = await load(String(req.params.id));
    if (!loaded) return sendPage(res, 404, renderNotFound(t, lang));
    const json = invoiceToJson(loaded.invoice, loaded.chain, options.publicUrl);
    const target = json.deposit ? { uri: json.deposit.paymentUri, kind: "transfer" as const } : paymentUri({ kind: loaded.chain.kind, chainId: loaded.chain.chainId, token: json.token, amount: loaded.invoice.amount, checkoutUrl: json.checkoutUrl });
    const qr = await qrSvg(target.uri, t("checkout.qrLabel", { what: target.uri }));
    const state = await checkoutState(ctx.db, loaded);
    const checkoutPath = `/pay/${loaded.invoice.invoiceId}`;
    sendPage(res, 200, renderCheckout({ loaded, state, lang, t, qr, qrKind: target.kind, checkoutPath, paymentSteps: json.payment.steps }));
  });

  router.get("/pay/:id/state", async (req, res) => {
    const loaded = await load(String(req.params.id));
    if (!loaded) return sendProblem(req, res, 404, "No such invoice.");
    res.set("Cache-Control", "no-store").json(await checkoutState(ctx.db, loaded));
  });

  router.get("/pay/:id/events", async (req, res) => {
    const loaded = await load(String(req.params.id));
    if (!loaded) return sendProblem(req, res, 404, "No such invoice.");
    if (openStreams >= MAX_EVENT_STREAMS) return sendProblem(req, res, 503, "Too many open status streams; reload the page later.");
    streamStatus(ctx, options, req, res, loaded, {
      opened: () => openStreams++,
      closed: () => openStreams--,
    });
  });

  const limiter = rateLimit({
    windowMs: 60_000,
    limit: ACTION_RATE_LIMIT,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (req, res) => sendProblem(req, res, 429, "Too many signed actions from this address; wait a minute."),
  });
  router.post("/pay/:id/actions/:action", limiter, express.json({ limit: ACTION_BODY_LIMIT_BYTES }), async (req, res) => {
    try {
      const result = await submitPayerAction(ctx, options, String(req.params.id), String(req.params.action), req.body);
      res.status(202).json(result);
    } catch (error) {
      if (error instanceof Problem) return sendProblem(req, res, error.status, error.detail, error.options);
      throw error;
    }
  });
  return router;
}

function streamStatus(ctx: Context, options: CheckoutOptions, req: Request, res: Response, loaded: CheckoutInvoice, count: { opened(): void; closed(): void }): void {
  count.opened();
  res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive", "X-Accel-Buffering": "no" });
  res.write("retry: 3000\n\n");
  const { chain, invoiceId } = { chain: loaded.invoice.chain, invoiceId: loaded.invoice.invoiceId };
  let sending = Promise.resolve();
  const push = () => {
    sending = sending.then(async () => {
      const fresh = await loadCheckoutInvoice(ctx.db, options.chains, invoiceId);
      if (fresh && !res.writableEnded) res.write(`event: state\ndata: ${JSON.stringify(await checkoutState(ctx.db, fresh))}\n\n`);
    }).catch((error: unknown) => ctx.logger.warn({ err: error, invoice_id: invoiceId }, "Could not push checkout state"));
  };
  const unsubscribe = options.hub.subscribe(chain, invoiceId, push);
  push();
  const heartbeat = setInterval(() => res.write(": ping\n\n"), SSE_HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    clearInterval(heartbeat);
    unsubscribe();
    ctx.signal.removeEventListener("abort", end);
    count.closed();
  };
  const end = () => res.end();
  ctx.signal.addEventListener("abort", end, { once: true });
  req.on("close", close);
}

const bodies = { release: payoutActionBody, dispute: disputeActionBody } as const;

/** Only the payer's actions are public: release and dispute. Refunds are the merchant's (dashboard/API). */
async function submitPayerAction(ctx: Context, options: CheckoutOptions, invoiceId: string, action: string, body: unknown): Promise<{ actionId: string; status: "queued" }> {
  if (action !== "release" && action !== "dispute") throw new Problem(404, `No payer action "${action}"; use release or dispute.`);
  const loaded = await loadCheckoutInvoice(ctx.db, options.chains, invoiceId);
  if (!loaded?.invoice.escrow) throw new Problem(404, "No escrow for this invoice (yet).");
  const parsed = (bodies[action] as z.ZodType).safeParse(body ?? {});
  if (!parsed.success) {
    throw new Problem(400, "The request body is invalid; see errors.", {
      slug: "validation-error",
      errors: parsed.error.issues.map((issue) => ({ path: ["body", ...issue.path.map(String)].join("."), message: issue.message })),
    });
  }
  const input = parsed.data as { amount?: string; authorization: { signer: string; nonce: bigint; validBefore: bigint; signature: string } };
  try {
    const signer = loaded.chain.parseAddress(input.authorization.signer, "authorization.signer");
    const { actionId } = await enqueueSignedAction(ctx, {
      chain: loaded.invoice.chain,
      escrowId: loaded.invoice.invoiceId,
      action,
      ...(input.amount === undefined ? {} : { amount: BigInt(input.amount) }),
      authorization: { ...input.authorization, signer },
    });
    return { actionId, status: "queued" };
  } catch (error) {
    if (error instanceof NonRetryableUserError) throw new Problem(422, error.message, { slug: "action-refused", hints: error.hints });
    throw error;
  }
}
