import { Interface } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainReader } from "../../../relayer/src/chains/index.js";
import { tronAddressFromHex } from "../../../relayer/src/chains/tron.js";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import { createAdaptiveRange } from "../../../relayer/src/ingest/range.js";
import { createIngester } from "../../../relayer/src/ingest/index.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { createIngestRepository } from "../../../relayer/src/store/ingest-repository.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { EscrowVault__factory } from "../../../typechain-types/index.js";
import { startFakeJsonRpc, type FakeJsonRpcServer } from "../chains/json-rpc-server.js";

const VAULT = "0xa614f803b6fd780986a42c78ec9c7f77e6ded13c";
const PAYER = `0x${"11".repeat(20)}`;
const MERCHANT = `0x${"22".repeat(20)}`;
const ESCROW_ID = `0x${"ab".repeat(32)}`;
const FINALIZED = 1_000;
const LATEST = 1_019;
const EVENT_BLOCK = 990;
const tronBlockHash = (n: number) => `0x${n.toString(16).padStart(16, "0")}${"c".repeat(48)}`;

describe("TRON ingestion through JSON-RPC", () => {
  let db: Db;
  let server: FakeJsonRpcServer;
  beforeAll(async () => {
    db = await openDb({ dataDir: "memory://" });
    await migrate(db);
    const log = new Interface(EscrowVault__factory.abi).encodeEventLog("EscrowOpened", [ESCROW_ID, PAYER, MERCHANT, VAULT, `0x${"00".repeat(20)}`, 5_000_000n, 2_000_000_000n, 2_000_086_400n, 0, 0, ESCROW_ID]);
    server = await startFakeJsonRpc((method, params) => {
      const block = (n: number) => ({ number: `0x${n.toString(16)}`, hash: tronBlockHash(n), parentHash: tronBlockHash(n - 1), timestamp: `0x${(1_700_000_000 + n * 3).toString(16)}` });
      if (method === "eth_getBlockByNumber") {
        const tag = params[0] as string;
        if (tag === "finalized") return { result: block(FINALIZED) };
        if (tag === "latest") return { result: block(LATEST) };
        return { result: block(Number(tag)) };
      }
      if (method === "eth_getLogs") {
        const filter = params[0] as { fromBlock: string; toBlock: string; address: string };
        const inRange = Number(filter.fromBlock) <= EVENT_BLOCK && EVENT_BLOCK <= Number(filter.toBlock);
        // TRON's JSON-RPC returns the 20-byte address without the 41 prefix.
        const logs = inRange ? [{ address: VAULT, topics: log.topics, data: log.data, blockNumber: `0x${EVENT_BLOCK.toString(16)}`, blockHash: tronBlockHash(EVENT_BLOCK), transactionHash: `0x${"dd".repeat(32)}`, logIndex: "0x0", removed: false }] : [];
        return { result: logs };
      }
      return { error: { code: -32601, message: `the method ${method} does not exist/is not available` } };
    });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it("ingests up to the finalized (solidified) head and shows addresses as base58", async () => {
    const reader = createChainReader({ name: "tron", kind: "tron", rpcUrl: server.url, chainId: 728126428 });
    const store = createIngestRepository(db);
    const ctx = { db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
    // One range wide enough for the whole stub chain, so one tick reaches the finalized head.
    const ingester = createIngester({ chain: { name: "tron", vault: VAULT, startBlock: 900, confirmations: 0 }, reader, store, ctx, range: createAdaptiveRange({ initial: 2_000 }) });
    try {
      expect(await ingester.tick()).toMatchObject({ kind: "block", fromBlock: 900, toBlock: FINALIZED, events: 1 });
      expect(await ingester.tick()).toEqual({ kind: "idle", head: FINALIZED, lastBlock: FINALIZED });
    } finally {
      await reader.close();
    }
    expect(server.calls.some((c) => c.method === "eth_blockNumber" || c.params[0] === "latest")).toBe(false);
    const [paid] = await store.listDomainEvents("tron", ESCROW_ID);
    expect(paid).toMatchObject({ type: "invoice.paid", sequence: 1, blockNumber: EVENT_BLOCK });
    expect(paid!.payload).toMatchObject({ chain: "tron", vault: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", escrow: { payee: tronAddressFromHex(MERCHANT), payer: tronAddressFromHex(PAYER), amount: "5000000" } });
    // Inside, everything stays lower-case hex: the merchant_addresses join and the timeout driver use it.
    expect(await store.getEscrow("tron", ESCROW_ID)).toMatchObject({ payee: MERCHANT, vault: VAULT, disputedAt: null, status: "open" });
  });
});
