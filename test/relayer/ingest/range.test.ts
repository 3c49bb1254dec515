import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RangeTooLargeError, RetryableError } from "../../../relayer/src/common/errors.js";
import { createAdaptiveRange } from "../../../relayer/src/ingest/range.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode } from "../support/hardhat-node.js";
import { createIngester, type TickResult } from "../../../relayer/src/ingest/index.js";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { makeIngester } from "./harness.js";

/** The proxy refuses eth_getLogs over more blocks than this, like a provider's block-range cap. */
const PROVIDER_MAX_RANGE_BLOCKS = 10;
/** ... and fails every n-th eth_getLogs with an HTTP 502, like a flaky load balancer. */
const FAIL_EVERY_NTH_GETLOGS = 7;
const MAX_TICKS = 300;

describe("createAdaptiveRange()", () => {
  it("halves down to one block and doubles back after enough successes, up to the maximum", () => {
    const range = createAdaptiveRange({ initial: 8, max: 16, growAfter: 2 });
    expect([range.shrink(), range.shrink(), range.shrink(), range.shrink()]).toEqual([4, 2, 1, 1]);
    expect([range.succeed(), range.succeed(), range.succeed(), range.succeed()]).toEqual([1, 2, 2, 4]);
    range.shrink();
    expect(range.succeed()).toBe(2); // a refusal resets the success count
    for (let i = 0; i < 20; i++) range.succeed();
    expect(range.size()).toBe(16);
  });

  it("fit() narrows the next range to what one commit holds, then grows as usual", () => {
    const range = createAdaptiveRange({ initial: 64, max: 64, growAfter: 1 });
    expect(range.fit(5)).toBe(5);
    expect(range.fit(100)).toBe(5); // fitting never widens
    expect([range.succeed(), range.succeed()]).toEqual([10, 20]);
  });
});

