import type { Db } from "./db.js";
import { toAcceptorTerms, type AcceptorTerms } from "./p2p-acceptors-repository.js";
import { toOrderRow, type P2pOrderRow } from "./p2p-orders-repository.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

/**
 * The matching engine's SQL. A batch claims orders with FOR UPDATE SKIP LOCKED (engines never share
 * an order), reads candidates without locks, then locks the chosen acceptors and desk accounts in
 * key order (acceptors first, then liquidity: every writer does it in that order), re-checks with
 * what it reads under the locks, and reserves with a conditional UPDATE that refuses to take more
 * than free - reserved. Two engines can therefore never put two orders on the same liquidity.
 */

const LIVE_STATUSES = ["matched", "reserving", "reserved", "paid_marked", "confirmed", "disputed"];

type Row = Record<string, unknown>;

export interface CandidateRow extends AcceptorTerms {
  acceptorId: string;
  platformId: string;
  chain: string;
  address: string;
  completedCount: number;
  failedCount: number;
  dayVolume: bigint;
  openOrders: number;
  hourOrders: number;
}

/** Orders due for matching, oldest first, locked for this transaction and skipped by other engines. */
export async function claimOrdersToMatch(tx: Db, input: { now: Date; limit: number }): Promise<P2pOrderRow[]> {
  const rows = await tx.query<Row>(
    `SELECT * FROM p2p_orders WHERE status = 'created' AND match_after <= $1 ORDER BY match_after, position LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [input.now.toISOString(), input.limit],
  );
  return rows.map(toOrderRow);
}

/** Matched orders whose acceptor did not accept by accept_by, locked and skipped by other engines. */
export async function claimAcceptTimeouts(tx: Db, input: { now: Date; limit: number }): Promise<P2pOrderRow[]> {
  const rows = await tx.query<Row>(
    `SELECT * FROM p2p_orders WHERE status = 'matched' AND accept_by <= $1 ORDER BY accept_by LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [input.now.toISOString(), input.limit],
  );
  return rows.map(toOrderRow);
}

/** Looks again no earlier than `at` at orders that found no eligible acceptor. */
export async function deferOrders(tx: Db, orderIds: readonly string[], at: Date): Promise<void> {
  if (orderIds.length === 0) return;
  await tx.query(`UPDATE p2p_orders SET match_after = $2 WHERE order_id = ANY($1)`, [orderIds, at.toISOString()]);
}

/** $1 live statuses, $2 an hour ago, $3 today (UTC); the caller's WHERE starts at $4. */
const CANDIDATE_SQL = `SELECT a.*, coalesce(d.volume, 0) AS day_volume,
    (SELECT count(*) FROM p2p_orders o WHERE o.acceptor_id = a.acceptor_id AND o.status = ANY($1)) AS open_orders,
    (SELECT count(*) FROM p2p_orders o WHERE o.acceptor_id = a.acceptor_id AND o.matched_at > $2) AS hour_orders
  FROM p2p_acceptors a LEFT JOIN p2p_acceptor_days d ON d.acceptor_id = a.acceptor_id AND d.day = $3::date`;

function toCandidate(row: Row): CandidateRow {
  return {
    acceptorId: String(row.acceptor_id),
    platformId: String(row.platform_id),
    chain: String(row.chain),
    address: String(row.address),
    ...toAcceptorTerms(row),
    completedCount: Number(row.completed_count),
    failedCount: Number(row.failed_count),
    dayVolume: BigInt(row.day_volume as string),
    openOrders: Number(row.open_orders),
    hourOrders: Number(row.hour_orders),
  };
}

const utcDay = (now: Date) => now.toISOString().slice(0, 10);
const hourAgo = (now: Date) => new Date(now.getTime() - 3_600_000).toISOString();

/** Every acceptor of the platforms on the chains (offline ones too, so the audit can say why not), in id order. */
export async function selectCandidates(tx: Db, input: { platformIds: string[]; chains: string[]; now: Date }): Promise<CandidateRow[]> {
  const rows = await tx.query<Row>(`${CANDIDATE_SQL} WHERE a.platform_id = ANY($4) AND a.chain = ANY($5) ORDER BY a.acceptor_id`, [
    LIVE_STATUSES,
    hourAgo(input.now),
    utcDay(input.now),
    input.platformIds,
    input.chains,
  ]);
  return rows.map(toCandidate);
}

