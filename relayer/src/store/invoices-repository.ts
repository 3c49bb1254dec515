import { rowToEscrow, selectEscrow } from "./escrow-rows.js";
import type { EscrowProjection } from "../domain/escrow.js";
import type { DepositTerms } from "../domain/deposit.js";
import { insertDeposit, selectDeposit, type StoredDeposit } from "./deposits-repository.js";
import type { Db } from "./db.js";

/**
 * Invoices created through the API and their status. The status is derived, never stored: the
 * escrow projection and the live (not reverted) invoice.paid / invoice.cancelled events written by
 * ingestion, then the expiry mark, decide it. So a reorg that undoes a payment undoes the status too.
 */

export type InvoiceStatus = "created" | "paid" | "settled" | "expired" | "cancelled" | "refunded";
export const INVOICE_STATUSES: readonly InvoiceStatus[] = ["created", "paid", "settled", "expired", "cancelled", "refunded"];

export interface InvoiceRecord {
  chain: string;
  invoiceId: string;
  merchantId: string;
  vault: string;
  merchantAddress: string;
  signerAddress: string;
  token: string;
  amount: bigint;
  payBy: bigint;
  holdPeriod: bigint;
  timeoutAction: "release" | "refund";
  arbiter: string;
  payer: string;
  merchantReference: string;
  merchantReferenceHash: string;
  nonce: bigint;
  signature: string;
  metadata: Record<string, string> | null;
}

export interface StoredInvoice extends InvoiceRecord {
  status: InvoiceStatus;
  createdAt: Date;
  expiredAt: Date | null;
  escrow: EscrowProjection | undefined;
  /** Scan-to-pay: the deposit address and what arrived there; undefined when the chain has none. */
  deposit?: StoredDeposit;
}

/** A domain event this module writes (invoice.created, invoice.expired). */
export interface InvoiceEvent {
  id: string;
  type: "invoice.created" | "invoice.expired";
  payload: Record<string, unknown>;
}

export interface InvoiceListFilter {
  merchantId: string;
  chain?: string;
  status?: InvoiceStatus[];
  createdFrom?: Date;
  createdTo?: Date;
  limit: number;
  /** `position` of the last invoice of the previous page. */
  before?: bigint;
}

type Row = Record<string, unknown>;

/** A payment event on the subject that no event.reverted has undone. */
const LIVE_EVENT = (type: string) => `EXISTS (SELECT 1 FROM domain_events d WHERE d.chain = i.chain AND d.subject_id = i.invoice_id AND d.type = '${type}'
  AND NOT EXISTS (SELECT 1 FROM domain_events r WHERE r.chain = d.chain AND r.subject_id = d.subject_id AND r.type = 'event.reverted' AND r.payload->>'revertedEventId' = d.id))`;

const STATUS_SQL = `CASE
  WHEN e.status IN ('open', 'disputed') THEN 'paid'
  WHEN e.status = 'released' THEN 'settled'
  WHEN e.status = 'refunded' THEN 'refunded'
  WHEN e.status IS NOT NULL THEN CASE WHEN e.released_amount > 0 THEN 'settled' ELSE 'refunded' END
  WHEN ${LIVE_EVENT("invoice.paid")} THEN 'settled'
  WHEN ${LIVE_EVENT("invoice.cancelled")} THEN 'cancelled'
  WHEN i.expired_at IS NOT NULL THEN 'expired'
  ELSE 'created' END`;

const SELECT_SQL = `SELECT * FROM (SELECT i.*, ${STATUS_SQL} AS status, e.escrow_id AS escrow_ref
  FROM invoices i LEFT JOIN escrows e ON e.chain = i.chain AND e.escrow_id = i.invoice_id) x`;

function toRecord(row: Row): Omit<StoredInvoice, "escrow"> & { position: bigint; hasEscrow: boolean } {
  return {
    position: BigInt(row.position as string),
    chain: String(row.chain),
    invoiceId: String(row.invoice_id),
    merchantId: String(row.merchant_id),
    vault: String(row.vault),
    merchantAddress: String(row.merchant_address),
    signerAddress: String(row.signer_address),
    token: String(row.token),
    amount: BigInt(row.amount as string),
    payBy: BigInt(row.pay_by as string),
    holdPeriod: BigInt(row.hold_period as string),
    timeoutAction: row.timeout_action === "refund" ? "refund" : "release",
    arbiter: String(row.arbiter),
    payer: String(row.payer),
    merchantReference: String(row.merchant_reference),
    merchantReferenceHash: String(row.merchant_reference_hash),
    nonce: BigInt(row.nonce as string),
    signature: String(row.signature),
    metadata: (row.metadata as Record<string, string> | null) ?? null,
    status: row.status as InvoiceStatus,
    createdAt: new Date(row.created_at as string),
    expiredAt: row.expired_at === null ? null : new Date(row.expired_at as string),
    hasEscrow: row.escrow_ref !== null,
  };
}

