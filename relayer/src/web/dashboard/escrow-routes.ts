import type { Request, Response, Router } from "express";
import { z } from "zod";
import { NonRetryableUserError } from "../../common/errors.js";
import type { EscrowProjection } from "../../domain/escrow.js";
import { NotFoundError } from "../../merchants/index.js";
import { selectEscrow } from "../../store/escrow-rows.js";
import { selectInvoice, selectOwnedEscrowChain } from "../../store/invoices-repository.js";
import { selectSigningKey } from "../../store/merchants-repository.js";
import { selectEscrowSignedActions, selectEscrowTimeline } from "../../store/web-repository.js";
import { explorerFor } from "../explorer.js";
import { actionTypedData, refundWithMerchantKey, submitAction } from "./actions.js";
import { renderSection, userErrors, type DashboardDeps } from "./common.js";
import { sessionOf } from "./session.js";
import { escrowBody } from "./escrow-view.js";

/** The escrow page and its release/refund endpoints (typed data out, signature in). */

const actionBody = z.strictObject({
  action: z.enum(["release", "refund"]),
  amount: z.string().regex(/^[1-9][0-9]{0,77}$/),
  authorization: z.strictObject({
    signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    nonce: z.string().regex(/^[0-9]{1,78}$/),
    validBefore: z.string().regex(/^[0-9]{1,20}$/),
    signature: z.string().regex(/^0x(?:[0-9a-fA-F]{2}){64,65}$/),
  }),
});

async function ownedEscrow(deps: DashboardDeps, req: Request, res: Response): Promise<EscrowProjection> {
  const merchantId = sessionOf(res).merchantId;
  const id = String(req.params.id).toLowerCase();
  const chain = /^0x[0-9a-f]{64}$/.test(id) ? await selectOwnedEscrowChain(deps.ctx.db, merchantId, id, String(req.params.chain)) : undefined;
  const escrow = chain ? await selectEscrow(deps.ctx.db, chain, id) : undefined;
  if (!escrow) throw new NotFoundError("No such escrow among yours");
  return escrow;
}

function amountOf(raw: unknown, escrow: EscrowProjection): bigint {
  const text = String(raw ?? "");
  if (!/^[1-9][0-9]{0,77}$/.test(text)) throw new NonRetryableUserError("The amount must be a positive whole number of raw token units", { hints: [`At most ${escrow.remaining}.`] });
  return BigInt(text);
}

export function escrowRoutes(router: Router, deps: DashboardDeps): void {
  const { ctx, chains } = deps;
  const base = "/dashboard/escrows/:chain/:id";

  router.get(base, (req, res) =>
    userErrors(deps, req, res, "escrows", async () => {
      const escrow = await ownedEscrow(deps, req, res);
      const chain = chains.get(escrow.chain);
      if (!chain) throw new NotFoundError(`Chain ${escrow.chain} is not configured`);
      const session = sessionOf(res);
      const [events, actions, invoice, key] = [
        await selectEscrowTimeline(ctx.db, escrow.chain, escrow.escrowId),
        await selectEscrowSignedActions(ctx.db, escrow.chain, escrow.escrowId),
        await selectInvoice(ctx.db, session.merchantId, escrow.escrowId, escrow.chain),
        await selectSigningKey(ctx.db, session.merchantId),
      ];
      const body = escrowBody({
        chain,
        explorer: explorerFor(chain.kind, deps.explorerUrls[escrow.chain]),
        escrow,
        reference: invoice?.merchantReference ?? null,
        events,
        actions,
        csrf: session.csrfToken,
        relayerSigns: Boolean(deps.masterKey && key && key.address === escrow.payee),
      });
      await renderSection(deps, req, res, "escrows", `Escrow ${escrow.escrowId.slice(0, 10)}`, body, ["dashboard.js"]);
    }),
  );

  router.get(`${base}/typed-data`, (req, res) =>
    userErrors(deps, req, res, "escrows", async () => {
      const escrow = await ownedEscrow(deps, req, res);
      const action = req.query.action === "release" ? "release" : "refund";
      res.set("Cache-Control", "no-store").json(await actionTypedData(ctx, chains.get(escrow.chain)!, escrow, action, amountOf(req.query.amount, escrow)));
    }),
  );

  router.post(`${base}/actions`, (req, res) =>
    userErrors(deps, req, res, "escrows", async () => {
      const escrow = await ownedEscrow(deps, req, res);
      const parsed = actionBody.safeParse(req.body);
      if (!parsed.success) throw new NonRetryableUserError("The signed action is malformed", { hints: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
      const { action, amount, authorization: a } = parsed.data;
      const actionId = await submitAction(ctx, {
        chain: escrow.chain,
        escrowId: escrow.escrowId,
        action,
        amount: BigInt(amount),
        authorization: { signer: a.signer, nonce: BigInt(a.nonce), validBefore: BigInt(a.validBefore), signature: a.signature },
      });
      res.status(202).json({ actionId, status: "queued" });
    }),
  );

  router.post(`${base}/refund`, (req, res) =>
    userErrors(deps, req, res, "escrows", async () => {
      const escrow = await ownedEscrow(deps, req, res);
      const amount = amountOf((req.body as Record<string, unknown>).amount, escrow);
      await refundWithMerchantKey(ctx, deps.masterKey, sessionOf(res).merchantId, chains.get(escrow.chain)!, escrow, amount);
      res.redirect(303, `/dashboard/escrows/${escrow.chain}/${escrow.escrowId}?done=refund`);
    }),
  );
}