/** free - reserved per desk account and token, keyed "chain:address:token". */
export async function selectAvailable(tx: Db, input: { chains: string[]; addresses: string[]; tokens: string[]; lock?: boolean }): Promise<Map<string, bigint>> {
  const rows = await tx.query<{ chain: string; address: string; token: string; available: string }>(
    `SELECT chain, address, token, free_balance - reserved AS available FROM p2p_liquidity
     WHERE chain = ANY($1) AND address = ANY($2) AND token = ANY($3) ORDER BY chain, address, token${input.lock ? " FOR UPDATE" : ""}`,
    [[...new Set(input.chains)], [...new Set(input.addresses)], [...new Set(input.tokens)]],
  );
  return new Map(rows.map((r) => [`${r.chain}:${r.address}:${r.token}`, BigInt(r.available)]));
}

/**
 * Locks the acceptors (in id order) and returns their terms and usage as committed now: what the
 * batch re-checks its plan against.
 */
export async function lockCandidates(tx: Db, acceptorIds: readonly string[], now: Date): Promise<CandidateRow[]> {
  if (acceptorIds.length === 0) return [];
  await tx.query(`SELECT acceptor_id FROM p2p_acceptors WHERE acceptor_id = ANY($1) ORDER BY acceptor_id FOR UPDATE`, [acceptorIds]);
  const rows = await tx.query<Row>(`${CANDIDATE_SQL} WHERE a.acceptor_id = ANY($4) ORDER BY a.acceptor_id`, [LIVE_STATUSES, hourAgo(now), utcDay(now), acceptorIds]);
  return rows.map(toCandidate);
}

/**
 * Adds to the off-chain reservations, each sum only if it fits in free - reserved. Throws if any
 * does not: the caller checked under the row locks, so a refusal here is a bug, and the whole batch
 * rolls back rather than over-reserve.
 */
export async function reserveLiquidity(tx: Db, rows: readonly { chain: string; address: string; token: string; amount: bigint }[]): Promise<void> {
  if (rows.length === 0) return;
  const sums = new Map<string, { chain: string; address: string; token: string; amount: bigint }>();
  for (const r of rows) {
    const key = `${r.chain}:${r.address}:${r.token}`;
    const sum = sums.get(key);
    if (sum) sum.amount += r.amount;
    else sums.set(key, { ...r });
  }
  const updated = await tx.query(
    `UPDATE p2p_liquidity l SET reserved = l.reserved + x.amount, updated_at = now()
     FROM ${recordsetFrom("$1", { chain: "text", address: "text", token: "text", amount: "numeric" })}
     WHERE l.chain = x.chain AND l.address = x.address AND l.token = x.token AND l.free_balance - l.reserved >= x.amount
     RETURNING l.address`,
    [recordsetJson([...sums.values()])],
  );
  if (updated.length !== sums.size) throw new Error(`p2p: ${sums.size - updated.length} reservation(s) no longer fit their liquidity`);
}

