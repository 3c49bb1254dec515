import type { Db } from "./db.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

/** The queue of P2P calls owed to the AcceptorDesk (migration 0010). */

export type ChainCallKind = "reserve" | "confirm";

export interface ChainCallRow {
  id: string;
  chain: string;
  kind: ChainCallKind;
  orderId: string;
  request: Record<string, unknown>;
}

const COLUMNS = { chain: "text", kind: "text", order_id: "text", request: "jsonb" } as const;

/** Queues calls in the caller's transaction (the one that moved their orders). */
export async function insertChainCalls(tx: Db, calls: readonly Omit<ChainCallRow, "id">[]): Promise<void> {
  if (calls.length === 0) return;
  await tx.query(`INSERT INTO p2p_chain_calls (chain, kind, order_id, request) SELECT chain, kind, order_id, request FROM ${recordsetFrom("$1", COLUMNS)} ORDER BY ordinality`, [
    recordsetJson(calls.map((c) => ({ chain: c.chain, kind: c.kind, order_id: c.orderId, request: c.request }))),
  ]);
}

/** Claims the oldest queued calls of a kind (SKIP LOCKED: several processes never claim one twice). */
export async function claimChainCalls(db: Db, chain: string, kind: ChainCallKind, limit: number): Promise<ChainCallRow[]> {
  const rows = await db.query<{ id: string; chain: string; kind: ChainCallKind; order_id: string; request: Record<string, unknown> }>(
    `UPDATE p2p_chain_calls SET state = 'submitted' WHERE id IN (
       SELECT id FROM p2p_chain_calls WHERE chain = $1 AND kind = $2 AND state = 'queued' ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, chain, kind, order_id, request`,
    [chain, kind, limit],
  );
  return rows.map((r) => ({ id: String(r.id), chain: r.chain, kind: r.kind, orderId: r.order_id, request: r.request })).sort((a, b) => Number(a.id) - Number(b.id));
}

/** Puts claimed calls back in the queue (the transaction could not be built now), or fails them. */
export async function releaseChainCalls(db: Db, ids: readonly string[], outcome: { state: "queued" } | { state: "failed"; error: string }): Promise<void> {
  if (ids.length === 0) return;
  await db.query(`UPDATE p2p_chain_calls SET state = $2, error = $3 WHERE id = ANY($1::bigint[])`, [ids, outcome.state, outcome.state === "failed" ? outcome.error : null]);
}

export async function attachChainCalls(db: Db, ids: readonly string[], txId: string): Promise<void> {
  if (ids.length === 0) return;
  await db.query(`UPDATE p2p_chain_calls SET tx_id = $2 WHERE id = ANY($1::bigint[])`, [ids, txId]);
}
