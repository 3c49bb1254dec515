import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { problemSchema } from "./schemas.js";
import type { RouteSpec } from "./routes/route.js";

/** The OpenAPI 3.1 document, generated from the very zod schemas the routes validate with. */
export function buildOpenApiDocument(specs: RouteSpec[], options: { serverUrl: string; version: string }) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "A merchant API key: `Authorization: Bearer sk_live_…`",
  });
  const idempotencyHeader = z.object({
    "idempotency-key": z.string().max(255).optional().meta({ description: "Makes the POST safe to retry: the same key and body replay the first response." }),
  });
  for (const spec of specs) {
    registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      security: [{ [bearer.name]: [] }],
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(spec.method === "post" ? { headers: idempotencyHeader } : {}),
        ...(spec.body ? { body: { required: true, content: { "application/json": { schema: spec.body } } } } : {}),
      },
      responses: Object.fromEntries(
        Object.entries({ ...spec.responses, 429: { description: "Rate limited", schema: problemSchema } }).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema ? { content: { [Number(status) >= 400 ? "application/problem+json" : "application/json"]: { schema: response.schema } } } : {}),
          },
        ]),
      ),
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "USDT escrow relayer: merchant API",
      version: options.version,
      description: "Invoices, escrows and webhooks of one merchant. See docs/api.md.",
    },
    servers: [{ url: options.serverUrl }],
  });
}