describe("range shrink and grow against a refusing JSON-RPC proxy", () => {
  let node: HardhatNode;
  let proxy: Server;
  let proxyUrl: string;
  let db: Db;
  const requested: { size: number; outcome: "ok" | "refused" | "failed" }[] = [];

  beforeAll(async () => {
    [node, db] = await Promise.all([startHardhatNode(), openDb({ dataDir: "memory://" })]);
    await migrate(db);
    let getLogsCalls = 0;
    proxy = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", async () => {
        const call = JSON.parse(body) as { id: number; method: string; params: [{ fromBlock: string; toBlock: string }] };
        if (call.method === "eth_getLogs") {
          const size = Number(call.params[0].toBlock) - Number(call.params[0].fromBlock) + 1;
          getLogsCalls += 1;
          if (size > PROVIDER_MAX_RANGE_BLOCKS) {
            requested.push({ size, outcome: "refused" });
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32005, message: "query returned more than 10000 results" } }));
            return;
          }
          if (getLogsCalls % FAIL_EVERY_NTH_GETLOGS === 0) {
            requested.push({ size, outcome: "failed" });
            res.writeHead(502).end("bad gateway");
            return;
          }
          requested.push({ size, outcome: "ok" });
        }
        const upstream = await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const address = proxy.address();
    proxyUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await node?.stop();
    await db?.close();
  });

  it("shrinks on refusals, grows back after successes, retries failures and ingests every event once", async () => {
    const fx = await deployVaultFixture(node);
    const paid: string[] = [];
    for (let i = 0; i < 4; i++) {
      paid.push((await fx.payInvoice()).invoiceId);
      await fx.mine(15);
    }
    const range = createAdaptiveRange({ initial: 64, max: 64, growAfter: 2 });
    const { ingester, store, reader } = makeIngester({ db, rpcUrl: proxyUrl, range, chain: { vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0 } });
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < MAX_TICKS; i++) {
        try {
          const result = await ingester.tick();
          outcomes.push(result.kind);
          if (result.kind === "idle") break;
        } catch (error) {
          // The loop in run() backs off and retries these; a refused range never surfaces as an error.
          expect(error).toBeInstanceOf(RetryableError);
          expect(error).not.toBeInstanceOf(RangeTooLargeError);
          outcomes.push("retryable_error");
        }
      }
    } finally {
      await reader.close();
    }
    expect(outcomes.at(-1)).toBe("idle");
    expect(outcomes).toContain("range_refused");
    expect(outcomes).toContain("retryable_error");

    const sizes = requested.map((r) => `${r.outcome}:${r.size}`);
    // 64 -> 32 -> 16 refused, 8 accepted; after two successes it tries 16 again, is refused, and drops to 8.
    expect(sizes.slice(0, 4)).toEqual(["refused:64", "refused:32", "refused:16", "ok:8"]);
    const firstRegrowth = requested.findIndex((r, i) => i > 3 && r.size === 16);
    expect(firstRegrowth).toBeGreaterThan(3);
    expect(requested[firstRegrowth]!.outcome).toBe("refused");
    expect(requested.filter((r) => r.outcome === "ok").every((r) => r.size <= PROVIDER_MAX_RANGE_BLOCKS)).toBe(true);

    const events = await store.listDomainEvents("local");
    expect(events.map((e) => e.subjectId).sort()).toEqual([...paid].sort());
    expect((await store.getCursor("local"))!.blockNumber).toBe(Number(await node.rpc<string>("eth_blockNumber")));
  });

  it("cuts a range denser than one commit at a block boundary and reads the rest in a range sized to fit", async () => {
    const fx = await deployVaultFixture(node);
    const payments = [];
    for (let i = 0; i < 7; i++) payments.push(await fx.payInvoice()); // one block each
    const range = createAdaptiveRange({ initial: 1_000, max: 1_000 });
    const { ingester, store, reader } = makeIngester({ db, rpcUrl: node.url, range, chain: { name: "dense", vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0, maxEventsPerCommit: 3 } });
    const committed: { events: number; toBlock: number }[] = [];
    try {
      for (let i = 0; i < MAX_TICKS; i++) {
        const result = await ingester.tick();
        if (result.kind === "block") committed.push({ events: result.events, toBlock: result.toBlock });
        if (result.kind === "idle") break;
      }
    } finally {
      await reader.close();
    }
    // The first range held all seven; it commits through the third payment's block only.
    expect(committed[0]).toEqual({ events: 3, toBlock: payments[2]!.receipt.blockNumber });
    expect(committed.every((c) => c.events <= 3)).toBe(true);
    expect(committed.reduce((sum, c) => sum + c.events, 0)).toBe(7);
    const events = await store.listDomainEvents("dense");
    expect(events.map((e) => e.subjectId)).toEqual(payments.map((p) => p.invoiceId));
    expect((await store.getCursor("dense"))!.blockNumber).toBe(Number(await node.rpc<string>("eth_blockNumber")));
  });

  it("run() keeps ingesting until the signal aborts, then gives the lease up", async () => {
    const fx = await deployVaultFixture(node);
    const controller = new AbortController();
    const changes: TickResult[] = [];
    const { ctx, reader, store } = makeIngester({ db, rpcUrl: node.url, chain: { vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0 } });
    const ingester = createIngester({
      chain: { name: "run", vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0, pollIntervalMs: 50 },
      reader,
      store,
      ctx: { ...ctx, signal: controller.signal },
      holder: "runner",
      onChange: (result) => changes.push(result),
    });
    const running = ingester.run();
    const { invoiceId } = await fx.payInvoice();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(await store.getEscrow("run", invoiceId))) await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await running;
    await reader.close();
    expect(await store.getEscrow("run", invoiceId)).toMatchObject({ status: "open" });
    expect(changes.some((c) => c.kind === "block" && c.domainEvents.some((e) => e.subjectId === invoiceId))).toBe(true);
    expect(await createIngestRepository(db).takeLease("run", "someone-else", 1_000)).toBe(true);
  });
});
