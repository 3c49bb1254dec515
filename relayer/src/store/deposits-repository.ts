import { applyDepositTransaction, newDeposit, settleStatus, type DepositFoldContext, type DepositFoldRecord, type DepositOrigin, type DepositState, type DepositTerms } from "../domain/deposit.js";
import { depositEventFromJson, isDepositEventName } from "../domain/deposit-events.js";
import { derivedEventId, type DerivedEvent } from "../domain/events.js";
import { vaultEventFromJson } from "../domain/vault-events.js";
import type { Db } from "./db.js";
import { appendToOutbox, merchantsOf, type DomainEventRow, type UnnumberedEvent } from "./outbox-rows.js";

/**
 * Deposit addresses (scan-to-pay): the deposits table, folded by ingestion in the same transaction as
 * the range it commits, and what the sweeper, the API and the checkout read from it.
 */

/** The vault events that change a deposit besides its own logs: the invoice paid or cancelled. */
const VAULT_EVENTS_OF_DEPOSITS = new Set(["EscrowOpened", "InvoiceSettled", "InvoiceCancelled"]);

export interface StoredDeposit extends DepositState {
  merchantId: string;
  watchUntil: bigint;
}

/** A log-derived event with its origin, as the outbox wants it. */
export interface DepositDerived {
  event: DerivedEvent;
  origin: DepositOrigin;
}

type Row = Record<string, unknown>;

function toDeposit(row: Row): StoredDeposit {
  const big = (key: string) => BigInt(row[key] as string);
  return {
    chain: String(row.chain),
    invoiceId: String(row.invoice_id),
    vault: String(row.vault),
    merchant: String(row.merchant_address),
    merchantId: String(row.merchant_id),
    depositAddress: String(row.deposit_address),
    token: String(row.token),
    amount: big("amount"),
    payBy: big("pay_by"),
    watchUntil: big("watch_until"),
    received: big("received"),
    receivedLate: big("received_late"),
    balance: big("balance"),
    toVault: big("to_vault"),
    accepted: big("accepted"),
    refunded: big("refunded"),
    strayTokens: (row.stray_tokens as Record<string, string>) ?? {},
    paid: Boolean(row.paid),
    cancelled: Boolean(row.cancelled),
    sweepError: (row.sweep_error as string | null) ?? null,
    status: row.status as DepositState["status"],
    exception: (row.exception as DepositState["exception"]) ?? null,
    updatedBlock: row.updated_block === null ? null : Number(row.updated_block),
  };
}

/** The vault comes from the invoice: a deposit belongs to one vault's forwarder. */
const SELECT_DEPOSITS = `SELECT d.*, i.vault FROM deposits d JOIN invoices i ON i.chain = d.chain AND i.invoice_id = d.invoice_id`;

