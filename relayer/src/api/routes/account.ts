import type { Merchants } from "../../merchants/index.js";
import { apiKeyIdParams, apiKeyListSchema, apiKeySchema, createApiKeyBody, createdApiKeySchema, emptyBody, merchantSchema, problemSchema } from "../schemas.js";
import { defineRoute, type RouteSpec } from "./route.js";

const errors = {
  400: { description: "Invalid request", schema: problemSchema },
  401: { description: "Missing or invalid API key", schema: problemSchema },
};

/** The calling merchant and its API keys. Creating merchants is an operator task (CLI), not an API call. */
export function accountRoutes(merchants: Merchants, mode: "live" | "test"): RouteSpec[] {
  return [
    defineRoute({
      method: "get",
      path: "/v1/merchant",
      tag: "Account",
      summary: "The calling merchant, its chains and any setInvoiceSigner transaction it still has to send",
      responses: { 200: { description: "The merchant", schema: merchantSchema }, ...errors },
      handler: async ({ merchantId }) => ({ status: 200, body: await merchants.get(merchantId) }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/api-keys",
      tag: "Account",
      summary: "List the merchant's API keys (prefixes only)",
      responses: { 200: { description: "The keys", schema: apiKeyListSchema }, ...errors },
      handler: async ({ merchantId }) => ({ status: 200, body: { items: await merchants.listApiKeys(merchantId) } }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/api-keys",
      tag: "Account",
      summary: "Create an API key (shown only in this response)",
      body: createApiKeyBody,
      responses: { 201: { description: "The key", schema: createdApiKeySchema }, ...errors },
      handler: async ({ body, merchantId }) => ({ status: 201, body: await merchants.createApiKey(merchantId, { mode, description: body.description ?? "" }) }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/api-keys/{id}/revoke",
      tag: "Account",
      summary: "Revoke an API key at once",
      params: apiKeyIdParams,
      body: emptyBody,
      responses: { 200: { description: "Revoked", schema: apiKeySchema }, ...errors, 404: { description: "No such live key", schema: problemSchema } },
      async handler({ params, merchantId }) {
        await merchants.revokeApiKey(merchantId, params.id);
        return { status: 200, body: (await merchants.listApiKeys(merchantId)).find((key) => key.id === params.id) };
      },
    }),
  ];
}
