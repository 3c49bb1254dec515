import type { Context } from "../../common/context.js";
import { selectSubjectSequences } from "../../store/web-repository.js";

/**
 * One poller for every open checkout page. Each tick asks the store, in one query, for the latest
 * domain-event sequence of every invoice someone watches; only subjects whose number moved are read
 * again and pushed. With nobody watching it does not query at all. Ingestion writes those events in
 * the same transaction as the projections, so a moved number always means a readable new state.
 */

/** How often the shared poller looks for changes while at least one page is open. */
export const STATUS_POLL_INTERVAL_MS = 1_000;

export type Listener = () => void;

export interface StatusHub {
  /** Calls `listener` whenever the subject's events change; returns the unsubscribe function. */
  subscribe(chain: string, subjectId: string, listener: Listener): () => void;
  /** Subjects currently watched (for tests and metrics). */
  watching(): number;
}

export function createStatusHub(ctx: Pick<Context, "db" | "logger" | "signal">, options: { pollIntervalMs?: number } = {}): StatusHub {
  const interval = options.pollIntervalMs ?? STATUS_POLL_INTERVAL_MS;
  const watched = new Map<string, { chain: string; subjectId: string; sequence: number | undefined; listeners: Set<Listener> }>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  async function poll(): Promise<void> {
    if (polling || watched.size === 0) return;
    polling = true;
    try {
      const sequences = await selectSubjectSequences(ctx.db, [...watched.values()]);
      for (const [key, entry] of watched) {
        const sequence = sequences.get(key);
        if (sequence === entry.sequence) continue;
        entry.sequence = sequence;
        // A spurious call (the baseline read lost a race with this tick) only re-sends the same state.
        for (const listener of entry.listeners) listener();
      }
    } catch (error) {
      ctx.logger.warn({ err: error }, "Checkout status poll failed; retrying next tick");
    } finally {
      polling = false;
    }
  }

  const start = () => {
    if (timer || ctx.signal.aborted) return;
    timer = setInterval(() => void poll(), interval);
    timer.unref();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  ctx.signal.addEventListener("abort", stop, { once: true });

  return {
    subscribe(chain, subjectId, listener) {
      const key = `${chain}:${subjectId}`;
      let entry = watched.get(key);
      if (!entry) {
        entry = { chain, subjectId, sequence: undefined, listeners: new Set() };
        watched.set(key, entry);
        // The baseline is read now, so a change between page render and this call is not lost:
        // the caller sends the current state right after subscribing anyway.
        void selectSubjectSequences(ctx.db, [entry]).then((s) => {
          if (entry!.sequence === undefined) entry!.sequence = s.get(key);
        }, () => undefined);
      }
      entry.listeners.add(listener);
      start();
      return () => {
        entry!.listeners.delete(listener);
        if (entry!.listeners.size === 0) watched.delete(key);
        if (watched.size === 0) stop();
      };
    },
    watching: () => watched.size,
  };
}