/** Adds matched volume and count to the acceptors' day rows. */
export async function addDayUsage(tx: Db, rows: readonly { acceptorId: string; amount: bigint }[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO p2p_acceptor_days AS d (acceptor_id, day, volume, orders)
     SELECT acceptor_id, $2::date, sum(amount), count(*) FROM ${recordsetFrom("$1", { acceptor_id: "text", amount: "numeric" })} GROUP BY acceptor_id
     ON CONFLICT (acceptor_id, day) DO UPDATE SET volume = d.volume + excluded.volume, orders = d.orders + excluded.orders`,
    [recordsetJson(rows.map((r) => ({ acceptor_id: r.acceptorId, amount: r.amount }))), utcDay(now)],
  );
}

/**
 * Gives each order a slot of its acceptor's desk account: free slots with a known content first
 * (lowest number), then new ones after the highest. Returns the slots it got, by order id; an order
 * missing from the map got none (another engine took the same new number) and waits for the next batch.
 */
export async function allocateSlots(tx: Db, wants: readonly { orderId: string; chain: string; address: string }[]): Promise<Map<string, { slot: bigint; previous: string }>> {
  const result = new Map<string, { slot: bigint; previous: string }>();
  if (wants.length === 0) return result;
  const byAccount = new Map<string, { chain: string; address: string; orderIds: string[] }>();
  for (const w of wants) {
    const key = `${w.chain}:${w.address}`;
    const entry = byAccount.get(key) ?? { chain: w.chain, address: w.address, orderIds: [] };
    entry.orderIds.push(w.orderId);
    byAccount.set(key, entry);
  }
  const accounts = [...byAccount.values()];
  const free = await tx.query<{ chain: string; address: string; slot: string; content: string }>(
    `SELECT chain, address, slot, content FROM p2p_slots
     WHERE chain = ANY($1) AND address = ANY($2) AND order_id IS NULL AND content IS NOT NULL
     ORDER BY chain, address, slot FOR UPDATE SKIP LOCKED`,
    [[...new Set(accounts.map((a) => a.chain))], accounts.map((a) => a.address)],
  );
  const freeByAccount = new Map<string, { slot: bigint; content: string }[]>();
  for (const f of free) {
    const key = `${f.chain}:${f.address}`;
    if (!byAccount.has(key)) continue;
    const list = freeByAccount.get(key) ?? [];
    list.push({ slot: BigInt(f.slot), content: f.content });
    freeByAccount.set(key, list);
  }
  const needNew: { chain: string; address: string; orderIds: string[] }[] = [];
  const claimed: { chain: string; address: string; slot: bigint; order_id: string }[] = [];
  for (const [key, account] of byAccount) {
    const list = freeByAccount.get(key) ?? [];
    const rest: string[] = [];
    account.orderIds.forEach((orderId, i) => {
      const slot = list[i];
      if (!slot) return rest.push(orderId);
      result.set(orderId, { slot: slot.slot, previous: slot.content });
      claimed.push({ chain: account.chain, address: account.address, slot: slot.slot, order_id: orderId });
    });
    if (rest.length > 0) needNew.push({ ...account, orderIds: rest });
  }
  if (claimed.length > 0) {
    await tx.query(
      `UPDATE p2p_slots s SET order_id = x.order_id FROM ${recordsetFrom("$1", { chain: "text", address: "text", slot: "numeric", order_id: "text" })}
       WHERE s.chain = x.chain AND s.address = x.address AND s.slot = x.slot`,
      [recordsetJson(claimed)],
    );
  }
  await openNewSlots(tx, needNew, result);
  return result;
}

const ZERO_WORD = `0x${"0".repeat(64)}`;

async function openNewSlots(tx: Db, accounts: readonly { chain: string; address: string; orderIds: string[] }[], result: Map<string, { slot: bigint; previous: string }>): Promise<void> {
  if (accounts.length === 0) return;
  const highest = await tx.query<{ chain: string; address: string; max: string | null }>(
    `SELECT chain, address, max(slot) AS max FROM p2p_slots WHERE chain = ANY($1) AND address = ANY($2) GROUP BY chain, address`,
    [[...new Set(accounts.map((a) => a.chain))], accounts.map((a) => a.address)],
  );
  const next = new Map(highest.map((h) => [`${h.chain}:${h.address}`, h.max === null ? 0n : BigInt(h.max) + 1n]));
  const rows: { chain: string; address: string; slot: bigint; order_id: string }[] = [];
  for (const account of accounts) {
    let slot = next.get(`${account.chain}:${account.address}`) ?? 0n;
    for (const orderId of account.orderIds) rows.push({ chain: account.chain, address: account.address, slot: slot++, order_id: orderId });
  }
  const inserted = await tx.query<{ slot: string; order_id: string }>(
    `INSERT INTO p2p_slots (chain, address, slot, content, order_id)
     SELECT chain, address, slot, $2, order_id FROM ${recordsetFrom("$1", { chain: "text", address: "text", slot: "numeric", order_id: "text" })}
     ON CONFLICT DO NOTHING RETURNING slot, order_id`,
    [recordsetJson(rows), ZERO_WORD],
  );
  for (const row of inserted) result.set(row.order_id, { slot: BigInt(row.slot), previous: ZERO_WORD });
}
