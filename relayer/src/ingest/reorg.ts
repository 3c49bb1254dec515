import type { BlockHeader, ChainReader } from "../chains/index.js";
import { ReorgTooDeepError } from "../common/errors.js";
import type { IngestCursor, StoredBlock } from "../store/ingest-repository.js";

/**
 * Whether `next` (the first block of the next range) still builds on the last processed block. A
 * cursor without a hash (nothing committed yet) has nothing to contradict.
 */
export function extendsCursor(next: BlockHeader, cursor: IngestCursor | null): boolean {
  return !cursor?.blockHash || next.parentHash === cursor.blockHash;
}

/**
 * Walks the remembered blocks from the newest down and returns the newest one the node still has
 * with the same hash: the common ancestor. Every block with a vault event is remembered, so every
 * event above the ancestor really is on an orphaned block. Throws ReorgTooDeepError when none of the
 * remembered blocks survived: the relayer cannot tell what else changed.
 */
export async function findCommonAncestor(reader: ChainReader, remembered: StoredBlock[]): Promise<StoredBlock> {
  const newestFirst = [...remembered].sort((a, b) => b.number - a.number);
  for (const block of newestFirst) {
    const current = await reader.getBlock(block.number);
    if (current.hash === block.hash) return block;
  }
  const oldest = newestFirst[newestFirst.length - 1];
  throw new ReorgTooDeepError(`${reader.chain}: reorganisation deeper than the ${newestFirst.length} remembered blocks (down to block ${oldest?.number ?? "none"})`, {
    hints: [
      "Check the RPC endpoint points at the right chain and is in sync.",
      "Raise the chain's confirmations (and reorg window), then re-ingest from a block before the fork by resetting the ingestion cursor.",
    ],
  });
}
