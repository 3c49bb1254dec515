import type { EscrowProjection, EscrowStatus } from "../domain/escrow.js";
import type { Db } from "./db.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

/** Columns of `escrows` and their SQL types, in the order `escrowToParams` fills them. */
const ESCROW_COLUMN_TYPES = {
  chain: "text",
  escrow_id: "text",
  vault: "text",
  token: "text",
  payer: "text",
  payee: "text",
  arbiter: "text",
  amount: "numeric",
  remaining: "numeric",
  released_amount: "numeric",
  refunded_amount: "numeric",
  fee_amount: "numeric",
  deferred_amount: "numeric",
  fee_bps: "integer",
  timeout_action: "text",
  merchant_reference: "text",
  pay_by: "bigint",
  deadline: "bigint",
  disputed_at: "bigint",
  disputant: "text",
  status: "text",
  due_at: "bigint",
  opened_block: "bigint",
  opened_tx_hash: "text",
  updated_block: "bigint",
  updated_tx_hash: "text",
} as const;
const ESCROW_COLUMNS = Object.keys(ESCROW_COLUMN_TYPES) as (keyof typeof ESCROW_COLUMN_TYPES)[];

type EscrowRow = Record<(typeof ESCROW_COLUMNS)[number], string | number | null>;

const nullableBigint = (value: string | number | null) => (value === null ? null : BigInt(value));

export function rowToEscrow(row: EscrowRow): EscrowProjection {
  return {
    chain: String(row.chain),
    escrowId: String(row.escrow_id),
    vault: String(row.vault),
    token: String(row.token),
    payer: String(row.payer),
    payee: String(row.payee),
    arbiter: String(row.arbiter),
    amount: BigInt(row.amount!),
    remaining: BigInt(row.remaining!),
    releasedAmount: BigInt(row.released_amount!),
    refundedAmount: BigInt(row.refunded_amount!),
    feeAmount: BigInt(row.fee_amount!),
    deferredAmount: BigInt(row.deferred_amount!),
    feeBps: Number(row.fee_bps),
    timeoutAction: row.timeout_action === "release" ? "release" : "refund",
    merchantReference: String(row.merchant_reference),
    payBy: BigInt(row.pay_by!),
    deadline: BigInt(row.deadline!),
    disputedAt: nullableBigint(row.disputed_at),
    disputant: row.disputant === null ? null : String(row.disputant),
    status: row.status as EscrowStatus,
    dueAt: nullableBigint(row.due_at),
    openedBlock: Number(row.opened_block),
    openedTxHash: String(row.opened_tx_hash),
    updatedBlock: Number(row.updated_block),
    updatedTxHash: String(row.updated_tx_hash),
  };
}

function escrowToParams(e: EscrowProjection): unknown[] {
  return [
    e.chain,
    e.escrowId,
    e.vault,
    e.token,
    e.payer,
    e.payee,
    e.arbiter,
    e.amount.toString(),
    e.remaining.toString(),
    e.releasedAmount.toString(),
    e.refundedAmount.toString(),
    e.feeAmount.toString(),
    e.deferredAmount.toString(),
    e.feeBps,
    e.timeoutAction,
    e.merchantReference,
    e.payBy.toString(),
    e.deadline.toString(),
    e.disputedAt?.toString() ?? null,
    e.disputant,
    e.status,
    e.dueAt?.toString() ?? null,
    e.openedBlock,
    e.openedTxHash,
    e.updatedBlock,
    e.updatedTxHash,
  ];
}

const UPDATE_ON_CONFLICT = `ON CONFLICT (chain, escrow_id) DO UPDATE SET ${ESCROW_COLUMNS.slice(2)
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(", ")}`;

const UPSERT_SQL = `INSERT INTO escrows (${ESCROW_COLUMNS.join(", ")})
  VALUES (${ESCROW_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")}) ${UPDATE_ON_CONFLICT}`;

const UPSERT_MANY_SQL = `INSERT INTO escrows (${ESCROW_COLUMNS.join(", ")})
  SELECT ${ESCROW_COLUMNS.join(", ")} FROM ${recordsetFrom("$1", ESCROW_COLUMN_TYPES)} ${UPDATE_ON_CONFLICT}`;

export async function upsertEscrow(db: Db, escrow: EscrowProjection): Promise<void> {
  await db.query(UPSERT_SQL, escrowToParams(escrow));
}

