import { afterEach, describe, expect, it } from "vitest";
import { createChainReader } from "../../../relayer/src/chains/index.js";
import { NonRetryableUserError, RangeTooLargeError, RetryableError } from "../../../relayer/src/common/errors.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import { startFakeJsonRpc, type FakeJsonRpcServer, type Reply } from "./json-rpc-server.js";

const VAULT = `0x${"12".repeat(20)}`;

let server: FakeJsonRpcServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function getLogsFailure(reply: Reply, method = "eth_getLogs"): Promise<unknown> {
  server = await startFakeJsonRpc(() => reply);
  const metrics = createMetrics();
  const reader = createChainReader({ name: "local", kind: "evm", rpcUrl: server.url, chainId: 31337, timeoutMs: 2_000 }, { metrics });
  try {
    if (method === "eth_getLogs") await reader.getLogs({ fromBlock: 1, toBlock: 5_000, address: VAULT });
    else await reader.getHeadBlockNumber("latest");
    throw new Error("expected a failure");
  } catch (error) {
    expect((await metrics.rpcErrors.get()).values[0]).toMatchObject({ labels: { chain: "local", method }, value: 1 });
    return error;
  } finally {
    await reader.close();
  }
}

describe("EVM reader errors", () => {
  it.each([
    ["Geth's result cap", { error: { code: -32000, message: "query returned more than 10000 results" } }],
    ["a block range limit", { error: { code: -32600, message: "block range too large" } }],
    ["TRON's range limit", { error: { code: -32602, message: "exceed max block range: 5000" } }],
    ["EIP-1474 limit exceeded", { error: { code: -32005, message: "try again with a smaller range" } }],
    ["HTTP 413", { httpStatus: 413, body: "Payload Too Large" }],
  ] as const)("turns %s on eth_getLogs into RangeTooLargeError", async (_name, reply) => {
    expect(await getLogsFailure(reply)).toBeInstanceOf(RangeTooLargeError);
  });

  it("turns a server error into RetryableError", async () => {
    const error = await getLogsFailure({ httpStatus: 502, body: "bad gateway" });
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(RangeTooLargeError);
  });

  it("turns a missing method and a refused API key into NonRetryableUserError with a hint", async () => {
    const missing = await getLogsFailure({ error: { code: -32601, message: "the method eth_blockNumber does not exist" } }, "eth_blockNumber");
    expect(missing).toBeInstanceOf(NonRetryableUserError);
    expect((missing as NonRetryableUserError).hints[0]).toMatch(/JSON-RPC/);
    await server?.close();
    const unauthorized = await getLogsFailure({ httpStatus: 401, body: "unauthorized" }, "eth_blockNumber");
    expect(unauthorized).toBeInstanceOf(NonRetryableUserError);
  });

  it("reads the chain id with eth_chainId", async () => {
    server = await startFakeJsonRpc((method) => (method === "eth_chainId" ? { result: "0x2b6653dc" } : { error: { code: -32601, message: "no" } }));
    const reader = createChainReader({ name: "tron", kind: "tron", rpcUrl: server.url });
    try {
      expect(await reader.getChainId()).toBe(728126428n);
    } finally {
      await reader.close();
    }
  });

  it("reads the latest head with eth_blockNumber", async () => {
    server = await startFakeJsonRpc((method) => (method === "eth_blockNumber" ? { result: "0x10" } : { error: { code: -32601, message: "no" } }));
    const reader = createChainReader({ name: "local", kind: "evm", rpcUrl: server.url });
    try {
      expect(await reader.getHeadBlockNumber("latest")).toBe(16);
      expect(reader.formatAddress(VAULT)).toBe("0x1212121212121212121212121212121212121212");
      expect(reader.parseAddress("0x1212121212121212121212121212121212121212".toUpperCase().replace("0X", "0x"))).toBe(VAULT);
    } finally {
      await reader.close();
    }
  });
});
