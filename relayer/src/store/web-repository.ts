import { rowToEscrow } from "./escrow-rows.js";
import type { EscrowProjection } from "../domain/escrow.js";
import type { Db } from "./db.js";

/**
 * What the checkout page and the merchant dashboard read (and their sessions). Invoices and
 * escrows themselves are read through invoices-repository; this file adds the queries only the
 * web pages need: a public lookup by invoice id, per-subject change detection for Server-Sent
 * Events, timelines, balances and daily volume.
 */

type Row = Record<string, unknown>;

/** Who an invoice belongs to, looked up by id alone (the checkout URL carries nothing else). */
export async function selectInvoiceOwner(db: Db, invoiceId: string): Promise<{ merchantId: string; merchantName: string; chain: string } | undefined> {
  const rows = await db.query<{ merchant_id: string; name: string; chain: string }>(
    `SELECT i.merchant_id, m.name, i.chain FROM invoices i JOIN merchants m ON m.id = i.merchant_id WHERE i.invoice_id = $1 ORDER BY i.position LIMIT 1`,
    [invoiceId.toLowerCase()],
  );
  const row = rows[0];
  return row ? { merchantId: row.merchant_id, merchantName: row.name, chain: row.chain } : undefined;
}

/**
 * The latest domain-event sequence of each subject: every status change of an invoice or escrow
 * (paid, released, expired, reverted…) appends one, so a changed number means "read it again".
 * One query for every subject anyone is watching.
 */
