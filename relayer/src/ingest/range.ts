/**
 * First range asked for: small, so the first answer stays small even on a busy vault whose density
 * is not known yet (slow start). Ranges then double while answers stay under the commit cap, and
 * `fit()` narrows them when one does not.
 */
export const INITIAL_RANGE_BLOCKS = 16;
/** Never ask for more than this, however well the provider copes. */
export const MAX_RANGE_BLOCKS = 10_000;
/** Consecutive accepted ranges before the range doubles again. */
export const GROW_AFTER_SUCCESSES = 2;

/** The `eth_getLogs` block range: halves when a provider refuses it, doubles back after successes. */
export interface AdaptiveRange {
  /** Blocks to ask for in the next call (at least 1). */
  size(): number;
  /** The provider refused the last range; returns the new size. */
  shrink(): number;
  /** The provider answered; returns the size for the next call. */
  succeed(): number;
  /** The answer held more events than one commit takes: ask for `blocks` next, then grow as usual. */
  fit(blocks: number): number;
}

export function createAdaptiveRange(options: { initial?: number; max?: number; growAfter?: number } = {}): AdaptiveRange {
  const max = options.max ?? MAX_RANGE_BLOCKS;
  const growAfter = options.growAfter ?? GROW_AFTER_SUCCESSES;
  let size = Math.min(options.initial ?? INITIAL_RANGE_BLOCKS, max);
  let successes = 0;
  return {
    size: () => size,
    shrink() {
      successes = 0;
      size = Math.max(1, Math.floor(size / 2));
      return size;
    },
    succeed() {
      successes += 1;
      if (successes >= growAfter) {
        successes = 0;
        size = Math.min(max, size * 2);
      }
      return size;
    },
    fit(blocks) {
      successes = 0;
      size = Math.max(1, Math.min(size, blocks));
      return size;
    },
  };
}
