import { escrowToJson, type EscrowProjection } from "../../domain/escrow.js";
import type { InvoiceChain } from "../../merchants/index.js";
import { NotFoundError } from "../../merchants/index.js";
import type { Db } from "../../store/db.js";
import { createIngestRepository } from "../../store/ingest-repository.js";
import { selectMerchantEscrowPage, selectOwnedEscrowChain } from "../../store/invoices-repository.js";
import { Problem } from "../problem.js";
import { escrowIdParams, escrowPageSchema, escrowSchema, getEscrowQuery, listEscrowsQuery, problemSchema } from "../schemas.js";
import { defineRoute, type RouteSpec } from "./route.js";

/** The escrow store's keyset as its cursor: base64url JSON of [opened block, chain, id]. */
const encodeCursor = (escrow: EscrowProjection) => Buffer.from(JSON.stringify([escrow.openedBlock, escrow.chain, escrow.escrowId])).toString("base64url");
function decodeCursor(cursor: string): [number, string, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(key) && key.length === 3 && Number.isSafeInteger(key[0]) && typeof key[1] === "string" && typeof key[2] === "string") return key as [number, string, string];
  } catch {
    // answered below
  }
  throw new Problem(400, "Invalid cursor: pass back nextCursor from the previous page unchanged.", { slug: "validation-error", errors: [{ path: "query.cursor", message: "invalid cursor" }] });
}

const seconds = (iso: string) => BigInt(Math.floor(Date.parse(iso) / 1000));

export function escrowRoutes(db: Db, chains: Map<string, InvoiceChain>): RouteSpec[] {
  const store = createIngestRepository(db);
  const toJson = (escrow: EscrowProjection) => ({
    object: "escrow",
    chain: escrow.chain,
    ...escrowToJson(escrow, chains.get(escrow.chain)?.formatAddress ?? ((hex) => hex)),
    openedBlock: escrow.openedBlock,
    openedTxHash: escrow.openedTxHash,
    updatedBlock: escrow.updatedBlock,
    updatedTxHash: escrow.updatedTxHash,
  });
  const errors = {
    400: { description: "Invalid request", schema: problemSchema },
    401: { description: "Missing or invalid API key", schema: problemSchema },
  };
  return [
    defineRoute({
      method: "get",
      path: "/v1/escrows",
      tag: "Escrows",
      summary: "List the merchant's escrows, newest first",
      query: listEscrowsQuery,
      responses: { 200: { description: "A page of escrows", schema: escrowPageSchema }, ...errors },
      async handler({ query, merchantId }) {
        const page = await selectMerchantEscrowPage(db, {
          merchantId,
          limit: query.limit,
          ...(query.chain ? { chain: query.chain } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.createdFrom ? { openedFrom: seconds(query.createdFrom) } : {}),
          ...(query.createdTo ? { openedTo: seconds(query.createdTo) } : {}),
          ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
        });
        const last = page.items[page.items.length - 1];
        return { status: 200, body: { items: page.items.map(toJson), nextCursor: page.hasMore && last ? encodeCursor(last) : null } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/escrows/{id}",
      tag: "Escrows",
      summary: "Get an escrow (its id is the invoice id)",
      params: escrowIdParams,
      query: getEscrowQuery,
      responses: { 200: { description: "The escrow", schema: escrowSchema }, ...errors, 404: { description: "No such escrow", schema: problemSchema } },
      async handler({ params, query, merchantId }) {
        const chain = await selectOwnedEscrowChain(db, merchantId, params.id, query.chain);
        const escrow = chain && (await store.getEscrow(chain, params.id));
        if (!escrow) throw new NotFoundError(`Escrow ${params.id} not found`);
        return { status: 200, body: toJson(escrow) };
      },
    }),
  ];
}
