import type { Invoices } from "../../merchants/index.js";
import type { InvoiceStatus } from "../../store/invoices-repository.js";
import { createInvoiceBody, invoiceIdParams, invoicePageSchema, invoiceSchema, listInvoicesQuery, problemSchema } from "../schemas.js";
import { defineRoute, type RouteSpec } from "./route.js";

const errors = {
  400: { description: "Invalid request", schema: problemSchema },
  401: { description: "Missing or invalid API key", schema: problemSchema },
};

export function invoiceRoutes(invoices: Invoices): RouteSpec[] {
  return [
    defineRoute({
      method: "post",
      path: "/v1/invoices",
      tag: "Invoices",
      summary: "Create and sign an invoice",
      description: "Signs the invoice with the merchant's key and returns it with its id (vault.hashInvoice), the wallet calls that pay it and a checkout URL.",
      body: createInvoiceBody,
      responses: { 201: { description: "The signed invoice", schema: invoiceSchema }, ...errors, 422: { description: "Idempotency-Key reused with another request", schema: problemSchema } },
      handler: async ({ body, merchantId }) => ({ status: 201, body: await invoices.create(merchantId, body) }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/invoices",
      tag: "Invoices",
      summary: "List invoices, newest first",
      query: listInvoicesQuery,
      responses: { 200: { description: "A page of invoices", schema: invoicePageSchema }, ...errors },
      handler: async ({ query, merchantId }) => ({
        status: 200,
        body: await invoices.list(merchantId, {
          limit: query.limit,
          ...(query.chain ? { chain: query.chain } : {}),
          ...(query.status ? { status: query.status as InvoiceStatus[] } : {}),
          ...(query.createdFrom ? { createdFrom: new Date(query.createdFrom) } : {}),
          ...(query.createdTo ? { createdTo: new Date(query.createdTo) } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        }),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/invoices/{id}",
      tag: "Invoices",
      summary: "Get an invoice",
      params: invoiceIdParams,
      responses: { 200: { description: "The invoice", schema: invoiceSchema }, ...errors, 404: { description: "No such invoice", schema: problemSchema } },
      handler: async ({ params, merchantId }) => ({ status: 200, body: await invoices.get(merchantId, params.id) }),
    }),
  ];
}
