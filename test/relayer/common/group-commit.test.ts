import { describe, expect, it } from "vitest";
import { createGroupCommit } from "../../../relayer/src/common/group-commit.js";

/** A write the test finishes by hand, recording each batch it was given. */
function manualWrites() {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  const write = (items: number[]) => {
    batches.push(items);
    return new Promise<string[]>((resolve) => finish.push(() => resolve(items.map((i) => `done ${i}`))));
  };
  return { batches, write, finishNext: () => finish.shift()!() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("group commit", () => {
  it("writes the first item at once and everything that arrives meanwhile in the next batch", async () => {
    const writes = manualWrites();
    const commit = createGroupCommit(writes.write, 100);
    const first = commit.submit(1);
    const rest = [2, 3, 4].map((i) => commit.submit(i));
    await settle();
    expect(writes.batches).toEqual([[1]]);
    writes.finishNext();
    expect(await first).toBe("done 1");
    await settle();
    expect(writes.batches).toEqual([[1], [2, 3, 4]]);
    writes.finishNext();
    expect(await Promise.all(rest)).toEqual(["done 2", "done 3", "done 4"]);
  });

  it("never puts more than maxBatch items in one write", async () => {
    const writes = manualWrites();
    const commit = createGroupCommit(writes.write, 2);
    const all = [1, 2, 3, 4, 5].map((i) => commit.submit(i));
    for (let i = 0; i < 3; i++) {
      await settle();
      writes.finishNext();
    }
    expect(await Promise.all(all)).toHaveLength(5);
    expect(writes.batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it("fails only the items of a failed write and keeps writing later ones", async () => {
    let calls = 0;
    const commit = createGroupCommit(async (items: number[]) => {
      calls += 1;
      if (calls === 1) throw new Error("database down");
      return items.map((i) => i * 10);
    }, 10);
    const failed = commit.submit(1);
    await expect(failed).rejects.toThrow("database down");
    expect(await commit.submit(2)).toBe(20);
  });

  it("drain() waits until everything submitted is written", async () => {
    const writes = manualWrites();
    const commit = createGroupCommit(writes.write, 10);
    void commit.submit(1);
    let drained = false;
    const draining = commit.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    writes.finishNext();
    await draining;
    expect(drained).toBe(true);
  });
});
