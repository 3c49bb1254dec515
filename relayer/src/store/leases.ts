import type { Db } from "./db.js";

/**
 * Ends every lease at once: ingestion leaders, transaction senders and webhook deliveries in flight.
 * Only for the embedded PGlite database at start-up: one process at a time can open its data
 * directory, so any lease found then belonged to a process that is gone (crashed or killed), and
 * waiting for it to run out would stall ingestion, timeouts and webhooks for nothing.
 */
export async function expireLeasesOfGoneProcess(db: Db): Promise<{ ingest: number; senders: number; deliveries: number }> {
  return db.transaction(async (tx) => {
    const ingest = await tx.query(`UPDATE ingest_leases SET lease_until = '-infinity' WHERE lease_until > now() RETURNING chain`);
    const senders = await tx.query(`UPDATE tx_sender_leases SET lease_until = '-infinity' WHERE lease_until > now() RETURNING chain`);
    const deliveries = await tx.query(`UPDATE webhook_deliveries SET lease_until = '-infinity' WHERE status = 'delivering' RETURNING id`);
    return { ingest: ingest.length, senders: senders.length, deliveries: deliveries.length };
  });
}
