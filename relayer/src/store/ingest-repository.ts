import { RetryableError } from "../common/errors.js";
import type { BlockHeader } from "../chains/index.js";
import { applyVaultEvent, escrowToJson, type EscrowProjection, type FoldContext } from "../domain/escrow.js";
import { revertedEventId, type DerivedEvent } from "../domain/events.js";
import { VAULT_EVENT_NAMES, vaultEventFromJson, vaultEventToJson, type ChainEvent, type VaultEventName } from "../domain/vault-events.js";
import { depositEventToJson } from "../domain/deposit-events.js";
import type { DepositChainEvent } from "../ingest/deposits.js";
import { foldDeposits, rebuildDeposits } from "./deposits-repository.js";
import type { Db } from "./db.js";
import { selectDueEscrows, selectEscrow, selectEscrowPage, selectEscrows, upsertEscrow, upsertEscrows, type EscrowListFilter, type EscrowPage } from "./escrow-rows.js";
import { appendToOutbox, newDerivedEvents, type DomainEventRow } from "./outbox-rows.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

export type { DomainEventRow, EscrowListFilter, EscrowPage };

/** Which chain and vault, and how its addresses look to people (base58 on TRON). */
export interface ChainIdentity extends FoldContext {
  chain: string;
}

export interface IngestCursor {
  blockNumber: number;
  /** Null before the first range has been committed (the cursor is then start block - 1). */
  blockHash: string | null;
}

export interface StoredBlock {
  number: number;
  hash: string;
}

export interface BlockRangeCommit extends ChainIdentity {
  /** The lease holder: the commit fails (and writes nothing) if another process holds the lease. */
  holder: string;
  /** The cursor this range continues from; the commit fails if it moved meanwhile. */
  expectedCursor: number | null;
  toBlock: BlockHeader;
  /** Headers to remember for reorg detection (range end and blocks with events). */
  blocks: BlockHeader[];
  /** Decoded events of the range in (block, log index) order, subjects assigned. */
  events: ChainEvent[];
  /** Token transfers at watched deposit addresses and DepositRouter events, in log order. Default: none. */
  depositEvents?: DepositChainEvent[];
  /** More writes that must commit with the range (the P2P desk's events), run last in its transaction. */
  alsoInTransaction?: (tx: Db) => Promise<void>;
  /** Keep block hashes this far below `toBlock` (plus one older anchor). */
  reorgWindowBlocks: number;
}

export interface RollbackResult {
  /** The `event.reverted` rows inserted, one per derived event from an orphaned block. */
  reverted: DomainEventRow[];
  /** Subjects whose projection was rebuilt from their surviving events. */
  rebuiltSubjects: string[];
  rawEventsDeleted: number;
}

