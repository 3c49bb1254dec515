/**
 * A seeded pseudo-random source in [0, 1) (mulberry32): fast, 32-bit state, and good enough to spread
 * orders by weight. Not for secrets. The same seed gives the same sequence, which is what makes the
 * engine's choices reproducible in tests and explainable in the audit log.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
