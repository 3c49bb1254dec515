import { describe, expect, it } from "vitest";
import type { BlockHeader, ChainReader } from "../../../relayer/src/chains/index.js";
import { ReorgTooDeepError, RetryableError } from "../../../relayer/src/common/errors.js";
import { pollOnce } from "../../../relayer/src/ingest/poll.js";
import { createAdaptiveRange } from "../../../relayer/src/ingest/range.js";
import { extendsCursor, findCommonAncestor } from "../../../relayer/src/ingest/reorg.js";

const hash = (n: number, fork: string) => `0x${fork.repeat(8)}${n.toString(16).padStart(56, "0")}`;

/** An in-memory chain whose blocks above `forkAt` belong to fork "b"; no logs. */
function chainReader(head: number, forkAt: number, brokenParentAt?: number): ChainReader {
  const block = (n: number): BlockHeader => {
    const fork = (m: number) => (m > forkAt ? "b" : "a");
    const parentHash = n === brokenParentAt ? `0x${"0".repeat(64)}` : hash(n - 1, fork(n - 1));
    return { number: n, hash: hash(n, fork(n)), parentHash, timestamp: n };
  };
  return {
    chain: "test",
    kind: "evm",
    getChainId: async () => 31337n,
    getHeadBlockNumber: async () => head,
    getBlock: async (n) => block(n),
    getLogs: async () => [],
    call: async () => "0x",
    formatAddress: (hex) => hex,
    parseAddress: (display) => display,
    close: async () => undefined,
  };
}

describe("reorg detection", () => {
  it("extendsCursor() accepts a block whose parent is the cursor's block, and anything before the first commit", () => {
    const next = { number: 11, hash: hash(11, "a"), parentHash: hash(10, "a"), timestamp: 0 };
    expect(extendsCursor(next, { blockNumber: 10, blockHash: hash(10, "a") })).toBe(true);
    expect(extendsCursor(next, { blockNumber: 10, blockHash: hash(10, "b") })).toBe(false);
    expect(extendsCursor(next, { blockNumber: 10, blockHash: null })).toBe(true);
  });

  it("findCommonAncestor() returns the newest remembered block the chain still has", async () => {
    const remembered = [5, 8, 12, 15].map((n) => ({ number: n, hash: hash(n, "a") }));
    expect(await findCommonAncestor(chainReader(20, 10, undefined), remembered)).toEqual({ number: 8, hash: hash(8, "a") });
  });

  it("findCommonAncestor() throws ReorgTooDeepError when no remembered block survived", async () => {
    const remembered = [12, 15].map((n) => ({ number: n, hash: hash(n, "a") }));
    await expect(findCommonAncestor(chainReader(20, 10), remembered)).rejects.toBeInstanceOf(ReorgTooDeepError);
  });

  it("pollOnce() yields a reorg with the ancestor when the next block does not extend the cursor", async () => {
    const result = await pollOnce({
      reader: chainReader(30, 10),
      chain: "test",
      vault: `0x${"11".repeat(20)}`,
      headTag: "latest",
      confirmations: 2,
      startBlock: 0,
      cursor: { blockNumber: 15, blockHash: hash(15, "a") },
      range: createAdaptiveRange(),
      rememberedBlocks: async () => [5, 9, 15].map((n) => ({ number: n, hash: hash(n, "a") })),
    });
    expect(result).toEqual({ kind: "reorg", head: 30, ancestor: { number: 9, hash: hash(9, "a") }, orphanedFrom: 10 });
  });

  it("pollOnce() treats a node that contradicts itself as retryable rather than rolling back nothing", async () => {
    const poll = pollOnce({
      reader: chainReader(30, 100, 16),
      chain: "test",
      vault: `0x${"11".repeat(20)}`,
      headTag: "latest",
      confirmations: 0,
      startBlock: 0,
      cursor: { blockNumber: 15, blockHash: hash(15, "a") },
      range: createAdaptiveRange(),
      rememberedBlocks: async () => [{ number: 15, hash: hash(15, "a") }],
    });
    await expect(poll).rejects.toBeInstanceOf(RetryableError);
  });

  it("pollOnce() stays idle below the confirmation depth", async () => {
    const result = await pollOnce({
      reader: chainReader(17, 100),
      chain: "test",
      vault: `0x${"11".repeat(20)}`,
      headTag: "latest",
      confirmations: 2,
      startBlock: 0,
      cursor: { blockNumber: 15, blockHash: hash(15, "a") },
      range: createAdaptiveRange(),
      rememberedBlocks: async () => [],
    });
    expect(result).toEqual({ kind: "idle", head: 17, lastBlock: 15 });
  });
});