export async function selectSubjectSequences(db: Db, subjects: { chain: string; subjectId: string }[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (subjects.length === 0) return result;
  const rows = await db.query<{ chain: string; subject_id: string; seq: number }>(
    `SELECT chain, subject_id, max(sequence) AS seq FROM domain_events
     WHERE (chain, subject_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) GROUP BY chain, subject_id`,
    [subjects.map((s) => s.chain), subjects.map((s) => s.subjectId)],
  );
  for (const row of rows) result.set(`${row.chain}:${row.subject_id}`, Number(row.seq));
  return result;
}

/** The newest block time ingestion has recorded for a chain: the clock signed actions must beat. */
export async function selectLatestChainTime(db: Db, chain: string): Promise<bigint | undefined> {
  const rows = await db.query<{ t: string | null }>(`SELECT max(timestamp) AS t FROM chain_blocks WHERE chain = $1`, [chain]);
  return rows[0]?.t ? BigInt(rows[0].t) : undefined;
}

export interface TimelineEntry {
  blockNumber: number;
  blockTimestamp: number;
  txHash: string;
  logIndex: number;
  eventName: string;
  args: Record<string, unknown>;
}

export async function selectEscrowTimeline(db: Db, chain: string, escrowId: string): Promise<TimelineEntry[]> {
  const rows = await db.query<Row>(
    `SELECT block_number, block_timestamp, tx_hash, log_index, event_name, args FROM chain_events
     WHERE chain = $1 AND subject_id = $2 ORDER BY block_number, log_index`,
    [chain, escrowId.toLowerCase()],
  );
  return rows.map((r) => ({
    blockNumber: Number(r.block_number),
    blockTimestamp: Number(r.block_timestamp),
    txHash: String(r.tx_hash),
    logIndex: Number(r.log_index),
    eventName: String(r.event_name),
    args: r.args as Record<string, unknown>,
  }));
}

export interface SignedActionEntry {
  id: string;
  action: string;
  amount: bigint | null;
  signer: string;
  state: string;
  error: string | null;
  createdAt: Date;
}

export async function selectEscrowSignedActions(db: Db, chain: string, escrowId: string): Promise<SignedActionEntry[]> {
  const rows = await db.query<Row>(
    `SELECT id, action, amount, signer, state, error, created_at FROM signed_actions WHERE chain = $1 AND escrow_id = $2 ORDER BY created_at, id`,
    [chain, escrowId.toLowerCase()],
  );
  return rows.map((r) => ({
    id: String(r.id),
    action: String(r.action),
    amount: r.amount === null ? null : BigInt(r.amount as string),
    signer: String(r.signer),
    state: String(r.state),
    error: r.error === null ? null : String(r.error),
    createdAt: new Date(r.created_at as string),
  }));
}

const OWNED = `EXISTS (SELECT 1 FROM merchant_addresses ma WHERE ma.chain = e.chain AND ma.address = e.payee AND ma.merchant_id = $1)`;

/** The merchant's escrows matching a search on id or merchant reference text, newest first. */
export async function searchMerchantEscrows(
  db: Db,
  filter: { merchantId: string; chain?: string; status?: string[]; q?: string; limit: number },
): Promise<(EscrowProjection & { referenceText: string | null })[]> {
  const rows = await db.query<Parameters<typeof rowToEscrow>[0] & { reference_text: string | null }>(
    `SELECT e.*, i.merchant_reference AS reference_text FROM escrows e
     LEFT JOIN invoices i ON i.chain = e.chain AND i.invoice_id = e.escrow_id
     WHERE ${OWNED} AND ($2::text IS NULL OR e.chain = $2) AND ($3::text[] IS NULL OR e.status = ANY($3))
       AND ($4::text IS NULL OR e.escrow_id LIKE $4 || '%' OR i.merchant_reference ILIKE '%' || $4 || '%')
     ORDER BY e.opened_block DESC, e.chain DESC, e.escrow_id DESC LIMIT $5`,
    [filter.merchantId, filter.chain ?? null, filter.status ?? null, filter.q ? escapeLike(filter.q) : null, filter.limit],
  );
  return rows.map((row) => ({ ...rowToEscrow(row), referenceText: row.reference_text }));
}

/** Invoice ids of the merchant whose id starts with, or whose reference contains, `q`; newest first. */
export async function searchMerchantInvoiceIds(db: Db, merchantId: string, q: string, limit: number): Promise<{ chain: string; invoiceId: string }[]> {
  const rows = await db.query<{ chain: string; invoice_id: string }>(
    `SELECT chain, invoice_id FROM invoices WHERE merchant_id = $1 AND (invoice_id LIKE $2 || '%' OR merchant_reference ILIKE '%' || $2 || '%')
     ORDER BY position DESC LIMIT $3`,
    [merchantId, escapeLike(q.toLowerCase().startsWith("0x") ? q.toLowerCase() : q), limit],
  );
  return rows.map((r) => ({ chain: r.chain, invoiceId: r.invoice_id }));
}

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface BalanceRow {
  chain: string;
  token: string;
  openCount: number;
  /** Still in escrow (open or disputed). */
  held: bigint;
  /** Released to the merchant, fees excluded. */
  paidOut: bigint;
  refunded: bigint;
  fees: bigint;
}

export async function selectMerchantBalances(db: Db, merchantId: string): Promise<BalanceRow[]> {
  const rows = await db.query<Row>(
    `SELECT e.chain, e.token,
       count(*) FILTER (WHERE e.status IN ('open', 'disputed')) AS open_count,
       coalesce(sum(e.remaining) FILTER (WHERE e.status IN ('open', 'disputed')), 0) AS held,
       coalesce(sum(e.released_amount - e.fee_amount), 0) AS paid_out,
       coalesce(sum(e.refunded_amount), 0) AS refunded,
       coalesce(sum(e.fee_amount), 0) AS fees
     FROM escrows e WHERE ${OWNED} GROUP BY e.chain, e.token ORDER BY e.chain, e.token`,
    [merchantId],
  );
  return rows.map((r) => ({
    chain: String(r.chain),
    token: String(r.token),
    openCount: Number(r.open_count),
    held: BigInt(r.held as string),
    paidOut: BigInt(r.paid_out as string),
    refunded: BigInt(r.refunded as string),
    fees: BigInt(r.fees as string),
  }));
}

/** Paid volume per UTC day (escrows opened and invoices settled directly), over the last `days` days. */
export async function selectDailyVolume(db: Db, merchantId: string, sinceSeconds: bigint): Promise<{ day: string; amount: bigint; count: number }[]> {
  const rows = await db.query<{ day: string; amount: string; count: string }>(
    `SELECT to_char(to_timestamp(c.block_timestamp) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum((c.args->>'amount')::numeric) AS amount, count(*) AS count
     FROM chain_events c JOIN merchant_addresses ma ON ma.chain = c.chain AND ma.merchant_id = $1
       AND ma.address = CASE c.event_name WHEN 'EscrowOpened' THEN c.args->>'payee' ELSE c.args->>'merchant' END
     WHERE c.event_name IN ('EscrowOpened', 'InvoiceSettled') AND c.block_timestamp >= $2
     GROUP BY 1 ORDER BY 1`,
    [merchantId, sinceSeconds.toString()],
  );
  return rows.map((r) => ({ day: r.day, amount: BigInt(r.amount), count: Number(r.count) }));
}

export interface WebSessionRow {
  merchantId: string;
  apiKeyId: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function insertWebSession(db: Db, session: WebSessionRow & { tokenHash: string }): Promise<void> {
  await db.query(`INSERT INTO web_sessions (token_hash, merchant_id, api_key_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
    session.tokenHash,
    session.merchantId,
    session.apiKeyId,
    session.csrfToken,
    session.expiresAt.toISOString(),
  ]);
}

/** A live session: not expired, and its API key not revoked since. */
export async function selectWebSession(db: Db, tokenHash: string): Promise<WebSessionRow | undefined> {
  const rows = await db.query<Row>(
    `SELECT s.merchant_id, s.api_key_id, s.csrf_token, s.expires_at FROM web_sessions s JOIN api_keys k ON k.id = s.api_key_id
     WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
    [tokenHash],
  );
  const r = rows[0];
  return r ? { merchantId: String(r.merchant_id), apiKeyId: String(r.api_key_id), csrfToken: String(r.csrf_token), expiresAt: new Date(r.expires_at as string) } : undefined;
}

export async function deleteWebSession(db: Db, tokenHash: string): Promise<void> {
  await db.query(`DELETE FROM web_sessions WHERE token_hash = $1`, [tokenHash]);
}

export async function pruneWebSessions(db: Db, before: Date): Promise<number> {
  return (await db.query(`DELETE FROM web_sessions WHERE expires_at < $1 RETURNING token_hash`, [before.toISOString()])).length;
}