export interface IngestRepository {
  /** Takes or renews the chain's ingestion lease for `ttlMs`; false while someone else holds it. */
  takeLease(chain: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at shutdown so another process can take over at once. */
  releaseLease(chain: string, holder: string): Promise<void>;
  getCursor(chain: string): Promise<IngestCursor | null>;
  /** Remembered block hashes, newest first. */
  getRecentBlocks(chain: string): Promise<StoredBlock[]>;
  /** Raw events, projections, domain events, block hashes and cursor in one transaction. */
  commitBlockRange(input: BlockRangeCommit): Promise<{ events: number; domainEvents: DomainEventRow[] }>;
  /** Undoes everything derived from blocks above `ancestor` in one transaction. */
  rollbackTo(input: ChainIdentity & { holder: string; ancestor: StoredBlock }): Promise<RollbackResult>;
  getEscrow(chain: string, escrowId: string): Promise<EscrowProjection | undefined>;
  listEscrows(filter: EscrowListFilter): Promise<EscrowPage>;
  /** Escrows whose timeout is executable at `nowSeconds` (chain time), oldest due first. */
  listDueEscrows(chain: string, nowSeconds: bigint, limit: number): Promise<EscrowProjection[]>;
  listDomainEvents(chain: string, subjectId?: string): Promise<DomainEventRow[]>;
}

export function createIngestRepository(db: Db): IngestRepository {
  return {
    async takeLease(chain, holder, ttlMs) {
      await db.query(`INSERT INTO ingest_leases (chain, holder, lease_until) VALUES ($1, NULL, '-infinity') ON CONFLICT (chain) DO NOTHING`, [chain]);
      const rows = await db.query(
        `UPDATE ingest_leases SET holder = $2, lease_until = now() + $3 * interval '1 millisecond'
         WHERE chain = $1 AND (holder = $2 OR lease_until < now()) RETURNING holder`,
        [chain, holder, ttlMs],
      );
      return rows.length === 1;
    },
    async releaseLease(chain, holder) {
      await db.query(`UPDATE ingest_leases SET lease_until = '-infinity' WHERE chain = $1 AND holder = $2`, [chain, holder]);
    },
    async getCursor(chain) {
      const rows = await db.query<{ block_number: string; block_hash: string | null }>(
        `SELECT block_number, block_hash FROM ingest_cursors WHERE chain = $1`,
        [chain],
      );
      return rows[0] ? { blockNumber: Number(rows[0].block_number), blockHash: rows[0].block_hash } : null;
    },
    async getRecentBlocks(chain) {
      const rows = await db.query<{ number: string; hash: string }>(`SELECT number, hash FROM chain_blocks WHERE chain = $1 ORDER BY number DESC`, [chain]);
      return rows.map((row) => ({ number: Number(row.number), hash: row.hash }));
    },
    commitBlockRange: (input) => db.transaction((tx) => commitRange(tx, input)),
    rollbackTo: (input) => db.transaction((tx) => rollback(tx, input)),
    getEscrow: (chain, escrowId) => selectEscrow(db, chain, escrowId),
    listEscrows: (filter) => selectEscrowPage(db, filter),
    listDueEscrows: (chain, nowSeconds, limit) => selectDueEscrows(db, chain, nowSeconds, limit),
    async listDomainEvents(chain, subjectId) {
      const rows = await db.query<DomainEventSqlRow>(
        `SELECT * FROM domain_events WHERE chain = $1 AND ($2::text IS NULL OR subject_id = $2) ORDER BY outbox_position`,
        [chain, subjectId ?? null],
      );
      return rows.map(toDomainEventRow);
    },
  };
}

const BLOCK_COLUMNS = { number: "bigint", hash: "text", parent_hash: "text", timestamp: "bigint" } as const;
const RAW_EVENT_COLUMNS = {
  block_number: "bigint",
  block_hash: "text",
  block_timestamp: "bigint",
  tx_hash: "text",
  log_index: "integer",
  event_name: "text",
  subject_id: "text",
  args: "jsonb",
} as const;

/**
 * A range costs a fixed number of statements, not a few per event: blocks, raw events, escrows and
 * outbox rows are each written by one set-based statement, and every lookup is one `= ANY` query.
 */
async function commitRange(tx: Db, input: BlockRangeCommit) {
  const { chain } = input;
  await assertLease(tx, chain, input.holder);
  await advanceCursor(tx, chain, input.expectedCursor, input.toBlock);
  // One row per number (the last header given wins): one statement cannot update a row twice.
  const blocks = [...new Map(input.blocks.map((b) => [b.number, b])).values()];
  if (blocks.length > 0) {
    await tx.query(
      `INSERT INTO chain_blocks (chain, number, hash, parent_hash, timestamp)
       SELECT $2, number, hash, parent_hash, timestamp FROM ${recordsetFrom("$1", BLOCK_COLUMNS)}
       ON CONFLICT (chain, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash, timestamp = EXCLUDED.timestamp`,
      [recordsetJson(blocks.map((b) => ({ number: b.number, hash: b.hash, parent_hash: b.parentHash, timestamp: b.timestamp }))), chain],
    );
  }
  const depositEvents = input.depositEvents ?? [];
  const raw = [
    ...input.events.map((e) => ({ ...e, args: vaultEventToJson(e.event) })),
    ...depositEvents.map((e) => ({ ...e, args: depositEventToJson(e.event) })),
  ];
  if (raw.length > 0) {
    await tx.query(
      `INSERT INTO chain_events (chain, ${Object.keys(RAW_EVENT_COLUMNS).join(", ")})
       SELECT $2, ${Object.keys(RAW_EVENT_COLUMNS).join(", ")} FROM ${recordsetFrom("$1", RAW_EVENT_COLUMNS)}`,
      [
        recordsetJson(
          raw.map((e) => ({
            block_number: e.blockNumber,
            block_hash: e.blockHash,
            block_timestamp: e.blockTimestamp,
            tx_hash: e.txHash,
            log_index: e.logIndex,
            event_name: e.event.name,
            subject_id: e.subjectId,
            args: e.args,
          })),
        ),
        chain,
      ],
    );
  }
  const stored = await selectEscrows(tx, chain, [...new Set(input.events.map((e) => e.subjectId))]);
  const states = new Map<string, EscrowProjection | undefined>();
  const derived: { event: DerivedEvent; origin: ChainEvent }[] = [];
  for (const record of input.events) {
    const before = states.has(record.subjectId) ? states.get(record.subjectId) : stored.get(record.subjectId);
    const result = applyVaultEvent(before, record, input);
    states.set(record.subjectId, result.state);
    for (const event of result.derived) derived.push({ event, origin: record });
  }
  await upsertEscrows(tx, [...states.values()].filter((state): state is EscrowProjection => state !== undefined));
  // Deposits see the vault's payments of their invoices too, so both kinds of log go in, in log order.
  const depositInputs = [...input.events, ...depositEvents].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const depositDerived = await foldDeposits(tx, chain, depositInputs, input);
  const domainEvents = await appendToOutbox(tx, chain, await newDerivedEvents(tx, chain, [...derived, ...depositDerived]));
  await pruneBlocks(tx, chain, input.toBlock.number - input.reorgWindowBlocks);
  await input.alsoInTransaction?.(tx);
  return { events: input.events.length + depositEvents.length, domainEvents };
}

async function assertLease(tx: Db, chain: string, holder: string): Promise<void> {
  // FOR UPDATE: a competing takeLease waits until this transaction ends, so the lease cannot change
  // hands between this check and the commit.
  const rows = await tx.query(`SELECT 1 FROM ingest_leases WHERE chain = $1 AND holder = $2 AND lease_until > now() FOR UPDATE`, [chain, holder]);
  if (rows.length === 0) throw new RetryableError(`${chain}: ingestion lease not held by ${holder}; another process leads this chain`);
}

/** Compare-and-set: of two writers continuing from the same cursor, only the first one commits. */
async function advanceCursor(tx: Db, chain: string, expected: number | null, to: BlockHeader): Promise<void> {
  const rows =
    expected === null
      ? await tx.query(`INSERT INTO ingest_cursors (chain, block_number, block_hash) VALUES ($1, $2, $3) ON CONFLICT (chain) DO NOTHING RETURNING chain`, [
          chain,
          to.number,
          to.hash,
        ])
      : await tx.query(
          `UPDATE ingest_cursors SET block_number = $3, block_hash = $4, updated_at = now() WHERE chain = $1 AND block_number = $2 RETURNING chain`,
          [chain, expected, to.number, to.hash],
        );
  if (rows.length === 0) throw new RetryableError(`${chain}: the ingestion cursor moved since block ${expected}; re-reading it`);
}

/** Keeps the reorg window plus the newest block below it, the anchor a deep walk-back can still reach. */
async function pruneBlocks(tx: Db, chain: string, below: number): Promise<void> {
  await tx.query(
    `DELETE FROM chain_blocks WHERE chain = $1 AND number < $2
       AND number < (SELECT max(number) FROM chain_blocks WHERE chain = $1 AND number < $2)`,
    [chain, below],
  );
}

interface DomainEventSqlRow {
  id: string;
  merchant_id: string | null;
  type: string;
  chain: string;
  subject_id: string;
  sequence: number;
  payload: Record<string, unknown>;
  block_number: string | null;
  block_hash: string | null;
}

function toDomainEventRow(row: DomainEventSqlRow): DomainEventRow {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    type: row.type,
    chain: row.chain,
    subjectId: row.subject_id,
    sequence: Number(row.sequence),
    payload: row.payload,
    blockNumber: row.block_number === null ? null : Number(row.block_number),
    blockHash: row.block_hash,
  };
}