/** One statement for any number of escrows (each at most once). */
export async function upsertEscrows(db: Db, escrows: readonly EscrowProjection[]): Promise<void> {
  if (escrows.length === 0) return;
  const rows = escrows.map((escrow) => {
    const params = escrowToParams(escrow);
    return Object.fromEntries(ESCROW_COLUMNS.map((column, i) => [column, params[i]]));
  });
  await db.query(UPSERT_MANY_SQL, [recordsetJson(rows)]);
}

/** The stored projections of `escrowIds` (lower-case hex) on `chain`, by id; absent ids are missing. */
export async function selectEscrows(db: Db, chain: string, escrowIds: readonly string[]): Promise<Map<string, EscrowProjection>> {
  if (escrowIds.length === 0) return new Map();
  const rows = await db.query<EscrowRow>(`SELECT * FROM escrows WHERE chain = $1 AND escrow_id = ANY($2)`, [chain, escrowIds]);
  return new Map(rows.map((row) => [String(row.escrow_id), rowToEscrow(row)]));
}

export async function selectEscrow(db: Db, chain: string, escrowId: string): Promise<EscrowProjection | undefined> {
  const rows = await db.query<EscrowRow>(`SELECT * FROM escrows WHERE chain = $1 AND escrow_id = $2`, [chain, escrowId.toLowerCase()]);
  return rows[0] ? rowToEscrow(rows[0]) : undefined;
}

export interface EscrowListFilter {
  chain?: string;
  status?: EscrowStatus | EscrowStatus[];
  /** Escrows whose payee is one of this merchant's addresses (merchant_addresses). */
  merchantId?: string;
  /** Lower-case hex payee. */
  payee?: string;
  /** Page size. Default: 50; at most 200. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface EscrowPage {
  items: EscrowProjection[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

/** Newest first (by opening block), stable under inserts: keyset pagination on (block, chain, id). */
export async function selectEscrowPage(db: Db, filter: EscrowListFilter): Promise<EscrowPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: number) => string, ...values: unknown[]) => {
    const first = params.length + 1;
    params.push(...values);
    where.push(sql(first));
  };
  if (filter.chain) add((n) => `e.chain = $${n}`, filter.chain);
  if (filter.status) add((n) => `e.status = ANY($${n})`, Array.isArray(filter.status) ? filter.status : [filter.status]);
  if (filter.payee) add((n) => `e.payee = $${n}`, filter.payee.toLowerCase());
  if (filter.merchantId) {
    add((n) => `EXISTS (SELECT 1 FROM merchant_addresses ma WHERE ma.chain = e.chain AND ma.address = e.payee AND ma.merchant_id = $${n})`, filter.merchantId);
  }
  if (filter.cursor) {
    const [block, chain, id] = decodeCursor(filter.cursor);
    add((n) => `(e.opened_block, e.chain, e.escrow_id) < ($${n}, $${n + 1}, $${n + 2})`, block, chain, id);
  }
  const limit = Math.min(Math.max(filter.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  params.push(limit + 1);
  const rows = await db.query<EscrowRow>(
    `SELECT e.* FROM escrows e ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY e.opened_block DESC, e.chain DESC, e.escrow_id DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, limit).map(rowToEscrow);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.openedBlock, last.chain, last.escrowId]) : null };
}

function encodeCursor(key: [number, string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string): [number, string, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(key) && key.length === 3 && typeof key[0] === "number" && typeof key[1] === "string" && typeof key[2] === "string") {
      return key as [number, string, string];
    }
  } catch {
    // fall through to the plain error below
  }
  // Callers misusing the API get a plain Error; the HTTP layer validates cursors before this.
  throw new Error(`invalid escrow cursor: ${cursor}`);
}

/** Open or disputed escrows whose timeout is executable at `nowSeconds` (block time > due_at). */
export async function selectDueEscrows(db: Db, chain: string, nowSeconds: bigint, limit: number): Promise<EscrowProjection[]> {
  const rows = await db.query<EscrowRow>(
    `SELECT * FROM escrows WHERE chain = $1 AND status IN ('open', 'disputed') AND due_at < $2
     ORDER BY due_at, escrow_id LIMIT $3`,
    [chain, nowSeconds.toString(), limit],
  );
  return rows.map(rowToEscrow);
}
