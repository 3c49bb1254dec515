import type { z } from "zod";
import type { WebhookEndpoints } from "../../webhooks/index.js";
import type { WebhookDeliveryRow } from "../../store/webhooks-repository.js";
import { Problem } from "../problem.js";
import {
  createdEndpointSchema,
  createEndpointBody,
  deliveryIdParams,
  deliveryPageSchema,
  deliverySchema,
  emptyBody,
  endpointIdParams,
  endpointListSchema,
  listDeliveriesQuery,
  problemSchema,
  redeliveredCountSchema,
  redeliverFailedBody,
  rotatedSecretSchema,
  rotateSecretBody,
  testEventSchema,
  webhookEndpointSchema,
} from "../schemas.js";
import { defineRoute, type RouteSpec } from "./route.js";

const errors = {
  400: { description: "Invalid request", schema: problemSchema },
  401: { description: "Missing or invalid API key", schema: problemSchema },
  404: { description: "No such endpoint or delivery", schema: problemSchema },
};
const conflict = { 409: { description: "The endpoint is disabled, or the delivery is being sent", schema: problemSchema } };

/** Delivery log cursor: base64url JSON of [createdAt ISO, id] of the last delivery on the page. */
const encodeCursor = (row: WebhookDeliveryRow) => Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString("base64url");
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof createdAt === "string" && typeof id === "string" && !Number.isNaN(Date.parse(createdAt))) return { createdAt: new Date(createdAt), id };
  } catch {
    // answered below
  }
  throw new Problem(400, "Invalid cursor: pass back nextCursor from the previous page unchanged.", { slug: "validation-error", errors: [{ path: "query.cursor", message: "invalid cursor" }] });
}

export function webhookRoutes(webhooks: WebhookEndpoints): RouteSpec[] {
  const withAttempts = async (merchantId: string, deliveryId: string) => {
    const { delivery, attempts } = await webhooks.getDelivery(merchantId, deliveryId);
    return { ...delivery, attempts };
  };
  const action = (path: string, summary: string, run: (merchantId: string, id: string) => Promise<unknown>, schema: z.ZodType = webhookEndpointSchema) =>
    defineRoute({
      method: "post",
      path: `/v1/webhook-endpoints/{id}/${path}`,
      tag: "Webhooks",
      summary,
      params: endpointIdParams,
      body: emptyBody,
      responses: { 200: { description: "Done", schema }, ...errors, ...conflict },
      handler: async ({ params, merchantId }) => ({ status: 200, body: await run(merchantId, params.id) }),
    });
  return [
    defineRoute({
      method: "post",
      path: "/v1/webhook-endpoints",
      tag: "Webhooks",
      summary: "Add a webhook endpoint (the whsec_ secret is shown only in this response)",
      body: createEndpointBody,
      responses: { 201: { description: "The endpoint and its secret", schema: createdEndpointSchema }, ...errors, 422: { description: "URL refused (private network) or Idempotency-Key reused", schema: problemSchema } },
      handler: async ({ body, merchantId }) => ({
        status: 201,
        body: await webhooks.add({ merchantId, url: body.url, ...(body.description !== undefined ? { description: body.description } : {}), ...(body.eventTypes ? { eventTypes: body.eventTypes } : {}) }),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/webhook-endpoints",
      tag: "Webhooks",
      summary: "List webhook endpoints",
      responses: { 200: { description: "The endpoints", schema: endpointListSchema }, ...errors },
      handler: async ({ merchantId }) => ({ status: 200, body: { items: await webhooks.list(merchantId) } }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/webhook-endpoints/{id}",
      tag: "Webhooks",
      summary: "Get a webhook endpoint",
      params: endpointIdParams,
      responses: { 200: { description: "The endpoint", schema: webhookEndpointSchema }, ...errors },
      handler: async ({ params, merchantId }) => ({ status: 200, body: await webhooks.get(merchantId, params.id) }),
    }),
    action("disable", "Disable an endpoint", (m, id) => webhooks.disable(m, id)),
    action("enable", "Enable an endpoint and clear its failure history", (m, id) => webhooks.enable(m, id)),
    action("test", "Send an endpoint.test event to this endpoint", (m, id) => webhooks.sendTest(m, id), testEventSchema),
    defineRoute({
      method: "post",
      path: "/v1/webhook-endpoints/{id}/rotate-secret",
      tag: "Webhooks",
      summary: "Issue a new secret; the old one keeps signing for graceSeconds (default 24 h)",
      params: endpointIdParams,
      body: rotateSecretBody,
      responses: { 200: { description: "The new secret, shown only here", schema: rotatedSecretSchema }, ...errors },
      handler: async ({ params, body, merchantId }) => ({
        status: 200,
        body: await webhooks.rotateSecret(merchantId, params.id, body.graceSeconds === undefined ? {} : { graceMs: body.graceSeconds * 1000 }),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/webhook-endpoints/{id}/deliveries",
      tag: "Webhooks",
      summary: "List an endpoint's deliveries, newest first, with their attempts",
      params: endpointIdParams,
      query: listDeliveriesQuery,
      responses: { 200: { description: "A page of deliveries", schema: deliveryPageSchema }, ...errors },
      async handler({ params, query, merchantId }) {
        const rows = await webhooks.listDeliveries(merchantId, params.id, {
          limit: query.limit + 1,
          ...(query.status ? { status: query.status } : {}),
          ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
        });
        const page = rows.slice(0, query.limit);
        const items = [];
        for (const row of page) items.push(await withAttempts(merchantId, row.id));
        const last = page[page.length - 1];
        return { status: 200, body: { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/v1/webhook-endpoints/{id}/redeliver-failed",
      tag: "Webhooks",
      summary: "Send again every failed or dead delivery of the endpoint since a time",
      params: endpointIdParams,
      body: redeliverFailedBody,
      responses: { 200: { description: "How many were queued", schema: redeliveredCountSchema }, ...errors, ...conflict },
      handler: async ({ params, body, merchantId }) => ({ status: 200, body: { count: await webhooks.redeliverFailed(merchantId, params.id, new Date(body.since)) } }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/webhook-deliveries/{id}",
      tag: "Webhooks",
      summary: "Get a delivery with its attempt log",
      params: deliveryIdParams,
      responses: { 200: { description: "The delivery", schema: deliverySchema }, ...errors },
      handler: async ({ params, merchantId }) => ({ status: 200, body: await withAttempts(merchantId, params.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/webhook-deliveries/{id}/redeliver",
      tag: "Webhooks",
      summary: "Send one delivery again now",
      params: deliveryIdParams,
      body: emptyBody,
      responses: { 200: { description: "The delivery, queued", schema: deliverySchema }, ...errors, ...conflict },
      async handler({ params, merchantId }) {
        await webhooks.redeliver(merchantId, params.id);
        return { status: 200, body: await withAttempts(merchantId, params.id) };
      },
    }),
  ];
}