async function rollback(tx: Db, input: ChainIdentity & { holder: string; ancestor: StoredBlock }): Promise<RollbackResult> {
  const { chain, ancestor } = input;
  await assertLease(tx, chain, input.holder);
  const live = await tx.query<DomainEventSqlRow>(
    `SELECT * FROM domain_events WHERE chain = $1 AND block_number > $2 AND type <> 'event.reverted'
     ORDER BY block_number DESC, sequence DESC`,
    [chain, ancestor.number],
  );
  const alreadyReverted = new Set(
    (await tx.query<{ id: string }>(`SELECT id FROM domain_events WHERE id = ANY($1)`, [live.map((row) => revertedEventId(row.id))])).map((row) => row.id),
  );
  const toRevert = live.map(toDomainEventRow).filter((row) => !alreadyReverted.has(revertedEventId(row.id)));
  const subjects = (
    await tx.query<{ subject_id: string }>(`SELECT DISTINCT subject_id FROM chain_events WHERE chain = $1 AND block_number > $2`, [chain, ancestor.number])
  ).map((row) => row.subject_id);
  const deleted = await tx.query(`DELETE FROM chain_events WHERE chain = $1 AND block_number > $2 RETURNING log_index`, [chain, ancestor.number]);
  await tx.query(`DELETE FROM chain_blocks WHERE chain = $1 AND number > $2`, [chain, ancestor.number]);
  const rebuilt = new Map<string, EscrowProjection | undefined>();
  for (const subjectId of subjects) rebuilt.set(subjectId, await rebuildEscrow(tx, input, subjectId));
  const ancestorTime = await tx.query<{ timestamp: string }>(`SELECT timestamp FROM chain_blocks WHERE chain = $1 AND number = $2`, [chain, ancestor.number]);
  await rebuildDeposits(tx, chain, subjects, BigInt(ancestorTime[0]?.timestamp ?? "0"), input);
  const reverted = await insertReverted(tx, input, toRevert, rebuilt);
  await tx.query(`UPDATE ingest_cursors SET block_number = $2, block_hash = $3, updated_at = now() WHERE chain = $1`, [chain, ancestor.number, ancestor.hash]);
  return { reverted, rebuiltSubjects: subjects, rawEventsDeleted: deleted.length };
}

