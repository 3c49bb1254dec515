/**
 * Group commit: callers submit one item each and wait for its result, while the items are written
 * together. The first item is written at once; whatever arrives while that write runs goes into the
 * next one. Idle, an item waits for nothing; under load, one transaction carries many items and the
 * database round trips per item fall with the load.
 */

export interface GroupCommit<In, Out> {
  submit(item: In): Promise<Out>;
  /** Resolves once everything submitted so far is written (or has failed). */
  drain(): Promise<void>;
}

/** `write` gets a batch and returns one result per item, in order; if it throws, every item of the batch fails. */
export function createGroupCommit<In, Out>(write: (items: In[]) => Promise<Out[]>, maxBatch: number): GroupCommit<In, Out> {
  type Waiting = { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void };
  let queue: Waiting[] = [];
  let writing: Promise<void> | null = null;

  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const results = await write(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    writing = null;
  }

  return {
    submit(item) {
      return new Promise<Out>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        writing ??= writeAll();
      });
    },
    async drain() {
      while (writing) await writing;
    },
  };
}
