import type { Db } from "./db.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

/**
 * Acceptors (relayer accounts of kind 'acceptor' linked to their platform) with their terms, the
 * liquidity of desk accounts, and the platforms' blocklists.
 */

export interface AcceptorTerms {
  minAmount: bigint;
  maxAmount: bigint;
  dailyLimit: bigint;
  maxOpenOrders: number;
  maxOrdersPerHour: number;
  fiatMethods: string[];
  fiatCurrencies: string[];
  /** Fiat per whole token, decimal strings, by currency. */
  rates: Record<string, string>;
  online: boolean;
  autoAccept: boolean;
}

export interface AcceptorRow extends AcceptorTerms {
  acceptorId: string;
  platformId: string;
  name: string;
  chain: string;
  address: string;
  reference: string;
  completedCount: number;
  failedCount: number;
  position: bigint;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewAcceptor extends AcceptorTerms {
  acceptorId: string;
  platformId: string;
  name: string;
  chain: string;
  address: string;
  reference: string;
  apiKey: { id: string; lookup: string; secretHash: string; mode: "live" | "test" };
}

export interface LiquidityRow {
  chain: string;
  address: string;
  token: string;
  freeBalance: bigint;
  reserved: bigint;
}

export type BlockKind = "user" | "address";

type Row = Record<string, unknown>;

/** The terms columns of a p2p_acceptors row: shared by the registry and the matching engine's reads. */
export function toAcceptorTerms(row: Row): AcceptorTerms {
  return {
    minAmount: BigInt(row.min_amount as string),
    maxAmount: BigInt(row.max_amount as string),
    dailyLimit: BigInt(row.daily_limit as string),
    maxOpenOrders: Number(row.max_open_orders),
    maxOrdersPerHour: Number(row.max_orders_per_hour),
    fiatMethods: row.fiat_methods as string[],
    fiatCurrencies: row.fiat_currencies as string[],
    rates: row.rates as Record<string, string>,
    online: Boolean(row.online),
    autoAccept: Boolean(row.auto_accept),
  };
}

export function toAcceptorRow(row: Row): AcceptorRow {
  return {
    acceptorId: String(row.acceptor_id),
    platformId: String(row.platform_id),
    name: String(row.name ?? ""),
    chain: String(row.chain),
    address: String(row.address),
    reference: String(row.reference),
    ...toAcceptorTerms(row),
    completedCount: Number(row.completed_count),
    failedCount: Number(row.failed_count),
    position: BigInt(row.position as string),
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  };
}

const SELECT_ACCEPTOR = `SELECT a.*, m.name FROM p2p_acceptors a JOIN merchants m ON m.id = a.acceptor_id`;

/** The account, its first API key and its terms, all or nothing. */
export async function insertAcceptor(db: Db, acceptor: NewAcceptor): Promise<AcceptorRow> {
  return db.transaction(async (tx) => {
    await tx.query(`INSERT INTO merchants (id, name, kind, platform_id) VALUES ($1, $2, 'acceptor', $3)`, [acceptor.acceptorId, acceptor.name, acceptor.platformId]);
    await tx.query(`INSERT INTO api_keys (id, merchant_id, lookup, secret_hash, mode, description) VALUES ($1, $2, $3, $4, $5, 'acceptor key')`, [
      acceptor.apiKey.id,
      acceptor.acceptorId,
      acceptor.apiKey.lookup,
      acceptor.apiKey.secretHash,
      acceptor.apiKey.mode,
    ]);
    await tx.query(
      `INSERT INTO p2p_acceptors (acceptor_id, platform_id, chain, address, reference, min_amount, max_amount, daily_limit, max_open_orders,
         max_orders_per_hour, fiat_methods, fiat_currencies, rates, online, auto_accept)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        acceptor.acceptorId,
        acceptor.platformId,
        acceptor.chain,
        acceptor.address,
        acceptor.reference,
        acceptor.minAmount.toString(),
        acceptor.maxAmount.toString(),
        acceptor.dailyLimit.toString(),
        acceptor.maxOpenOrders,
        acceptor.maxOrdersPerHour,
        acceptor.fiatMethods,
        acceptor.fiatCurrencies,
        JSON.stringify(acceptor.rates),
        acceptor.online,
        acceptor.autoAccept,
      ],
    );
    // The slot free list and liquidity rows are per desk account: create them once, shared by every
    // platform that registers the same address.
    await tx.query(`INSERT INTO p2p_slots (chain, address, slot, content) VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING`, [acceptor.chain, acceptor.address, ZERO_WORD]);
    return toAcceptorRow((await tx.query<Row>(`${SELECT_ACCEPTOR} WHERE a.acceptor_id = $1`, [acceptor.acceptorId]))[0]!);
  });
}

/** The content of a slot never used: the desk's zero word. */
export const ZERO_WORD = `0x${"0".repeat(64)}`;

const TERM_COLUMNS: Record<keyof AcceptorTerms, string> = {
  minAmount: "min_amount",
  maxAmount: "max_amount",
  dailyLimit: "daily_limit",
  maxOpenOrders: "max_open_orders",
  maxOrdersPerHour: "max_orders_per_hour",
  fiatMethods: "fiat_methods",
  fiatCurrencies: "fiat_currencies",
  rates: "rates",
  online: "online",
  autoAccept: "auto_accept",
};

/** Changes the given terms; undefined when the acceptor is not the platform's (or, with `acceptorId` only, unknown). */
export async function updateAcceptorTerms(db: Db, owner: { platformId?: string; acceptorId: string }, patch: Partial<AcceptorTerms>): Promise<AcceptorRow | undefined> {
  const params: unknown[] = [owner.acceptorId, owner.platformId ?? null];
  const sets = ["updated_at = now()"];
  for (const [key, column] of Object.entries(TERM_COLUMNS) as [keyof AcceptorTerms, string][]) {
    const value = patch[key];
    if (value === undefined) continue;
    params.push(typeof value === "bigint" ? value.toString() : key === "rates" ? JSON.stringify(value) : value);
    sets.push(`${column} = $${params.length}`);
  }
  const rows = await db.query<Row>(`UPDATE p2p_acceptors SET ${sets.join(", ")} WHERE acceptor_id = $1 AND ($2::text IS NULL OR platform_id = $2) RETURNING acceptor_id`, params);
  return rows[0] ? selectAcceptor(db, owner.acceptorId) : undefined;
}

export async function selectAcceptor(db: Db, acceptorId: string, platformId?: string): Promise<AcceptorRow | undefined> {
  const rows = await db.query<Row>(`${SELECT_ACCEPTOR} WHERE a.acceptor_id = $1 AND ($2::text IS NULL OR a.platform_id = $2)`, [acceptorId, platformId ?? null]);
  return rows[0] ? toAcceptorRow(rows[0]) : undefined;
}

export async function selectAcceptorPage(db: Db, filter: { platformId: string; online?: boolean; limit: number; before?: bigint }): Promise<{ items: AcceptorRow[]; hasMore: boolean }> {
  const rows = await db.query<Row>(
    `${SELECT_ACCEPTOR} WHERE a.platform_id = $1 AND ($2::boolean IS NULL OR a.online = $2) AND ($3::bigint IS NULL OR a.position < $3)
     ORDER BY a.position DESC LIMIT $4`,
    [filter.platformId, filter.online ?? null, filter.before?.toString() ?? null, filter.limit + 1],
  );
  return { items: rows.slice(0, filter.limit).map(toAcceptorRow), hasMore: rows.length > filter.limit };
}

/** 'merchant' or 'acceptor' (with the platform it belongs to); undefined for an unknown account. */
export async function selectAccountKind(db: Db, merchantId: string): Promise<{ kind: "merchant" | "acceptor"; platformId: string | null } | undefined> {
  const rows = await db.query<{ kind: string; platform_id: string | null }>(`SELECT kind, platform_id FROM merchants WHERE id = $1`, [merchantId]);
  const row = rows[0];
  return row ? { kind: row.kind === "acceptor" ? "acceptor" : "merchant", platformId: row.platform_id } : undefined;
}

export async function selectLiquidity(db: Db, chain: string, address: string): Promise<LiquidityRow[]> {
  const rows = await db.query<Row>(`SELECT * FROM p2p_liquidity WHERE chain = $1 AND address = $2 ORDER BY token`, [chain, address]);
  return rows.map((row) => ({ chain: String(row.chain), address: String(row.address), token: String(row.token), freeBalance: BigInt(row.free_balance as string), reserved: BigInt(row.reserved as string) }));
}

/**
 * Adds to desk accounts' on-chain free balances (desk events: deposits, withdrawals, reservations,
 * refunds, withdrawal releases). Rows are created on first sight.
 */
export async function addFreeBalances(tx: Db, deltas: readonly { chain: string; address: string; token: string; delta: bigint }[]): Promise<void> {
  const rows = deltas.filter((d) => d.delta !== 0n);
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO p2p_liquidity AS l (chain, address, token, free_balance)
     SELECT chain, address, token, sum(delta) FROM ${recordsetFrom("$1", { chain: "text", address: "text", token: "text", delta: "numeric" })}
     GROUP BY chain, address, token
     ON CONFLICT (chain, address, token) DO UPDATE SET free_balance = l.free_balance + excluded.free_balance, updated_at = now()`,
    [recordsetJson(rows)],
  );
}

/** Sets a free balance read from the desk's `freeBalance` view (reconciliation, or before ingestion starts). */
export async function setFreeBalance(tx: Db, input: { chain: string; address: string; token: string; freeBalance: bigint }): Promise<void> {
  await tx.query(
    `INSERT INTO p2p_liquidity (chain, address, token, free_balance) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain, address, token) DO UPDATE SET free_balance = excluded.free_balance, updated_at = now()`,
    [input.chain, input.address, input.token, input.freeBalance.toString()],
  );
}

export async function upsertBlock(db: Db, entry: { platformId: string; kind: BlockKind; value: string; reason: string }): Promise<void> {
  await db.query(
    `INSERT INTO p2p_blocklist (platform_id, kind, value, reason) VALUES ($1, $2, $3, $4)
     ON CONFLICT (platform_id, kind, value) DO UPDATE SET reason = excluded.reason`,
    [entry.platformId, entry.kind, entry.value, entry.reason],
  );
}

export async function deleteBlock(db: Db, entry: { platformId: string; kind: BlockKind; value: string }): Promise<boolean> {
  return (await db.query(`DELETE FROM p2p_blocklist WHERE platform_id = $1 AND kind = $2 AND value = $3 RETURNING value`, [entry.platformId, entry.kind, entry.value])).length === 1;
}

export async function selectBlocklist(db: Db, platformId: string): Promise<{ kind: BlockKind; value: string; reason: string; createdAt: Date }[]> {
  const rows = await db.query<Row>(`SELECT * FROM p2p_blocklist WHERE platform_id = $1 ORDER BY created_at, kind, value`, [platformId]);
  return rows.map((row) => ({ kind: row.kind as BlockKind, value: String(row.value), reason: String(row.reason), createdAt: new Date(row.created_at as string) }));
}

/** Which of `values` the platforms block, as "platform:kind:value" keys. */
export async function selectBlocked(db: Db, platformIds: readonly string[], values: readonly string[]): Promise<Set<string>> {
  if (platformIds.length === 0 || values.length === 0) return new Set();
  const rows = await db.query<{ platform_id: string; kind: string; value: string }>(
    `SELECT platform_id, kind, value FROM p2p_blocklist WHERE platform_id = ANY($1) AND value = ANY($2)`,
    [[...new Set(platformIds)], [...new Set(values)]],
  );
  return new Set(rows.map((r) => `${r.platform_id}:${r.kind}:${r.value}`));
}
