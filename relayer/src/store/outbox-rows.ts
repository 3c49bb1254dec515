import type { DerivedEvent } from "../domain/events.js";
import { domainEventId, revertedEventId } from "../domain/events.js";
import type { ChainEvent } from "../domain/vault-events.js";
import type { Db } from "./db.js";
import { recordsetFrom, recordsetJson } from "./recordset.js";

/**
 * Writes to the outbox (`domain_events`) a whole block range at a time: a fixed handful of
 * statements however many events the range holds. Numbers events per subject and routes each to the
 * merchant that owns its address.
 */

/** A log comes back after a reorg and its reversal at most this many times before we call it a bug. */
const MAX_INCARNATIONS = 100;

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

/** A row before the outbox numbers it. */
export type UnnumberedEvent = Omit<DomainEventRow, "sequence" | "chain">;

const OUTBOX_COLUMNS = {
  id: "text",
  merchant_id: "text",
  type: "text",
  subject_id: "text",
  sequence: "integer",
  payload: "jsonb",
  block_number: "bigint",
  block_hash: "text",
} as const;

/**
 * Appends `events` in order, each numbered after the last sequence of its subject; `sequence` is
 * also put into the payload so receivers can order by it.
 */
export async function appendToOutbox(tx: Db, chain: string, events: readonly UnnumberedEvent[]): Promise<DomainEventRow[]> {
  if (events.length === 0) return [];
  const last = await lastSequences(tx, chain, [...new Set(events.map((e) => e.subjectId))]);
  const rows = events.map((event) => {
    const sequence = (last.get(event.subjectId) ?? 0) + 1;
    last.set(event.subjectId, sequence);
    return { ...event, chain, sequence, payload: { ...event.payload, sequence } };
  });
  await tx.query(
    `INSERT INTO domain_events (id, merchant_id, type, chain, subject_id, sequence, payload, block_number, block_hash)
     SELECT id, merchant_id, type, $2, subject_id, sequence, payload, block_number, block_hash
     FROM ${recordsetFrom("$1", OUTBOX_COLUMNS)} ORDER BY ordinality`,
    [
      recordsetJson(
        rows.map((r) => ({
          id: r.id,
          merchant_id: r.merchantId,
          type: r.type,
          subject_id: r.subjectId,
          sequence: r.sequence,
          payload: r.payload,
          block_number: r.blockNumber,
          block_hash: r.blockHash,
        })),
      ),
      chain,
    ],
  );
  return rows;
}

async function lastSequences(tx: Db, chain: string, subjectIds: string[]): Promise<Map<string, number>> {
  const rows = await tx.query<{ subject_id: string; max: number }>(
    `SELECT subject_id, max(sequence) AS max FROM domain_events WHERE chain = $1 AND subject_id = ANY($2) GROUP BY subject_id`,
    [chain, subjectIds],
  );
  return new Map(rows.map((row) => [row.subject_id, Number(row.max)]));
}

/** Merchant ids of `addresses` on `chain`; addresses no merchant owns map to null. */
export async function merchantsOf(tx: Db, chain: string, addresses: readonly (string | null)[]): Promise<Map<string, string | null>> {
  const wanted = [...new Set(addresses.filter((a): a is string => a !== null))];
  const owners = new Map<string, string | null>(wanted.map((address) => [address, null]));
  if (wanted.length === 0) return owners;
  const rows = await tx.query<{ address: string; merchant_id: string }>(
    `SELECT address, merchant_id FROM merchant_addresses WHERE chain = $1 AND address = ANY($2)`,
    [chain, wanted],
  );
  for (const row of rows) owners.set(row.address, row.merchant_id);
  return owners;
}

/**
 * The outbox rows for events derived from logs, skipping those already derived and still live.
 * A log reverted by a reorg and then mined again gets the next free incarnation of its id, so the
 * merchant hears of it again; a log seen twice without a reorg between never yields a second event.
 */
export async function newDerivedEvents(tx: Db, chain: string, derived: readonly { event: DerivedEvent; origin: Pick<ChainEvent, "blockNumber" | "blockHash" | "logIndex"> }[]): Promise<UnnumberedEvent[]> {
  const ids = await freeIds(tx, derived.map(({ event, origin }) => (incarnation: number) => domainEventId(chain, origin.blockHash, origin.logIndex, event.type, incarnation)));
  const owners = await merchantsOf(tx, chain, derived.map(({ event }) => event.routeTo));
  const rows: UnnumberedEvent[] = [];
  derived.forEach(({ event, origin }, i) => {
    const id = ids[i];
    if (id === null || id === undefined) return;
    rows.push({
      id,
      merchantId: event.routeTo === null ? null : (owners.get(event.routeTo) ?? null),
      type: event.type,
      subjectId: event.subjectId,
      payload: event.data,
      blockNumber: origin.blockNumber,
      blockHash: origin.blockHash,
    });
  });
  return rows;
}

/**
 * For each candidate (its id as a function of the incarnation), the first incarnation whose id is
 * free, or null when an incarnation is derived and not reverted. One query per incarnation level.
 */
async function freeIds(tx: Db, candidates: readonly ((incarnation: number) => string)[]): Promise<(string | null)[]> {
  const result: (string | null)[] = new Array<string | null>(candidates.length).fill(null);
  let open = candidates.map((_, i) => i);
  for (let incarnation = 0; open.length > 0; incarnation++) {
    if (incarnation === MAX_INCARNATIONS) throw new Error(`a log came back more than ${MAX_INCARNATIONS} times after reorgs`);
    const ids = open.map((i) => candidates[i]!(incarnation));
    const found = new Set(
      (await tx.query<{ id: string }>(`SELECT id FROM domain_events WHERE id = ANY($1)`, [[...ids, ...ids.map(revertedEventId)]])).map((row) => row.id),
    );
    const stillOpen: number[] = [];
    open.forEach((candidate, k) => {
      const id = ids[k]!;
      const live = found.has(id);
      const reverted = found.has(revertedEventId(id));
      if (!live && !reverted) result[candidate] = id;
      else if (live && reverted) stillOpen.push(candidate); // undone by a reorg: try the next incarnation
      // else: derived before and not undone; never derive twice (stays null)
    });
    open = stillOpen;
  }
  return result;
}
