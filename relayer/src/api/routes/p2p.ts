import { NonRetryableUserError } from "../../common/errors.js";
import { OrderTransitionError, type OrderKind, type OrderStatus } from "../../domain/p2p-order.js";
import { InvalidInputError, NotFoundError } from "../../merchants/chains.js";
import { P2pForbiddenError, P2pRiskRefusedError, type AcceptorRegistry, type Caller, type P2pOrders } from "../../p2p/index.js";
import type { RouteResult } from "../idempotency.js";
import {
  acceptorIdParams,
  acceptorPageSchema,
  acceptorSchema,
  blockBody,
  blocklistSchema,
  confirmBody,
  createOrderBody,
  declineBody,
  emptyP2pBody,
  listAcceptorsQuery,
  listOrdersQuery,
  onlineBody,
  orderIdParams,
  orderPageSchema,
  orderSchema,
  registeredAcceptorSchema,
  registerAcceptorBody,
  unblockBody,
  updateAcceptorBody,
} from "../p2p-schemas.js";
import { Problem } from "../problem.js";
import { problemSchema } from "../schemas.js";
import { defineRoute, type RouteSpec } from "./route.js";

/**
 * P2P routes. The platform (a merchant key) registers acceptors, keeps its blocklist, creates
 * orders and acts for its users; an acceptor (its own key) goes online and acts on its orders.
 */

const errors = {
  400: { description: "Invalid request", schema: problemSchema },
  401: { description: "Missing or invalid API key", schema: problemSchema },
  403: { description: "A platform route called with an acceptor key, or the reverse", schema: problemSchema },
};
const notFound = { 404: { description: "No such acceptor or order (for this caller)", schema: problemSchema } };
const conflict = { 409: { description: "Not possible in the order's current status (see hints)", schema: problemSchema } };

/** Domain errors to problems that keep their hints (the generic mapping drops them). */
function toP2pProblem(error: unknown): unknown {
  if (error instanceof OrderTransitionError) return new Problem(409, error.message, { slug: "order-state-conflict", hints: [error.hint] });
  if (error instanceof P2pForbiddenError) return new Problem(403, error.message, { slug: "forbidden", title: "Forbidden", hints: error.hints });
  if (error instanceof P2pRiskRefusedError) return new Problem(422, error.message, { slug: "risk-refused", hints: error.hints });
  if (error instanceof InvalidInputError || error instanceof NotFoundError) return error;
  if (error instanceof NonRetryableUserError) return new Problem(409, error.message, { hints: error.hints });
  return error;
}