async function withEscrow(db: Db, row: Row): Promise<StoredInvoice & { position: bigint }> {
  const { hasEscrow, ...invoice } = toRecord(row);
  const deposit = await selectDeposit(db, invoice.chain, invoice.invoiceId);
  return { ...invoice, escrow: hasEscrow ? await selectEscrow(db, invoice.chain, invoice.invoiceId) : undefined, ...(deposit ? { deposit } : {}) };
}

/**
 * The next per-subject sequence, the way ingestion numbers its events (max + 1 on chain and subject),
 * so that invoice.created is 1 and the invoice.paid ingestion appends later is 2.
 */
async function insertDomainEvent(tx: Db, invoice: { chain: string; invoiceId: string; merchantId: string }, event: InvoiceEvent): Promise<number> {
  const rows = await tx.query<{ max: number | null }>(`SELECT max(sequence) AS max FROM domain_events WHERE chain = $1 AND subject_id = $2`, [
    invoice.chain,
    invoice.invoiceId,
  ]);
  const sequence = Number(rows[0]?.max ?? 0) + 1;
  await tx.query(
    `INSERT INTO domain_events (id, merchant_id, type, chain, subject_id, sequence, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [event.id, invoice.merchantId, event.type, invoice.chain, invoice.invoiceId, sequence, JSON.stringify({ ...event.payload, sequence })],
  );
  return sequence;
}

/** Stores the invoice, its deposit address (if any) and its invoice.created event in one transaction. */
export async function insertInvoice(db: Db, invoice: InvoiceRecord, event: InvoiceEvent, deposit?: { terms: DepositTerms; watchUntil: bigint }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO invoices (chain, invoice_id, merchant_id, vault, merchant_address, signer_address, token, amount, pay_by, hold_period,
         timeout_action, arbiter, payer, merchant_reference, merchant_reference_hash, nonce, signature, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
      [
        invoice.chain,
        invoice.invoiceId,
        invoice.merchantId,
        invoice.vault,
        invoice.merchantAddress,
        invoice.signerAddress,
        invoice.token,
        invoice.amount.toString(),
        invoice.payBy.toString(),
        invoice.holdPeriod.toString(),
        invoice.timeoutAction,
        invoice.arbiter,
        invoice.payer,
        invoice.merchantReference,
        invoice.merchantReferenceHash,
        invoice.nonce.toString(),
        invoice.signature,
        invoice.metadata === null ? null : JSON.stringify(invoice.metadata),
      ],
    );
    if (deposit) await insertDeposit(tx, deposit.terms, invoice.merchantId, deposit.watchUntil);
    await insertDomainEvent(tx, invoice, event);
  });
}

/** One of the merchant's invoices by id (on any chain unless `chain` is given). */
export async function selectInvoice(db: Db, merchantId: string, invoiceId: string, chain?: string): Promise<StoredInvoice | undefined> {
  const rows = await db.query<Row>(`${SELECT_SQL} WHERE merchant_id = $1 AND invoice_id = $2 AND ($3::text IS NULL OR chain = $3) ORDER BY position LIMIT 1`, [
    merchantId,
    invoiceId.toLowerCase(),
    chain ?? null,
  ]);
  return rows[0] ? withEscrow(db, rows[0]) : undefined;
}

/** Newest first; returns one extra row's worth of knowledge as `hasMore`. */
export async function selectInvoicePage(db: Db, filter: InvoiceListFilter): Promise<{ items: (StoredInvoice & { position: bigint })[]; hasMore: boolean }> {
  const where = ["merchant_id = $1"];
  const params: unknown[] = [filter.merchantId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (filter.chain) add("chain = ?", filter.chain);
  if (filter.status) add("status = ANY(?)", filter.status);
  if (filter.createdFrom) add("created_at >= ?", filter.createdFrom.toISOString());
  if (filter.createdTo) add("created_at < ?", filter.createdTo.toISOString());
  if (filter.before !== undefined) add("position < ?", filter.before.toString());
  params.push(filter.limit + 1);
  const rows = await db.query<Row>(`${SELECT_SQL} WHERE ${where.join(" AND ")} ORDER BY position DESC LIMIT $${params.length}`, params);
  const items = [];
  for (const row of rows.slice(0, filter.limit)) items.push(await withEscrow(db, row));
  return { items, hasMore: rows.length > filter.limit };
}

/** The chain of an escrow whose payee is one of the merchant's addresses; undefined for anyone else's. */
export async function selectOwnedEscrowChain(db: Db, merchantId: string, escrowId: string, chain?: string): Promise<string | undefined> {
  const rows = await db.query<{ chain: string }>(
    `SELECT e.chain FROM escrows e WHERE e.escrow_id = $1 AND ($3::text IS NULL OR e.chain = $3)
       AND EXISTS (SELECT 1 FROM merchant_addresses ma WHERE ma.chain = e.chain AND ma.address = e.payee AND ma.merchant_id = $2)
     ORDER BY e.chain LIMIT 1`,
    [escrowId.toLowerCase(), merchantId, chain ?? null],
  );
  return rows[0]?.chain;
}

export interface MerchantEscrowFilter {
  merchantId: string;
  chain?: string;
  status?: string[];
  /** Opening block time bounds, unix seconds: from inclusive, to exclusive. */
  openedFrom?: bigint;
  openedTo?: bigint;
  limit: number;
  /** The escrow store's keyset: [opened block, chain, escrow id] of the previous page's last item. */
  after?: [number, string, string];
}

/**
 * The merchant's escrows, newest first, with the same keyset (and so the same cursors) as the escrow
 * store's own listing, plus a filter on when the escrow opened: the EscrowOpened log's block time,
 * which chain_events keeps for good (chain_blocks is pruned).
 */
export async function selectMerchantEscrowPage(db: Db, filter: MerchantEscrowFilter): Promise<{ items: EscrowProjection[]; hasMore: boolean }> {
  const where = ["EXISTS (SELECT 1 FROM merchant_addresses ma WHERE ma.chain = e.chain AND ma.address = e.payee AND ma.merchant_id = $1)"];
  const params: unknown[] = [filter.merchantId];
  const add = (sql: (n: number) => string, ...values: unknown[]) => {
    const first = params.length + 1;
    params.push(...values);
    where.push(sql(first));
  };
  if (filter.chain) add((n) => `e.chain = $${n}`, filter.chain);
  if (filter.status) add((n) => `e.status = ANY($${n})`, filter.status);
  if (filter.openedFrom !== undefined || filter.openedTo !== undefined) {
    add(
      (n) => `EXISTS (SELECT 1 FROM chain_events c WHERE c.chain = e.chain AND c.subject_id = e.escrow_id AND c.event_name = 'EscrowOpened'
        AND ($${n}::bigint IS NULL OR c.block_timestamp >= $${n}) AND ($${n + 1}::bigint IS NULL OR c.block_timestamp < $${n + 1}))`,
      filter.openedFrom?.toString() ?? null,
      filter.openedTo?.toString() ?? null,
    );
  }
  if (filter.after) add((n) => `(e.opened_block, e.chain, e.escrow_id) < ($${n}, $${n + 1}, $${n + 2})`, ...filter.after);
  params.push(filter.limit + 1);
  const rows = await db.query<Parameters<typeof rowToEscrow>[0]>(
    `SELECT e.* FROM escrows e WHERE ${where.join(" AND ")} ORDER BY e.opened_block DESC, e.chain DESC, e.escrow_id DESC LIMIT $${params.length}`,
    params,
  );
  return { items: rows.slice(0, filter.limit).map(rowToEscrow), hasMore: rows.length > filter.limit };
}

/** Unpaid, uncancelled invoices of `chain` whose payBy is before `chainTimeSeconds`, oldest first. */
export async function selectExpirableInvoices(db: Db, chain: string, chainTimeSeconds: bigint, limit: number): Promise<StoredInvoice[]> {
  const rows = await db.query<Row>(`${SELECT_SQL} WHERE chain = $1 AND expired_at IS NULL AND pay_by < $2 AND status = 'created' ORDER BY pay_by, invoice_id LIMIT $3`, [
    chain,
    chainTimeSeconds.toString(),
    limit,
  ]);
  return rows.map((row) => ({ ...toRecord(row), escrow: undefined }));
}

/** Marks one invoice expired and writes its invoice.expired event; false if it was already marked. */
export async function markInvoiceExpired(db: Db, invoice: { chain: string; invoiceId: string; merchantId: string }, event: InvoiceEvent): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.query(`UPDATE invoices SET expired_at = now() WHERE chain = $1 AND invoice_id = $2 AND expired_at IS NULL RETURNING invoice_id`, [
      invoice.chain,
      invoice.invoiceId,
    ]);
    if (rows.length === 0) return false;
    await insertDomainEvent(tx, invoice, event);
    return true;
  });
}

/**
 * Invoices whose deposit address holds the full amount (status processing) at chain time `chainTime`,
 * still payable, and not already carried by a sweep transaction at this deposit's version (its
 * received total: a top-up makes a failed sweep worth trying again). Oldest pay-by first.
 */
export async function selectSweepableInvoices(db: Db, chain: string, chainTime: bigint, limit: number): Promise<{ invoice: InvoiceRecord; version: string }[]> {
  const rows = await db.query<Row>(
    `${SELECT_SQL.replace("SELECT * FROM", "SELECT x.*, d.received::text AS deposit_received FROM")} JOIN deposits d ON d.chain = x.chain AND d.invoice_id = x.invoice_id
     WHERE x.chain = $1 AND d.status = 'processing' AND d.pay_by >= $2
       AND NOT EXISTS (SELECT 1 FROM tx_journal_subjects s WHERE s.chain = d.chain AND s.subject_id = 'sweep:' || d.invoice_id AND s.subject_version = d.received::text)
     ORDER BY d.pay_by, d.invoice_id LIMIT $3`,
    [chain, chainTime.toString(), limit],
  );
  return rows.map((row) => ({ invoice: toRecord(row), version: String(row.deposit_received) }));
}
