import type { OrderKind, OrderStatus } from "../domain/p2p-order.js";
import type { Db } from "./db.js";
import { appendToOutbox, type UnnumberedEvent } from "./outbox-rows.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

/**
 * P2P orders: creation, reads, and the one writer of transitions (`persistTransitions`) that the
 * API, the matching engine and desk-event ingestion all use, so every change of an order writes its
 * row, its audit entries, its webhooks (outbox) and the liquidity, slot and acceptor-record effects
 * in the caller's transaction, a fixed number of statements however many orders change.
 */

export interface P2pOrderRow {
  orderId: string;
  position: bigint;
  platformId: string;
  reference: string;
  kind: OrderKind;
  chain: string;
  token: string;
  amount: bigint;
  tokenDecimals: number;
  userReference: string;
  beneficiary: string;
  /** Resolves disputes on the desk; the zero address: no disputes. */
  arbiter: string;
  fiatCurrency: string;
  fiatMethod: string;
  fiatAmount: string | null;
  status: OrderStatus;
  acceptorId: string | null;
  acceptorAddress: string | null;
  slot: bigint | null;
  slotPrevious: string | null;
  attempt: number;
  excluded: string[];
  paymentWindowS: number;
  matchBy: Date;
  acceptBy: Date | null;
  deadline: bigint | null;
  disputedAt: bigint | null;
  payeeAmount: bigint | null;
  payerAmount: bigint | null;
  reason: string | null;
  version: number;
  matchedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export type NewP2pOrder = Pick<
  P2pOrderRow,
  "orderId" | "platformId" | "reference" | "kind" | "chain" | "token" | "amount" | "tokenDecimals" | "userReference" | "beneficiary" | "arbiter" | "fiatCurrency" | "fiatMethod" | "paymentWindowS" | "matchBy"
>;

export interface AuditEntry {
  orderId: string;
  platformId: string;
  decision: string;
  acceptorId: string | null;
  attempt: number;
  detail: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  id: string;
  createdAt: Date;
}

/** One order's change, as `persistTransitions` writes it. */
export interface OrderChange {
  before: P2pOrderRow;
  after: P2pOrderRow;
  /** Off-chain reservation released (deposit leaving matched/reserving without landing on chain, or landing). */
  releaseReserved: boolean;
  /** Slot update: free it (content unchanged, or the content after close), or set its content. */
  slot: { free: boolean; content?: string | null } | null;
  acceptorOutcome: "completed" | "failed" | null;
  /** Transitions folded into this change (event ids use one version each). Default: 1. */
  steps?: number;
}

type Row = Record<string, unknown>;
const big = (value: unknown) => (value === null || value === undefined ? null : BigInt(value as string));
const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));

export function toOrderRow(row: Row): P2pOrderRow {
  return {
    orderId: String(row.order_id),
    position: BigInt(row.position as string),
    platformId: String(row.platform_id),
    reference: String(row.reference),
    kind: row.kind as OrderKind,
    chain: String(row.chain),
    token: String(row.token),
    amount: BigInt(row.amount as string),
    tokenDecimals: Number(row.token_decimals),
    userReference: String(row.user_reference),
    beneficiary: String(row.beneficiary),
    arbiter: String(row.arbiter),
    fiatCurrency: String(row.fiat_currency),
    fiatMethod: String(row.fiat_method),
    fiatAmount: (row.fiat_amount as string | null) ?? null,
    status: row.status as OrderStatus,
    acceptorId: (row.acceptor_id as string | null) ?? null,
    acceptorAddress: (row.acceptor_address as string | null) ?? null,
    slot: big(row.slot),
    slotPrevious: (row.slot_previous as string | null) ?? null,
    attempt: Number(row.attempt),
    excluded: (row.excluded as string[] | null) ?? [],
    paymentWindowS: Number(row.payment_window_s),
    matchBy: new Date(row.match_by as string),
    acceptBy: date(row.accept_by),
    deadline: big(row.deadline),
    disputedAt: big(row.disputed_at),
    payeeAmount: big(row.payee_amount),
    payerAmount: big(row.payer_amount),
    reason: (row.reason as string | null) ?? null,
    version: Number(row.version),
    matchedAt: date(row.matched_at),
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
    closedAt: date(row.closed_at),
  };
}