/** One `event.reverted` per undone event, numbered after it on the same subject, to the same merchant. */
async function insertReverted(
  tx: Db,
  input: ChainIdentity & { ancestor: StoredBlock },
  toRevert: DomainEventRow[],
  rebuilt: Map<string, EscrowProjection | undefined>,
): Promise<DomainEventRow[]> {
  const { chain, ancestor } = input;
  const unnumbered = [];
  for (const original of toRevert) {
    const escrow = rebuilt.has(original.subjectId) ? rebuilt.get(original.subjectId) : await selectEscrow(tx, chain, original.subjectId);
    unnumbered.push({
      id: revertedEventId(original.id),
      merchantId: original.merchantId,
      type: "event.reverted",
      subjectId: original.subjectId,
      blockNumber: null,
      blockHash: null,
      payload: {
        chain,
        vault: original.payload.vault,
        escrowId: original.payload.escrowId ?? null,
        invoiceId: original.payload.invoiceId ?? null,
        revertedEventId: original.id,
        revertedType: original.type,
        revertedSequence: original.sequence,
        txHash: original.payload.txHash,
        blockNumber: original.blockNumber,
        blockHash: original.blockHash,
        commonAncestor: { blockNumber: ancestor.number, blockHash: ancestor.hash },
        escrow: escrow ? escrowToJson(escrow, input.formatAddress) : null,
      },
    });
  }
  return appendToOutbox(tx, chain, unnumbered);
}

/** Re-folds a subject's surviving raw events; the domain events this re-derives already exist. */
async function rebuildEscrow(tx: Db, ctx: ChainIdentity, subjectId: string): Promise<EscrowProjection | undefined> {
  await tx.query(`DELETE FROM escrows WHERE chain = $1 AND escrow_id = $2`, [ctx.chain, subjectId]);
  const rows = await tx.query<{ block_number: string; block_hash: string; block_timestamp: string; tx_hash: string; log_index: number; args: Record<string, unknown> }>(
    `SELECT block_number, block_hash, block_timestamp, tx_hash, log_index, args FROM chain_events
     WHERE chain = $1 AND subject_id = $2 AND event_name = ANY($3) ORDER BY block_number, log_index`,
    [ctx.chain, subjectId, VAULT_EVENT_NAMES as readonly VaultEventName[]],
  );
  let state: EscrowProjection | undefined;
  for (const row of rows) {
    const record: ChainEvent = {
      chain: ctx.chain,
      blockNumber: Number(row.block_number),
      blockHash: row.block_hash,
      blockTimestamp: Number(row.block_timestamp),
      txHash: row.tx_hash,
      logIndex: Number(row.log_index),
      subjectId,
      event: vaultEventFromJson(row.args),
    };
    state = applyVaultEvent(state, record, ctx).state;
  }
  if (state) await upsertEscrow(tx, state);
  return state;
}