/** Stores a new invoice's deposit (status new), inside the invoice's own transaction. */
export async function insertDeposit(tx: Db, terms: DepositTerms, merchantId: string, watchUntil: bigint): Promise<void> {
  await tx.query(
    `INSERT INTO deposits (chain, invoice_id, merchant_id, merchant_address, deposit_address, token, amount, pay_by, watch_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [terms.chain, terms.invoiceId, merchantId, terms.merchant, terms.depositAddress, terms.token, terms.amount.toString(), terms.payBy.toString(), watchUntil.toString()],
  );
}

export async function selectDeposit(db: Db, chain: string, invoiceId: string): Promise<StoredDeposit | undefined> {
  const rows = await db.query<Row>(`${SELECT_DEPOSITS} WHERE d.chain = $1 AND d.invoice_id = $2`, [chain, invoiceId.toLowerCase()]);
  return rows[0] ? toDeposit(rows[0]) : undefined;
}

/**
 * Deposit addresses ingestion watches at wall-clock time `nowSeconds`: within their watch window, or
 * still holding funds (which only leave through the vault and the router, so their transfers must be
 * seen). Address -> invoice id and token.
 */
export async function selectWatchedDeposits(db: Db, chain: string, nowSeconds: bigint): Promise<Map<string, { invoiceId: string; token: string }>> {
  const rows = await db.query<{ deposit_address: string; invoice_id: string; token: string }>(
    `SELECT deposit_address, invoice_id, token FROM deposits WHERE chain = $1 AND (watch_until >= $2 OR balance > 0 OR stray_tokens <> '{}'::jsonb)`,
    [chain, nowSeconds.toString()],
  );
  return new Map(rows.map((row) => [row.deposit_address, { invoiceId: row.invoice_id, token: row.token }]));
}

async function writeDeposits(tx: Db, deposits: DepositState[]): Promise<void> {
  for (const d of deposits) {
    await tx.query(
      `UPDATE deposits SET status = $3, exception = $4, received = $5, received_late = $6, balance = $7, to_vault = $8, accepted = $9,
         refunded = $10, stray_tokens = $11, paid = $12, cancelled = $13, sweep_error = $14, updated_block = $15
       WHERE chain = $1 AND invoice_id = $2`,
      [
        d.chain,
        d.invoiceId,
        d.status,
        d.exception,
        d.received.toString(),
        d.receivedLate.toString(),
        d.balance.toString(),
        d.toVault.toString(),
        d.accepted.toString(),
        d.refunded.toString(),
        JSON.stringify(d.strayTokens),
        d.paid,
        d.cancelled,
        d.sweepError,
        d.updatedBlock,
      ],
    );
  }
}

/** A committed log as the deposit fold sees it: any subject, vault or deposit event. */
export type DepositCandidate = DepositFoldRecord & { subjectId: string };

/**
 * Folds a committed range's logs into the deposits they concern (subjects with a deposit row) and
 * returns the derived events for the outbox. Runs inside the range's transaction.
 */
export async function foldDeposits(tx: Db, chain: string, records: readonly DepositCandidate[], ctx: DepositFoldContext): Promise<DepositDerived[]> {
  const relevant = records.filter((r) => isDepositEventName(r.event.name) || VAULT_EVENTS_OF_DEPOSITS.has(r.event.name));
  if (relevant.length === 0) return [];
  const rows = await tx.query<Row>(`${SELECT_DEPOSITS} WHERE d.chain = $1 AND d.invoice_id = ANY($2)`, [chain, [...new Set(relevant.map((r) => r.subjectId))]]);
  if (rows.length === 0) return [];
  const states = new Map(rows.map((row) => [String(row.invoice_id), toDeposit(row) as DepositState]));
  const derived: DepositDerived[] = [];
  for (const group of byTransaction(relevant)) {
    const state = states.get(group[0]!.subjectId);
    if (!state) continue;
    const result = applyDepositTransaction(state, group, ctx);
    states.set(state.invoiceId, result.state);
    derived.push(...result.derived);
  }
  await writeDeposits(tx, [...states.values()]);
  return derived;
}

/** Consecutive logs of one subject in one transaction, in log order. */
function byTransaction(records: readonly DepositCandidate[]): DepositCandidate[][] {
  const groups = new Map<string, DepositCandidate[]>();
  for (const record of records) {
    const key = `${record.subjectId}:${record.txHash}`;
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return [...groups.values()];
}

/**
 * After a reorg: refolds each deposit among `subjectIds` from its surviving logs, at the ancestor's time.
 * The events derived the first time are already in the outbox (and reverted where orphaned).
 */
export async function rebuildDeposits(tx: Db, chain: string, subjectIds: readonly string[], ancestorTime: bigint, ctx: DepositFoldContext): Promise<void> {
  const rows = await tx.query<Row>(`${SELECT_DEPOSITS} WHERE d.chain = $1 AND d.invoice_id = ANY($2)`, [chain, [...subjectIds]]);
  const rebuilt: DepositState[] = [];
  for (const row of rows) {
    let state: DepositState = newDeposit(toDeposit(row));
    const raw = await tx.query<{ block_number: string; block_hash: string; block_timestamp: string; tx_hash: string; log_index: number; event_name: string; args: Record<string, unknown> }>(
      `SELECT block_number, block_hash, block_timestamp, tx_hash, log_index, event_name, args FROM chain_events
       WHERE chain = $1 AND subject_id = $2 ORDER BY block_number, log_index`,
      [chain, state.invoiceId],
    );
    const records: DepositCandidate[] = raw
      .filter((r) => isDepositEventName(r.event_name) || VAULT_EVENTS_OF_DEPOSITS.has(r.event_name))
      .map((r) => ({
        subjectId: state.invoiceId,
        blockNumber: Number(r.block_number),
        blockHash: r.block_hash,
        blockTimestamp: Number(r.block_timestamp),
        txHash: r.tx_hash,
        logIndex: r.log_index,
        event: isDepositEventName(r.event_name) ? depositEventFromJson(r.args) : vaultEventFromJson(r.args),
      }));
    for (const group of byTransaction(records)) state = applyDepositTransaction(state, group, ctx).state;
    rebuilt.push(settleStatus(state, ancestorTime, ctx).state);
  }
  await writeDeposits(tx, rebuilt);
}

/**
 * Pay-by passing is a transition no log announces: at chain time `chainTime` (the block ingestion has
 * reached), moves deposits still new or processing past their pay-by to expired or invalid, with
 * their webhooks. Idempotent: each transition's event id is fixed by the invoice and the new status.
 */
export async function expireDeposits(db: Db, chain: string, chainTime: bigint, ctx: DepositFoldContext, limit = 500): Promise<DomainEventRow[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<Row>(
      `${SELECT_DEPOSITS} WHERE d.chain = $1 AND d.status IN ('new', 'processing') AND d.pay_by < $2 ORDER BY d.pay_by LIMIT $3 FOR UPDATE OF d`,
      [chain, chainTime.toString(), limit],
    );
    const next: DepositState[] = [];
    const events: DerivedEvent[] = [];
    for (const row of rows) {
      const result = settleStatus(toDeposit(row), chainTime, ctx);
      next.push(result.state);
      events.push(...result.derived);
    }
    await writeDeposits(tx, next);
    const owners = await merchantsOf(tx, chain, events.map((e) => e.routeTo));
    const unnumbered: UnnumberedEvent[] = events.map((e) => ({
      id: derivedEventId(chain, e.subjectId, e.type, "pay_by"),
      merchantId: e.routeTo === null ? null : (owners.get(e.routeTo) ?? null),
      type: e.type,
      subjectId: e.subjectId,
      payload: e.data,
      blockNumber: null,
      blockHash: null,
    }));
    const existing = new Set((await tx.query<{ id: string }>(`SELECT id FROM domain_events WHERE id = ANY($1)`, [unnumbered.map((e) => e.id)])).map((r) => r.id));
    return appendToOutbox(tx, chain, unnumbered.filter((e) => !existing.has(e.id)));
  });
}

/** A transfer into a watched address in a block not yet confirmed. */
export interface DepositSighting {
  txHash: string;
  logIndex: number;
  blockNumber: number;
  invoiceId: string;
  from: string;
  amount: bigint;
}

/**
 * Records sightings and emits one `deposit.payment_seen` per new one: an early, unconfirmed notice
 * (the payment may still be reorganised away; `deposit.payment_received` is the confirmed one).
 */
export async function recordSightings(db: Db, chain: string, sightings: readonly DepositSighting[], scannedTo: number, ctx: DepositFoldContext): Promise<DomainEventRow[]> {
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO deposit_sighting_cursors (chain, block_number) VALUES ($1, $2)
       ON CONFLICT (chain) DO UPDATE SET block_number = GREATEST(deposit_sighting_cursors.block_number, EXCLUDED.block_number)`,
      [chain, scannedTo],
    );
    if (sightings.length === 0) return [];
    const fresh: DepositSighting[] = [];
    for (const s of sightings) {
      const inserted = await tx.query(
        `INSERT INTO deposit_sightings (chain, tx_hash, log_index, invoice_id, amount, block_number) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING tx_hash`,
        [chain, s.txHash, s.logIndex, s.invoiceId, s.amount.toString(), s.blockNumber],
      );
      if (inserted.length > 0) fresh.push(s);
    }
    const deposits = await tx.query<Row>(`${SELECT_DEPOSITS} WHERE d.chain = $1 AND d.invoice_id = ANY($2)`, [chain, [...new Set(fresh.map((s) => s.invoiceId))]]);
    const byId = new Map(deposits.map((row) => [String(row.invoice_id), toDeposit(row)]));
    const events: UnnumberedEvent[] = [];
    for (const s of fresh) {
      const deposit = byId.get(s.invoiceId);
      if (!deposit) continue;
      events.push({
        id: derivedEventId(chain, s.txHash, s.logIndex, "deposit.payment_seen"),
        merchantId: deposit.merchantId,
        type: "deposit.payment_seen",
        subjectId: s.invoiceId,
        payload: {
          invoiceId: s.invoiceId,
          chain,
          depositAddress: ctx.formatAddress(deposit.depositAddress),
          token: ctx.formatAddress(deposit.token),
          amount: deposit.amount.toString(),
          payment: { from: ctx.formatAddress(s.from), amount: s.amount.toString(), confirmed: false },
          txHash: s.txHash,
          blockNumber: s.blockNumber,
        },
        blockNumber: null,
        blockHash: null,
      });
    }
    return appendToOutbox(tx, chain, events);
  });
}

export async function selectSightingCursor(db: Db, chain: string): Promise<number | null> {
  const rows = await db.query<{ block_number: string }>(`SELECT block_number FROM deposit_sighting_cursors WHERE chain = $1`, [chain]);
  return rows[0] ? Number(rows[0].block_number) : null;
}