/** Stores a new order with its outbox events (order.created) and first audit entry. */
export async function insertOrder(tx: Db, order: NewP2pOrder, events: UnnumberedEvent[], audit: AuditEntry): Promise<P2pOrderRow> {
  const rows = await tx.query<Row>(
    `INSERT INTO p2p_orders (order_id, platform_id, reference, kind, chain, token, amount, token_decimals, user_reference, beneficiary,
       fiat_currency, fiat_method, status, payment_window_s, match_by, arbiter)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'created', $13, $14, $15) RETURNING *`,
    [
      order.orderId,
      order.platformId,
      order.reference,
      order.kind,
      order.chain,
      order.token,
      order.amount.toString(),
      order.tokenDecimals,
      order.userReference,
      order.beneficiary,
      order.fiatCurrency,
      order.fiatMethod,
      order.paymentWindowS,
      order.matchBy.toISOString(),
      order.arbiter,
    ],
  );
  await appendToOutbox(tx, order.chain, events);
  await insertAudit(tx, [audit]);
  return toOrderRow(rows[0]!);
}

export async function selectOrderByReference(db: Db, platformId: string, reference: string): Promise<P2pOrderRow | undefined> {
  const rows = await db.query<Row>(`SELECT * FROM p2p_orders WHERE platform_id = $1 AND reference = $2`, [platformId, reference]);
  return rows[0] ? toOrderRow(rows[0]) : undefined;
}

/** The order when the caller is its platform or its current acceptor; `forUpdate` locks it. */
export async function selectOrder(db: Db, orderId: string, options: { forUpdate?: boolean } = {}): Promise<P2pOrderRow | undefined> {
  const rows = await db.query<Row>(`SELECT * FROM p2p_orders WHERE order_id = $1${options.forUpdate ? " FOR UPDATE" : ""}`, [orderId.toLowerCase()]);
  return rows[0] ? toOrderRow(rows[0]) : undefined;
}

/** Several orders by id, locked, in id order (so concurrent callers lock in the same order). */
export async function selectOrdersForUpdate(tx: Db, orderIds: readonly string[]): Promise<P2pOrderRow[]> {
  if (orderIds.length === 0) return [];
  return (await tx.query<Row>(`SELECT * FROM p2p_orders WHERE order_id = ANY($1) ORDER BY order_id FOR UPDATE`, [orderIds])).map(toOrderRow);
}

export interface OrderPageFilter {
  /** The platform's orders, or the acceptor's (current and past matches are both "its" while it holds them). */
  owner: { platformId: string } | { acceptorId: string };
  status?: OrderStatus[];
  kind?: OrderKind;
  limit: number;
  before?: bigint;
}

export async function selectOrderPage(db: Db, filter: OrderPageFilter): Promise<{ items: P2pOrderRow[]; hasMore: boolean }> {
  const params: unknown[] = ["platformId" in filter.owner ? filter.owner.platformId : filter.owner.acceptorId];
  const where = ["platformId" in filter.owner ? "platform_id = $1" : "acceptor_id = $1"];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (filter.status) add("status = ANY(?)", filter.status);
  if (filter.kind) add("kind = ?", filter.kind);
  if (filter.before !== undefined) add("position < ?", filter.before.toString());
  params.push(filter.limit + 1);
  const rows = await db.query<Row>(`SELECT * FROM p2p_orders WHERE ${where.join(" AND ")} ORDER BY position DESC LIMIT $${params.length}`, params);
  return { items: rows.slice(0, filter.limit).map(toOrderRow), hasMore: rows.length > filter.limit };
}

export async function selectAudit(db: Db, orderId: string): Promise<AuditRow[]> {
  const rows = await db.query<Row>(`SELECT * FROM p2p_audit WHERE order_id = $1 ORDER BY id`, [orderId]);
  return rows.map((row) => ({
    id: String(row.id),
    orderId: String(row.order_id),
    platformId: String(row.platform_id),
    decision: String(row.decision),
    acceptorId: (row.acceptor_id as string | null) ?? null,
    attempt: Number(row.attempt),
    detail: row.detail as Record<string, unknown>,
    createdAt: new Date(row.created_at as string),
  }));
}

const AUDIT_COLUMNS = { order_id: "text", platform_id: "text", decision: "text", acceptor_id: "text", attempt: "integer", detail: "jsonb" } as const;