export function p2pRoutes(registry: AcceptorRegistry, orders: P2pOrders): RouteSpec[] {
  const as = async (merchantId: string, kind: Caller["kind"] | null, run: (caller: Caller) => Promise<RouteResult>): Promise<RouteResult> => {
    try {
      const caller = await registry.caller(merchantId);
      if (kind && caller.kind !== kind) {
        throw new P2pForbiddenError(kind === "merchant" ? "This route is for the platform's API key, not an acceptor's." : "This route is for an acceptor's own API key.", {
          hints: [kind === "merchant" ? "Call it with the platform's key." : "Call it with the key returned when the acceptor was registered."],
        });
      }
      return await run(caller);
    } catch (error) {
      throw toP2pProblem(error);
    }
  };
  const platform = (merchantId: string, run: (caller: Caller) => Promise<RouteResult>) => as(merchantId, "merchant", run);
  const acceptor = (merchantId: string, run: (caller: Caller) => Promise<RouteResult>) => as(merchantId, "acceptor", run);
  const anyone = (merchantId: string, run: (caller: Caller) => Promise<RouteResult>) => as(merchantId, null, run);
  const ok = (body: unknown, status = 200): RouteResult => ({ status, body });

  const orderAction = (path: string, summary: string, description: string, body: typeof emptyP2pBody | typeof declineBody | typeof confirmBody, action: (b: never) => Parameters<P2pOrders["act"]>[2]) =>
    defineRoute({
      method: "post",
      path: `/v1/p2p/orders/{id}/${path}`,
      tag: "P2P orders",
      summary,
      description,
      params: orderIdParams,
      body,
      responses: { 200: { description: "The order after the action", schema: orderSchema }, ...errors, ...notFound, ...conflict },
      handler: ({ params, body: input, merchantId }) => anyone(merchantId, async (caller) => ok(await orders.act(caller, params.id.toLowerCase(), action(input as never)))),
    });

  return [
    defineRoute({
      method: "post",
      path: "/v1/p2p/acceptors",
      tag: "P2P acceptors",
      summary: "Register an acceptor (its API key is shown only in this response)",
      body: registerAcceptorBody,
      responses: { 201: { description: "The acceptor and its API key", schema: registeredAcceptorSchema }, ...errors, 409: { description: "Reference or address already registered", schema: problemSchema } },
      handler: ({ body, merchantId }) =>
        platform(merchantId, async () => {
          const { name, reference, chain, address, ...terms } = body;
          return ok(await registry.register(merchantId, { name, reference, chain, address, terms }), 201);
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/p2p/acceptors",
      tag: "P2P acceptors",
      summary: "List the platform's acceptors, newest first",
      query: listAcceptorsQuery,
      responses: { 200: { description: "A page of acceptors", schema: acceptorPageSchema }, ...errors },
      handler: ({ query, merchantId }) =>
        platform(merchantId, async () =>
          ok(await registry.list(merchantId, { limit: query.limit, ...(query.online ? { online: query.online === "true" } : {}), ...(query.cursor ? { cursor: query.cursor } : {}) })),
        ),
    }),
    defineRoute({
      method: "get",
      path: "/v1/p2p/acceptors/{id}",
      tag: "P2P acceptors",
      summary: "Get an acceptor with its terms, record and liquidity (the platform, or the acceptor itself)",
      params: acceptorIdParams,
      responses: { 200: { description: "The acceptor", schema: acceptorSchema }, ...errors, ...notFound },
      handler: ({ params, merchantId }) => anyone(merchantId, async (caller) => ok(await registry.get(caller, params.id))),
    }),
    defineRoute({
      method: "post",
      path: "/v1/p2p/acceptors/{id}",
      tag: "P2P acceptors",
      summary: "Change an acceptor's terms (limits, methods, currencies, rates, online, autoAccept)",
      params: acceptorIdParams,
      body: updateAcceptorBody,
      responses: { 200: { description: "The acceptor", schema: acceptorSchema }, ...errors, ...notFound },
      handler: ({ params, body, merchantId }) => platform(merchantId, async () => ok(await registry.update(merchantId, params.id, body))),
    }),
    defineRoute({
      method: "post",
      path: "/v1/p2p/me/online",
      tag: "P2P acceptors",
      summary: "The calling acceptor goes online or offline (offline: no new matches)",
      body: onlineBody,
      responses: { 200: { description: "The acceptor", schema: acceptorSchema }, ...errors },
      handler: ({ body, merchantId }) => acceptor(merchantId, async () => ok(await registry.setOnline(merchantId, body.online))),
    }),
    defineRoute({
      method: "get",
      path: "/v1/p2p/blocklist",
      tag: "P2P risk",
      summary: "The platform's blocklist",
      responses: { 200: { description: "The entries", schema: blocklistSchema }, ...errors },
      handler: ({ merchantId }) => platform(merchantId, async () => ok({ items: await registry.blocklist(merchantId) })),
    }),
    defineRoute({
      method: "post",
      path: "/v1/p2p/blocklist",
      tag: "P2P risk",
      summary: "Block a user reference or an address: no new orders for it, never matched to it",
      body: blockBody,
      responses: { 204: { description: "Blocked", schema: null }, ...errors },
      handler: ({ body, merchantId }) =>
        platform(merchantId, async () => {
          await registry.block(merchantId, { kind: body.kind, value: body.value, reason: body.reason, ...(body.chain ? { chain: body.chain } : {}) });
          return { status: 204, body: null };
        }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/p2p/blocklist/remove",
      tag: "P2P risk",
      summary: "Remove a blocklist entry",
      body: unblockBody,
      responses: { 204: { description: "Removed", schema: null }, ...errors, ...notFound },
      handler: ({ body, merchantId }) =>
        platform(merchantId, async () => {
          await registry.unblock(merchantId, { kind: body.kind, value: body.value, ...(body.chain ? { chain: body.chain } : {}) });
          return { status: 204, body: null };
        }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/p2p/orders",
      tag: "P2P orders",
      summary: "Create a deposit or withdrawal order; the engine matches it with an acceptor",
      body: createOrderBody,
      responses: {
        201: { description: "The order (status created)", schema: orderSchema },
        ...errors,
        409: { description: "An order with this reference exists", schema: problemSchema },
        422: { description: "Refused by a risk control (blocklist, velocity), or Idempotency-Key reused", schema: problemSchema },
      },
      handler: ({ body, merchantId }) => platform(merchantId, async () => ok(await orders.create(merchantId, body), 201)),
    }),
    defineRoute({
      method: "get",
      path: "/v1/p2p/orders",
      tag: "P2P orders",
      summary: "List orders, newest first: the platform's, or the calling acceptor's",
      query: listOrdersQuery,
      responses: { 200: { description: "A page of orders", schema: orderPageSchema }, ...errors },
      handler: ({ query, merchantId }) =>
        anyone(merchantId, async (caller) =>
          ok(
            await orders.list(caller, {
              limit: query.limit,
              ...(query.status ? { status: query.status as OrderStatus[] } : {}),
              ...(query.kind ? { kind: query.kind as OrderKind } : {}),
              ...(query.cursor ? { cursor: query.cursor } : {}),
            }),
          ),
        ),
    }),
    defineRoute({
      method: "get",
      path: "/v1/p2p/orders/{id}",
      tag: "P2P orders",
      summary: "Get an order; the platform also gets its audit trail (every engine decision with candidates, weights and reasons)",
      params: orderIdParams,
      responses: { 200: { description: "The order", schema: orderSchema }, ...errors, ...notFound },
      handler: ({ params, merchantId }) => anyone(merchantId, async (caller) => ok(await orders.get(caller, params.id))),
    }),
    orderAction("accept", "Accept a matched order (the acceptor)", "Queues the on-chain reservation.", emptyP2pBody, () => ({ type: "accept" })),
    orderAction("decline", "Decline a matched order (the acceptor)", "The order is offered to another acceptor.", declineBody, (b: { reason: string }) => ({ type: "decline", reason: b.reason })),
    orderAction("mark-paid", "Mark the fiat paid", "Deposit: the platform, for its user. Withdrawal: the acceptor.", emptyP2pBody, () => ({ type: "mark_paid" })),
    orderAction(
      "confirm",
      "Confirm the fiat arrived",
      "Deposit: the acceptor (with its signed authorisation, or confirm on the desk yourself). Withdrawal: the platform for its user. The release follows on chain.",
      confirmBody,
      (b: { authorization?: { signer: string; nonce: bigint; validBefore: bigint; signature: string } }) => ({ type: "confirm", ...(b.authorization ? { authorization: b.authorization } : {}) }),
    ),
  ];
}
