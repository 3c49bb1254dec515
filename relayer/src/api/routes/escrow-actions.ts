import type { Context } from "../../common/context.js";
import { NonRetryableUserError } from "../../common/errors.js";
import type { InvoiceChain } from "../../merchants/index.js";
import { InvalidInputError, NotFoundError } from "../../merchants/index.js";
import { selectOwnedEscrowChain } from "../../store/invoices-repository.js";
import type { SignedActionKind } from "../../store/timeouts-repository.js";
import { enqueueSignedAction, type SignedActionInput } from "../../timeouts/index.js";
import { Problem } from "../problem.js";
import { disputeActionBody, escrowIdParams, payoutActionBody, problemSchema, queuedActionSchema } from "../schemas.js";
import { defineRoute, type RouteSpec } from "./route.js";

/**
 * Party-signed release, refund and dispute: the merchant's backend relays an authorisation it
 * collected (from the payer, its own payee key, or the arbiter) and the timeout driver of the
 * escrow's chain submits it. Only escrows paid to the merchant are reachable; others are 404.
 */

const SUMMARIES: Record<SignedActionKind, string> = {
  release: "Queue a payer-signed (or, while disputed, arbiter-signed) release",
  refund: "Queue a payee-signed (or, while disputed, arbiter-signed) refund",
  dispute: "Queue a payer- or payee-signed dispute",
};

export function escrowActionRoutes(ctx: Context, chains: Map<string, InvoiceChain>): RouteSpec[] {
  const responses = {
    202: { description: "Verified and queued for submission", schema: queuedActionSchema },
    400: { description: "Invalid request", schema: problemSchema },
    401: { description: "Missing or invalid API key", schema: problemSchema },
    404: { description: "No such escrow among the merchant's", schema: problemSchema },
    422: { description: "The authorisation cannot be submitted (wrong signer, expired, amount, escrow state…); see hints", schema: problemSchema },
  };

  async function queue(merchantId: string, escrowId: string, chainHint: string | undefined, action: SignedActionKind, amount: bigint | undefined, auth: SignedActionInput["authorization"]) {
    const chain = await selectOwnedEscrowChain(ctx.db, merchantId, escrowId, chainHint);
    if (!chain) throw new NotFoundError(`Escrow ${escrowId} not found`);
    // TRON signers may be given in base58, like every other TRON address at the API edge.
    const signer = chains.get(chain)?.parseAddress(auth.signer, "authorization.signer") ?? auth.signer;
    try {
      const { actionId } = await enqueueSignedAction(ctx, { chain, escrowId, action, ...(amount === undefined ? {} : { amount }), authorization: { ...auth, signer } });
      return { status: 202, body: { actionId, status: "queued" } };
    } catch (error) {
      if (error instanceof NonRetryableUserError && !(error instanceof InvalidInputError)) {
        throw new Problem(422, error.message, { slug: "action-refused", hints: error.hints });
      }
      throw error;
    }
  }

  const payoutRoute = (action: "release" | "refund") =>
    defineRoute({
      method: "post",
      path: `/v1/escrows/{id}/${action}`,
      tag: "Escrows",
      summary: SUMMARIES[action],
      params: escrowIdParams,
      body: payoutActionBody,
      responses,
      handler: ({ params, body, merchantId }) => queue(merchantId, params.id, body.chain, action, BigInt(body.amount), body.authorization),
    });

  return [
    payoutRoute("release"),
    payoutRoute("refund"),
    defineRoute({
      method: "post",
      path: "/v1/escrows/{id}/dispute",
      tag: "Escrows",
      summary: SUMMARIES.dispute,
      params: escrowIdParams,
      body: disputeActionBody,
      responses,
      handler: ({ params, body, merchantId }) => queue(merchantId, params.id, body.chain, "dispute", undefined, body.authorization),
    }),
  ];
}
