import { RetryableError } from "../common/errors.js";
import type { BlockHeader } from "../chains/index.js";
import { applyVaultEvent, escrowToJson, type EscrowProjection, type FoldContext } from "../domain/escrow.js";
import { domainEventId, revertedEventId, type DerivedEvent } from "../domain/events.js";
import { vaultEventFromJson, vaultEventToJson, type ChainEvent } from "../domain/vault-events.js";
import type { Db } from "./db.js";
import { selectDueEscrows, selectEscrow, selectEscrowPage, upsertEscrow, type EscrowListFilter, type EscrowPage } from "./escrow-rows.js";

export type { EscrowListFilter, EscrowPage };

/** A log comes back after a reorg and its reversal at most this many times before we call it a bug. */
const MAX_INCARNATIONS = 100;

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
  /** Keep block hashes this far below `toBlock` (plus one older anchor). */
  reorgWindowBlocks: number;
}

export interface DomainEventRow {
  id: string;
  merchantId: string | null;
  type: string;
  chain: string;
  subjectId: string;
  sequence: number;
  payload: Record<string, unknown>;
  blockNumber: number | null;
  blockHash: string | null;
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
        `SELECT * FROM domain_events WHERE chain = $1 AND ($2::text IS NULL OR subject_id = $2) ORDER BY created_at, subject_id, sequence`,
        [chain, subjectId ?? null],
      );
      return rows.map(toDomainEventRow);
    },
  };
}

async function commitRange(tx: Db, input: BlockRangeCommit) {
  const { chain } = input;
  await assertLease(tx, chain, input.holder);
  await advanceCursor(tx, chain, input.expectedCursor, input.toBlock);
  for (const block of input.blocks) {
    await tx.query(
      `INSERT INTO chain_blocks (chain, number, hash, parent_hash, timestamp) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (chain, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash, timestamp = EXCLUDED.timestamp`,
      [chain, block.number, block.hash, block.parentHash, block.timestamp],
    );
  }
  for (const e of input.events) {
    await tx.query(
      `INSERT INTO chain_events (chain, block_number, block_hash, block_timestamp, tx_hash, log_index, event_name, subject_id, args)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [chain, e.blockNumber, e.blockHash, e.blockTimestamp, e.txHash, e.logIndex, e.event.name, e.subjectId, JSON.stringify(vaultEventToJson(e.event))],
    );
  }
  const states = new Map<string, EscrowProjection | undefined>();
  const derived: { event: DerivedEvent; origin: ChainEvent }[] = [];
  for (const record of input.events) {
    const before = states.has(record.subjectId) ? states.get(record.subjectId) : await selectEscrow(tx, chain, record.subjectId);
    const result = applyVaultEvent(before, record, input);
    states.set(record.subjectId, result.state);
    derived.push(...result.derived.map((event) => ({ event, origin: record })));
  }
  for (const state of states.values()) if (state) await upsertEscrow(tx, state);
  const outbox = createOutboxWriter(tx, chain);
  const domainEvents: DomainEventRow[] = [];
  for (const { event, origin } of derived) {
    const row = await outbox.insertDerived(event, origin);
    if (row) domainEvents.push(row);
  }
  await pruneBlocks(tx, chain, input.toBlock.number - input.reorgWindowBlocks);
  return { events: input.events.length, domainEvents };
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

/** Numbers events per subject, routes them to the payee's merchant and writes them to the outbox. */
function createOutboxWriter(tx: Db, chain: string) {
  const sequences = new Map<string, number>();
  const merchants = new Map<string, string | null>();
  async function nextSequence(subjectId: string): Promise<number> {
    let current = sequences.get(subjectId);
    if (current === undefined) {
      const rows = await tx.query<{ max: number | null }>(`SELECT max(sequence) AS max FROM domain_events WHERE chain = $1 AND subject_id = $2`, [chain, subjectId]);
      current = Number(rows[0]?.max ?? 0);
    }
    sequences.set(subjectId, current + 1);
    return current + 1;
  }
  async function merchantOf(address: string | null): Promise<string | null> {
    if (address === null) return null;
    if (!merchants.has(address)) {
      const rows = await tx.query<{ merchant_id: string }>(`SELECT merchant_id FROM merchant_addresses WHERE chain = $1 AND address = $2`, [chain, address]);
      merchants.set(address, rows[0]?.merchant_id ?? null);
    }
    return merchants.get(address) ?? null;
  }
  async function insert(row: Omit<DomainEventRow, "sequence">): Promise<DomainEventRow> {
    const sequence = await nextSequence(row.subjectId);
    const payload = { ...row.payload, sequence };
    await tx.query(
      `INSERT INTO domain_events (id, merchant_id, type, chain, subject_id, sequence, payload, block_number, block_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [row.id, row.merchantId, row.type, chain, row.subjectId, sequence, JSON.stringify(payload), row.blockNumber, row.blockHash],
    );
    return { ...row, sequence, payload };
  }
  /** The first free incarnation of the log's id; null if it is already derived and not reverted. */
  async function freeId(event: DerivedEvent, origin: ChainEvent): Promise<string | null> {
    for (let incarnation = 0; incarnation < MAX_INCARNATIONS; incarnation++) {
      const id = domainEventId(chain, origin.blockHash, origin.logIndex, event.type, incarnation);
      const rows = await tx.query(`SELECT id FROM domain_events WHERE id = ANY($1)`, [[id, revertedEventId(id)]]);
      if (rows.length === 0) return id;
      if (rows.length === 1) return null; // derived before and still live: never derive twice
    }
    throw new Error(`${chain}: log ${origin.blockHash}:${origin.logIndex} came back more than ${MAX_INCARNATIONS} times`);
  }
  return {
    insert,
    async insertDerived(event: DerivedEvent, origin: ChainEvent): Promise<DomainEventRow | null> {
      const id = await freeId(event, origin);
      if (id === null) return null;
      return insert({
        id,
        merchantId: await merchantOf(event.routeTo),
        type: event.type,
        chain,
        subjectId: event.subjectId,
        payload: event.data,
        blockNumber: origin.blockNumber,
        blockHash: origin.blockHash,
      });
    },
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
  const outbox = createOutboxWriter(tx, chain);
  const reverted: DomainEventRow[] = [];
  for (const original of toRevert) {
    const escrow = rebuilt.has(original.subjectId) ? rebuilt.get(original.subjectId) : await selectEscrow(tx, chain, original.subjectId);
    reverted.push(
      await outbox.insert({
        id: revertedEventId(original.id),
        merchantId: original.merchantId,
        type: "event.reverted",
        chain,
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
      }),
    );
  }
  return reverted;
}

/** Re-folds a subject's surviving raw events; the domain events this re-derives already exist. */
async function rebuildEscrow(tx: Db, ctx: ChainIdentity, subjectId: string): Promise<EscrowProjection | undefined> {
  await tx.query(`DELETE FROM escrows WHERE chain = $1 AND escrow_id = $2`, [ctx.chain, subjectId]);
  const rows = await tx.query<{ block_number: string; block_hash: string; block_timestamp: string; tx_hash: string; log_index: number; args: Record<string, unknown> }>(
    `SELECT block_number, block_hash, block_timestamp, tx_hash, log_index, args FROM chain_events
     WHERE chain = $1 AND subject_id = $2 ORDER BY block_number, log_index`,
    [ctx.chain, subjectId],
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
