/**
 * Remembers the results of a pure one-argument function for the `maxEntries` most recently
 * computed arguments; the oldest are forgotten first, so memory stays bounded however many distinct
 * arguments pass through.
 */
export function memoizeBounded<A, R>(fn: (arg: A) => R, maxEntries: number): (arg: A) => R {
  const cache = new Map<A, R>();
  return (arg) => {
    if (cache.has(arg)) return cache.get(arg)!;
    const result = fn(arg);
    // Map iterates in insertion order: the first key is the oldest.
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(arg, result);
    return result;
  };
}