export async function insertAudit(tx: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO p2p_audit (order_id, platform_id, decision, acceptor_id, attempt, detail)
     SELECT order_id, platform_id, decision, acceptor_id, attempt, detail FROM ${recordsetFrom("$1", AUDIT_COLUMNS)} ORDER BY ordinality`,
    [recordsetJson(entries.map((e) => ({ order_id: e.orderId, platform_id: e.platformId, decision: e.decision, acceptor_id: e.acceptorId, attempt: e.attempt, detail: e.detail })))],
  );
}

/** Orders of a user created since `since`: the per-user velocity limits count these. */
export async function userVelocity(db: Db, platformId: string, userReference: string, since: Date): Promise<{ orders: number; volume: bigint }> {
  const rows = await db.query<{ orders: string; volume: string | null }>(
    `SELECT count(*) AS orders, sum(amount) AS volume FROM p2p_orders
     WHERE platform_id = $1 AND user_reference = $2 AND created_at >= $3 AND status <> 'failed'`,
    [platformId, userReference, since.toISOString()],
  );
  return { orders: Number(rows[0]?.orders ?? 0), volume: BigInt(rows[0]?.volume ?? "0") };
}

const ORDER_UPDATE_COLUMNS = {
  order_id: "text",
  version: "integer",
  steps: "integer",
  status: "text",
  fiat_amount: "text",
  acceptor_id: "text",
  acceptor_address: "text",
  slot: "numeric",
  slot_previous: "text",
  attempt: "integer",
  excluded: "text[]",
  accept_by: "timestamptz",
  deadline: "bigint",
  disputed_at: "bigint",
  payee_amount: "numeric",
  payer_amount: "numeric",
  reason: "text",
  matched_at: "timestamptz",
  closed_at: "timestamptz",
} as const;

/**
 * Writes the changes of locked orders and their effects: order rows (guarded by version, so a
 * change computed from a stale read fails loudly instead of overwriting), released off-chain
 * reservations, slots, acceptor records, audit entries and outbox events.
 */
export async function persistTransitions(tx: Db, changes: readonly OrderChange[], audit: readonly AuditEntry[], events: ReadonlyMap<string, UnnumberedEvent[]>): Promise<void> {
  if (changes.length > 0) {
    const updated = await tx.query<{ order_id: string }>(
      `UPDATE p2p_orders o SET status = x.status, fiat_amount = x.fiat_amount, acceptor_id = x.acceptor_id, acceptor_address = x.acceptor_address,
         slot = x.slot, slot_previous = x.slot_previous, attempt = x.attempt, excluded = x.excluded, accept_by = x.accept_by, deadline = x.deadline,
         disputed_at = x.disputed_at, payee_amount = x.payee_amount, payer_amount = x.payer_amount, reason = x.reason, matched_at = x.matched_at,
         closed_at = x.closed_at, version = o.version + x.steps, updated_at = now()
       FROM ${recordsetFrom("$1", ORDER_UPDATE_COLUMNS)} WHERE o.order_id = x.order_id AND o.version = x.version RETURNING o.order_id`,
      [recordsetJson(changes.map(({ before, after, steps }) => ({ ...orderUpdateRecord(before.version, after), steps: steps ?? 1 })))],
    );
    if (updated.length !== changes.length) throw new Error(`p2p: ${changes.length - updated.length} order(s) changed under a transition; retry`);
    // Acceptor rows before liquidity rows: the matching engine locks in that order too, so the two
    // never wait on each other in a cycle.
    await recordOutcomes(tx, changes);
    await releaseReservations(tx, changes.filter((c) => c.releaseReserved).map((c) => c.before));
    await updateSlots(tx, changes);
  }
  await insertAudit(tx, audit);
  for (const [chain, chainEvents] of events) await appendToOutbox(tx, chain, chainEvents);
}

function orderUpdateRecord(version: number, o: P2pOrderRow): Record<string, unknown> {
  return {
    order_id: o.orderId,
    version,
    status: o.status,
    fiat_amount: o.fiatAmount,
    acceptor_id: o.acceptorId,
    acceptor_address: o.acceptorAddress,
    slot: o.slot,
    slot_previous: o.slotPrevious,
    attempt: o.attempt,
    excluded: o.excluded,
    accept_by: o.acceptBy?.toISOString() ?? null,
    deadline: o.deadline,
    disputed_at: o.disputedAt,
    payee_amount: o.payeeAmount,
    payer_amount: o.payerAmount,
    reason: o.reason,
    matched_at: o.matchedAt?.toISOString() ?? null,
    closed_at: o.closedAt?.toISOString() ?? null,
  };
}

/** Gives matched-but-not-reserved deposit amounts back to their acceptors' available liquidity. */
async function releaseReservations(tx: Db, orders: readonly P2pOrderRow[]): Promise<void> {
  if (orders.length === 0) return;
  const rows = orders.map((o) => ({ chain: o.chain, address: o.acceptorAddress, token: o.token, amount: o.amount }));
  const changed = await tx.query(
    `UPDATE p2p_liquidity l SET reserved = l.reserved - x.amount, updated_at = now()
     FROM (SELECT chain, address, token, sum(amount) AS amount FROM ${recordsetFrom("$1", { chain: "text", address: "text", token: "text", amount: "numeric" })}
           GROUP BY chain, address, token) x
     WHERE l.chain = x.chain AND l.address = x.address AND l.token = x.token RETURNING l.address`,
    [recordsetJson(rows)],
  );
  if (changed.length !== new Set(rows.map((r) => `${r.chain}:${r.address}:${r.token}`)).size) throw new Error("p2p: a released reservation has no liquidity row");
}

async function updateSlots(tx: Db, changes: readonly OrderChange[]): Promise<void> {
  const rows = changes
    .filter((c) => c.slot && c.before.slot !== null && c.before.acceptorAddress !== null)
    .map((c) => ({
      chain: c.before.chain,
      address: c.before.acceptorAddress,
      slot: c.before.slot,
      free: c.slot!.free,
      set_content: c.slot!.content !== undefined,
      content: c.slot!.content ?? null,
    }));
  if (rows.length === 0) return;
  await tx.query(
    `UPDATE p2p_slots s SET order_id = CASE WHEN x.free THEN NULL ELSE s.order_id END,
       content = CASE WHEN x.set_content THEN x.content ELSE s.content END
     FROM ${recordsetFrom("$1", { chain: "text", address: "text", slot: "numeric", free: "boolean", set_content: "boolean", content: "text" })}
     WHERE s.chain = x.chain AND s.address = x.address AND s.slot = x.slot`,
    [recordsetJson(rows)],
  );
}

async function recordOutcomes(tx: Db, changes: readonly OrderChange[]): Promise<void> {
  const rows = changes.filter((c) => c.acceptorOutcome && c.before.acceptorId).map((c) => ({ acceptor_id: c.before.acceptorId, completed: c.acceptorOutcome === "completed" ? 1 : 0, failed: c.acceptorOutcome === "failed" ? 1 : 0 }));
  if (rows.length === 0) return;
  await tx.query(
    `UPDATE p2p_acceptors a SET completed_count = a.completed_count + x.completed, failed_count = a.failed_count + x.failed
     FROM (SELECT acceptor_id, sum(completed)::int AS completed, sum(failed)::int AS failed
           FROM ${recordsetFrom("$1", { acceptor_id: "text", completed: "integer", failed: "integer" })} GROUP BY acceptor_id) x
     WHERE a.acceptor_id = x.acceptor_id`,
    [recordsetJson(rows)],
  );
}

/**
 * The on-chain deadlines the relayer signed into a reservation batch, recorded when it sends the
 * batch: the desk's OrderReserved logs the order's hash, not its fields.
 */
export async function recordReservationDeadlines(tx: Db, items: readonly { orderId: string; deadline: bigint }[]): Promise<void> {
  if (items.length === 0) return;
  await tx.query(
    `UPDATE p2p_orders o SET deadline = x.deadline FROM ${recordsetFrom("$1", { order_id: "text", deadline: "bigint" })} WHERE o.order_id = x.order_id`,
    [recordsetJson(items.map((i) => ({ order_id: i.orderId.toLowerCase(), deadline: i.deadline.toString() })))],
  );
}

/**
 * Orders whose desk escrow anyone may now expire at chain time `chainTime`: past the deadline and not
 * disputed, or disputed longer than the arbitration period; not already carried by a live transaction.
 */
export async function selectExpirableOrders(db: Db, chain: string, chainTime: bigint, arbitrationSeconds: bigint, limit: number): Promise<P2pOrderRow[]> {
  const rows = await db.query<Row>(
    `SELECT * FROM p2p_orders o WHERE o.chain = $1 AND o.deadline IS NOT NULL
       AND ((o.status IN ('reserved', 'paid_marked') AND o.deadline < $2) OR (o.status = 'disputed' AND o.disputed_at + $3 < $2))
       AND NOT EXISTS (SELECT 1 FROM tx_journal_subjects s WHERE s.chain = o.chain AND s.subject_id = 'p2p-expire:' || o.order_id AND s.subject_version = o.version::text)
     ORDER BY o.deadline LIMIT $4`,
    [chain, chainTime.toString(), arbitrationSeconds.toString(), limit],
  );
  return rows.map(toOrderRow);
}
