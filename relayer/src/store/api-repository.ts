import type { Db } from "./db.js";

/** Idempotency keys of the HTTP API: one per merchant and key, with the first request's outcome. */

/** A request still unfinished after this long died with its process; its key may be claimed again. */
const STALE_CLAIM_MS = 5 * 60_000;

export type IdempotencyClaim =
  | { state: "claimed" }
  | { state: "in_progress"; requestHash: string }
  | { state: "completed"; requestHash: string; statusCode: number; body: unknown };

/** Inserts the key for this request, or reports what an earlier request with the same key left. */
export async function claimIdempotencyKey(
  db: Db,
  input: { merchantId: string; key: string; requestHash: string; staleAfterMs?: number },
): Promise<IdempotencyClaim> {
  // A claim whose process died before finishing (no status after staleAfterMs) is taken over. "<=": a claim
  // and its takeover can share a timestamp (clock resolution), and 0 must mean "stale at once".
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (merchant_id, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (merchant_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
       WHERE idempotency_keys.status_code IS NULL AND idempotency_keys.created_at <= now() - $4 * interval '1 millisecond'
     RETURNING key`,
    [input.merchantId, input.key, input.requestHash, input.staleAfterMs ?? STALE_CLAIM_MS],
  );
  if (inserted.length === 1) return { state: "claimed" };
  const rows = await db.query<{ request_hash: string; status_code: number | null; response_body: unknown }>(
    `SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
    [input.merchantId, input.key],
  );
  const row = rows[0];
  // Released between our insert and select: the caller may simply try again.
  if (!row) return { state: "in_progress", requestHash: input.requestHash };
  if (row.status_code === null) return { state: "in_progress", requestHash: row.request_hash };
  return { state: "completed", requestHash: row.request_hash, statusCode: Number(row.status_code), body: row.response_body };
}

export async function completeIdempotencyKey(db: Db, input: { merchantId: string; key: string; statusCode: number; body: unknown }): Promise<void> {
  await db.query(`UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE merchant_id = $1 AND key = $2`, [
    input.merchantId,
    input.key,
    input.statusCode,
    JSON.stringify(input.body),
  ]);
}

/** Frees a key whose request failed on the server side, so that a retry runs it again. */
export async function releaseIdempotencyKey(db: Db, input: { merchantId: string; key: string }): Promise<void> {
  await db.query(`DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2 AND status_code IS NULL`, [input.merchantId, input.key]);
}

/** Readiness: the database answers and every migration file is recorded as applied. */
export async function countAppliedMigrations(db: Db, names: string[]): Promise<number> {
  const rows = await db.query<{ n: string }>(`SELECT count(*) AS n FROM schema_migrations WHERE name = ANY($1)`, [names]);
  return Number(rows[0]?.n ?? 0);
}

/** Forgets keys older than `before` (run daily: clients retry within hours, not weeks). */
export async function pruneIdempotencyKeys(db: Db, before: Date): Promise<number> {
  return (await db.query(`DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING key`, [before.toISOString()])).length;
}
