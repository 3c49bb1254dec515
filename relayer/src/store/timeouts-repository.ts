import type { EscrowProjection } from "../domain/escrow.js";
import type { Db } from "./db.js";
import { rowToEscrow } from "./escrow-rows.js";
import {
  type TxState,
  type TxKind,
  OPEN_TX_STATES,
  TX_STATES,
  type JournalRow,
  type NewTx,
  type SignedFields,
  type SignedActionKind,
  type SignedActionState,
  type SignedActionRow,
  type TxChainRow,
} from "./tx-journal-types.js";

export * from "./tx-journal-types.js";

export interface TimeoutsRepository {
  takeSenderLease(chain: string, sender: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseSenderLease(chain: string, sender: string, holder: string): Promise<void>;
  registerChain(row: TxChainRow): Promise<void>;
  getChain(chain: string): Promise<TxChainRow | undefined>;
  /** Escrows due before `beforeSeconds` (chain time minus margin) that no live transaction acts on. */
  listDueUnclaimed(chain: string, beforeSeconds: bigint, limit: number): Promise<EscrowProjection[]>;
  countDue(chain: string, beforeSeconds: bigint): Promise<number>;
  getEscrow(chain: string, escrowId: string): Promise<EscrowProjection | undefined>;
  /** Inserts an `intended` row and reserves its subjects; null if another transaction holds one. */
  insertIntended(tx: NewTx): Promise<JournalRow | null>;
  markSigned(id: string, fields: SignedFields): Promise<void>;
  markSent(id: string): Promise<void>;
  markMined(id: string, mined: { blockNumber: number; blockHash: string; outcome: Record<string, unknown> | null }): Promise<void>;
  markConfirmed(id: string): Promise<void>;
  /** Back to `sent` (its block was reorganised away). */
  markUnmined(id: string): Promise<void>;
  /** Frees the subjects; queued actions go back to the queue unless `actionFailed`. */
  markFailed(id: string, error: string, options?: { actionFailed?: boolean; outcome?: Record<string, unknown> | null }): Promise<void>;
  /** Old row `replaced`, new row `signed` with the same nonce and the old row's subjects, in one transaction. */
  replace(oldId: string, fields: SignedFields): Promise<JournalRow>;
  /** The replaced row was mined after all: it takes its subjects back and the replacement becomes `replaced`. */
  revive(minedId: string, loserId: string): Promise<void>;
  listOpen(chain: string, sender: string): Promise<JournalRow[]>;
  listByNonce(chain: string, sender: string, nonce: number): Promise<JournalRow[]>;
  /** Highest nonce of a live row (intended … confirmed); null when none. */
  maxLiveNonce(chain: string, sender: string): Promise<number | null>;
  liveNonces(chain: string, sender: string, from: number): Promise<number[]>;
  listJournal(chain: string): Promise<JournalRow[]>;
  countByState(chain: string): Promise<Record<TxState, number>>;
  insertAction(row: Omit<SignedActionRow, "state" | "txId" | "error">): Promise<void>;
  /** Claims queued actions (FOR UPDATE SKIP LOCKED) and marks them `submitted`. */
  claimActions(chain: string, limit: number): Promise<SignedActionRow[]>;
  attachAction(actionId: string, txId: string): Promise<void>;
  failAction(actionId: string, error: string): Promise<void>;
  /** Submitted actions with no transaction (a crash between claim and journal insert) go back to the queue. */
  requeueOrphanActions(chain: string): Promise<number>;
  getAction(actionId: string): Promise<SignedActionRow | undefined>;
}

const DUE_SQL = `FROM escrows e WHERE e.chain = $1 AND e.status IN ('open', 'disputed') AND e.due_at < $2
  AND NOT EXISTS (SELECT 1 FROM tx_journal_subjects s WHERE s.chain = e.chain AND s.subject_id = e.escrow_id AND s.subject_version = e.updated_tx_hash)`;

export function createTimeoutsRepository(db: Db): TimeoutsRepository {
  return {
    async takeSenderLease(chain, sender, holder, ttlMs) {
      await db.query(`INSERT INTO tx_sender_leases (chain, sender, holder, lease_until) VALUES ($1, $2, NULL, '-infinity') ON CONFLICT DO NOTHING`, [chain, sender]);
      const rows = await db.query(
        `UPDATE tx_sender_leases SET holder = $3, lease_until = now() + $4 * interval '1 millisecond'
         WHERE chain = $1 AND sender = $2 AND (holder = $3 OR lease_until < now()) RETURNING holder`,
        [chain, sender, holder, ttlMs],
      );
      return rows.length === 1;
    },
    async releaseSenderLease(chain, sender, holder) {
      await db.query(`UPDATE tx_sender_leases SET lease_until = '-infinity' WHERE chain = $1 AND sender = $2 AND holder = $3`, [chain, sender, holder]);
    },
    async registerChain(row) {
      await db.query(
        `INSERT INTO tx_chains (chain, kind, chain_id, vault) VALUES ($1, $2, $3, $4)
         ON CONFLICT (chain) DO UPDATE SET kind = EXCLUDED.kind, chain_id = EXCLUDED.chain_id, vault = EXCLUDED.vault, updated_at = now()`,
        [row.chain, row.kind, row.chainId.toString(), row.vault],
      );
    },
    async getChain(chain) {
      const rows = await db.query<{ chain: string; kind: "evm" | "tron"; chain_id: string; vault: string }>(`SELECT * FROM tx_chains WHERE chain = $1`, [chain]);
      const row = rows[0];
      return row ? { chain: row.chain, kind: row.kind, chainId: BigInt(row.chain_id), vault: row.vault } : undefined;
    },
    async listDueUnclaimed(chain, beforeSeconds, limit) {
      const rows = await db.query<Parameters<typeof rowToEscrow>[0]>(`SELECT e.* ${DUE_SQL} ORDER BY e.due_at, e.escrow_id LIMIT $3`, [chain, beforeSeconds.toString(), limit]);
      return rows.map(rowToEscrow);
    },
    async countDue(chain, beforeSeconds) {
      const rows = await db.query<{ n: string }>(`SELECT count(*) AS n FROM escrows WHERE chain = $1 AND status IN ('open', 'disputed') AND due_at < $2`, [
        chain,
        beforeSeconds.toString(),
      ]);
      return Number(rows[0]?.n ?? 0);
    },
    async getEscrow(chain, escrowId) {
      const rows = await db.query<Parameters<typeof rowToEscrow>[0]>(`SELECT * FROM escrows WHERE chain = $1 AND escrow_id = $2`, [chain, escrowId.toLowerCase()]);
      return rows[0] ? rowToEscrow(rows[0]) : undefined;
    },
    insertIntended: (tx) =>
      db
        .transaction(async (t) => {
          const rows = await t.query<JournalSqlRow>(
            `INSERT INTO tx_journal (chain, sender, kind, state, to_address, data, nonce) VALUES ($1, $2, $3, 'intended', $4, $5, $6) RETURNING *`,
            [tx.chain, tx.sender, tx.kind, tx.to, tx.data, tx.nonce],
          );
          const row = toJournalRow(rows[0]!);
          for (const subject of tx.subjects) {
            const inserted = await t.query(
              `INSERT INTO tx_journal_subjects (chain, subject_id, subject_version, tx_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING tx_id`,
              [tx.chain, subject.id, subject.version, row.id],
            );
            if (inserted.length === 0) throw new SubjectTaken();
          }
          return row;
        })
        .catch((error: unknown) => {
          // Another process reserved a subject or this nonce first: not an error, just not ours.
          if (error instanceof SubjectTaken || isUniqueViolation(error)) return null;
          throw error;
        }),
    async markSigned(id, f) {
      await db.query(
        `UPDATE tx_journal SET state = 'signed', raw_tx = $2, tx_hash = $3, gas_limit = $4, max_fee_per_gas = $5, max_priority_fee_per_gas = $6,
           fee_limit_sun = $7, expires_at_ms = $8, updated_at = now() WHERE id = $1 AND state = 'intended'`,
        [id, ...signedParams(f)],
      );
    },
    async markSent(id) {
      await db.query(`UPDATE tx_journal SET state = 'sent', sent_at = now(), updated_at = now() WHERE id = $1 AND state IN ('signed', 'sent')`, [id]);
    },
    async markMined(id, m) {
      await db.query(`UPDATE tx_journal SET state = 'mined', block_number = $2, block_hash = $3, outcome = $4, updated_at = now() WHERE id = $1`, [
        id,
        m.blockNumber,
        m.blockHash,
        m.outcome === null ? null : JSON.stringify(m.outcome),
      ]);
    },
    async markConfirmed(id) {
      await db.transaction(async (t) => {
        await t.query(`UPDATE tx_journal SET state = 'confirmed', updated_at = now() WHERE id = $1`, [id]);
        await t.query(`UPDATE signed_actions SET state = 'done', updated_at = now() WHERE tx_id = $1`, [id]);
      });
    },
    async markUnmined(id) {
      await db.query(`UPDATE tx_journal SET state = 'sent', block_number = NULL, block_hash = NULL, updated_at = now() WHERE id = $1`, [id]);
    },
    async markFailed(id, error, options = {}) {
      await db.transaction(async (t) => {
        await t.query(`UPDATE tx_journal SET state = 'failed', error = $2, outcome = coalesce($3, outcome), updated_at = now() WHERE id = $1`, [
          id,
          error,
          options.outcome ? JSON.stringify(options.outcome) : null,
        ]);
        await t.query(`DELETE FROM tx_journal_subjects WHERE tx_id = $1`, [id]);
        await t.query(
          options.actionFailed
            ? `UPDATE signed_actions SET state = 'failed', error = $2, updated_at = now() WHERE tx_id = $1`
            : `UPDATE signed_actions SET state = 'queued', tx_id = NULL, error = $2, updated_at = now() WHERE tx_id = $1`,
          [id, error],
        );
      });
    },
    replace: (oldId, f) =>
      db.transaction(async (t) => {
        const old = await t.query<JournalSqlRow>(`UPDATE tx_journal SET state = 'replaced', updated_at = now() WHERE id = $1 AND state = 'sent' RETURNING *`, [oldId]);
        if (!old[0]) throw new Error(`tx_journal ${oldId} is no longer sent; not replacing it`);
        const o = toJournalRow(old[0]);
        const rows = await t.query<JournalSqlRow>(
          `INSERT INTO tx_journal (chain, sender, kind, state, to_address, data, nonce, raw_tx, tx_hash, gas_limit, max_fee_per_gas,
             max_priority_fee_per_gas, fee_limit_sun, expires_at_ms, replaces_id)
           VALUES ($1, $2, $3, 'signed', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
          [o.chain, o.sender, o.kind, o.to, o.data, o.nonce, ...signedParams(f), oldId],
        );
        const row = toJournalRow(rows[0]!);
        await t.query(`UPDATE tx_journal_subjects SET tx_id = $2 WHERE tx_id = $1`, [oldId, row.id]);
        await t.query(`UPDATE signed_actions SET tx_id = $2 WHERE tx_id = $1`, [oldId, row.id]);
        return row;
      }),
    revive: (minedId, loserId) =>
      db.transaction(async (t) => {
        await t.query(`UPDATE tx_journal SET state = 'replaced', updated_at = now() WHERE id = $1`, [loserId]);
        await t.query(`UPDATE tx_journal SET state = 'sent', updated_at = now() WHERE id = $1`, [minedId]);
        await t.query(`UPDATE tx_journal_subjects SET tx_id = $2 WHERE tx_id = $1`, [loserId, minedId]);
        await t.query(`UPDATE signed_actions SET tx_id = $2 WHERE tx_id = $1`, [loserId, minedId]);
      }),
    listOpen: async (chain, sender) =>
      (await db.query<JournalSqlRow>(`SELECT * FROM tx_journal WHERE chain = $1 AND sender = $2 AND state = ANY($3) ORDER BY nonce NULLS LAST, id`, [chain, sender, OPEN_TX_STATES])).map(
        toJournalRow,
      ),
    listByNonce: async (chain, sender, nonce) =>
      (await db.query<JournalSqlRow>(`SELECT * FROM tx_journal WHERE chain = $1 AND sender = $2 AND nonce = $3 ORDER BY id`, [chain, sender, nonce])).map(toJournalRow),
    async maxLiveNonce(chain, sender) {
      const rows = await db.query<{ max: string | null }>(
        `SELECT max(nonce) AS max FROM tx_journal WHERE chain = $1 AND sender = $2 AND state IN ('intended', 'signed', 'sent', 'mined', 'confirmed')`,
        [chain, sender],
      );
      return rows[0]?.max == null ? null : Number(rows[0].max);
    },
    async liveNonces(chain, sender, from) {
      const rows = await db.query<{ nonce: string }>(
        `SELECT DISTINCT nonce FROM tx_journal WHERE chain = $1 AND sender = $2 AND nonce >= $3 AND state IN ('intended', 'signed', 'sent', 'mined', 'confirmed') ORDER BY nonce`,
        [chain, sender, from],
      );
      return rows.map((row) => Number(row.nonce));
    },
    listJournal: async (chain) => (await db.query<JournalSqlRow>(`SELECT * FROM tx_journal WHERE chain = $1 ORDER BY id`, [chain])).map(toJournalRow),
    async countByState(chain) {
      const rows = await db.query<{ state: TxState; n: string }>(`SELECT state, count(*) AS n FROM tx_journal WHERE chain = $1 GROUP BY state`, [chain]);
      const counts = Object.fromEntries(TX_STATES.map((s) => [s, 0])) as Record<TxState, number>;
      for (const row of rows) counts[row.state] = Number(row.n);
      return counts;
    },
    async insertAction(a) {
      await db.query(
        `INSERT INTO signed_actions (id, chain, escrow_id, action, amount, signer, nonce, valid_before, signature, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued')`,
        [a.id, a.chain, a.escrowId, a.action, a.amount?.toString() ?? null, a.signer, a.nonce.toString(), a.validBefore.toString(), a.signature],
      );
    },
    claimActions: (chain, limit) =>
      db.transaction(async (t) => {
        const rows = await t.query<ActionSqlRow>(
          `UPDATE signed_actions SET state = 'submitted', updated_at = now() WHERE id IN (
             SELECT id FROM signed_actions WHERE chain = $1 AND state = 'queued' ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [chain, limit],
        );
        return rows.map(toActionRow);
      }),
    async attachAction(actionId, txId) {
      await db.query(`UPDATE signed_actions SET tx_id = $2, updated_at = now() WHERE id = $1`, [actionId, txId]);
    },
    async failAction(actionId, error) {
      await db.query(`UPDATE signed_actions SET state = 'failed', error = $2, updated_at = now() WHERE id = $1`, [actionId, error]);
    },
    async requeueOrphanActions(chain) {
      return (await db.query(`UPDATE signed_actions SET state = 'queued', updated_at = now() WHERE chain = $1 AND state = 'submitted' AND tx_id IS NULL RETURNING id`, [chain]))
        .length;
    },
    async getAction(actionId) {
      const rows = await db.query<ActionSqlRow>(`SELECT * FROM signed_actions WHERE id = $1`, [actionId]);
      return rows[0] ? toActionRow(rows[0]) : undefined;
    },
  };
}

class SubjectTaken extends Error {}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: string }).code === "23505";
}

function signedParams(f: SignedFields): unknown[] {
  const s = (v: bigint | null) => (v === null ? null : v.toString());
  return [f.rawTx, f.txHash, s(f.gasLimit), s(f.maxFeePerGas), s(f.maxPriorityFeePerGas), s(f.feeLimitSun), f.expiresAtMs];
}

interface JournalSqlRow {
  id: string;
  chain: string;
  sender: string;
  kind: TxKind;
  state: TxState;
  to_address: string;
  data: string;
  nonce: string | null;
  gas_limit: string | null;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  fee_limit_sun: string | null;
  expires_at_ms: string | null;
  raw_tx: string | null;
  tx_hash: string | null;
  replaces_id: string | null;
  block_number: string | null;
  block_hash: string | null;
  outcome: Record<string, unknown> | null;
  error: string | null;
  sent_at: Date | string | null;
}

const big = (v: string | null) => (v === null ? null : BigInt(v));
const num = (v: string | null) => (v === null ? null : Number(v));

function toJournalRow(r: JournalSqlRow): JournalRow {
  return {
    id: String(r.id),
    chain: r.chain,
    sender: r.sender,
    kind: r.kind,
    state: r.state,
    to: r.to_address,
    data: r.data,
    nonce: num(r.nonce),
    gasLimit: big(r.gas_limit),
    maxFeePerGas: big(r.max_fee_per_gas),
    maxPriorityFeePerGas: big(r.max_priority_fee_per_gas),
    feeLimitSun: big(r.fee_limit_sun),
    expiresAtMs: num(r.expires_at_ms),
    rawTx: r.raw_tx,
    txHash: r.tx_hash,
    replacesId: r.replaces_id === null ? null : String(r.replaces_id),
    blockNumber: num(r.block_number),
    blockHash: r.block_hash,
    outcome: r.outcome,
    error: r.error,
    sentAt: r.sent_at === null ? null : new Date(r.sent_at),
  };
}

interface ActionSqlRow {
  id: string;
  chain: string;
  escrow_id: string;
  action: SignedActionKind;
  amount: string | null;
  signer: string;
  nonce: string;
  valid_before: string;
  signature: string;
  state: SignedActionState;
  tx_id: string | null;
  error: string | null;
}

function toActionRow(r: ActionSqlRow): SignedActionRow {
  return {
    id: r.id,
    chain: r.chain,
    escrowId: r.escrow_id,
    action: r.action,
    amount: big(r.amount),
    signer: r.signer,
    nonce: BigInt(r.nonce),
    validBefore: BigInt(r.valid_before),
    signature: r.signature,
    state: r.state,
    txId: r.tx_id === null ? null : String(r.tx_id),
    error: r.error,
  };
}
