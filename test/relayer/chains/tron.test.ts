import { afterEach, describe, expect, it } from "vitest";
import { createChainReader } from "../../../relayer/src/chains/index.js";
import { tronAddressFromHex, tronAddressToHex } from "../../../relayer/src/chains/tron.js";
import { ConfigError } from "../../../relayer/src/common/errors.js";
import { startFakeJsonRpc, type FakeJsonRpcServer } from "./json-rpc-server.js";

/** USDT on TRON mainnet, in both forms (TronScan's address converter). */
const USDT_BASE58 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
const USDT_HEX = "0xa614f803b6fd780986a42c78ec9c7f77e6ded13c";

/** TRON block ids start with the block number; the JSON-RPC returns them 0x-prefixed. */
const tronBlockHash = (n: number) => `0x${n.toString(16).padStart(16, "0")}${"c".repeat(48)}`;

let server: FakeJsonRpcServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("TRON addresses", () => {
  it("formats 0x hex (no 41 prefix, as TRON JSON-RPC returns it) as base58", () => {
    expect(tronAddressFromHex(USDT_HEX)).toBe(USDT_BASE58);
    expect(tronAddressFromHex(USDT_HEX.toUpperCase().replace("0X", "0x"))).toBe(USDT_BASE58);
  });

  it("parses base58, 41-hex and 0x hex to lower-case 0x hex", () => {
    expect(tronAddressToHex(USDT_BASE58)).toBe(USDT_HEX);
    expect(tronAddressToHex(`41${USDT_HEX.slice(2)}`)).toBe(USDT_HEX);
    expect(tronAddressToHex(USDT_HEX.toUpperCase().replace("0X", "0x"))).toBe(USDT_HEX);
  });

  it("refuses what is not a TRON address with a hint", () => {
    expect(() => tronAddressToHex("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6X")).toThrow(ConfigError);
  });
});

describe("TRON reader", () => {
  it("reads the head at the finalized tag and blocks and logs in TRON's JSON-RPC shape", async () => {
    server = await startFakeJsonRpc((method, params) => {
      if (method === "eth_getBlockByNumber" && params[0] === "finalized") {
        return { result: { number: "0x3e8", hash: tronBlockHash(1000), parentHash: tronBlockHash(999), timestamp: "0x6553f100" } };
      }
      if (method === "eth_getBlockByNumber") {
        const n = Number(params[0]);
        return { result: { number: params[0], hash: tronBlockHash(n), parentHash: tronBlockHash(n - 1), timestamp: "0x6553f100" } };
      }
      if (method === "eth_getLogs") {
        // java-tron leaves the 41 off the address and (in some versions) the 0x off the transaction id.
        return {
          result: [{ address: USDT_HEX, topics: [`0x${"ab".repeat(32)}`], data: "0x", blockNumber: "0x3e7", blockHash: tronBlockHash(999), transactionHash: "ff".repeat(32), logIndex: "0x0", removed: false }],
        };
      }
      return { error: { code: -32601, message: `method ${method} does not exist` } };
    });
    const reader = createChainReader({ name: "tron", kind: "tron", rpcUrl: server.url, chainId: 728126428 });
    try {
      expect(await reader.getHeadBlockNumber("finalized")).toBe(1000);
      expect(server.calls[0]).toEqual({ method: "eth_getBlockByNumber", params: ["finalized", false] });
      expect(await reader.getBlock(999)).toEqual({ number: 999, hash: tronBlockHash(999), parentHash: tronBlockHash(998), timestamp: 0x6553f100 });
      const logs = await reader.getLogs({ fromBlock: 990, toBlock: 1000, address: USDT_HEX });
      expect(logs).toEqual([
        { address: USDT_HEX, topics: [`0x${"ab".repeat(32)}`], data: "0x", blockNumber: 999, blockHash: tronBlockHash(999), transactionHash: `0x${"ff".repeat(32)}`, logIndex: 0 },
      ]);
      expect(server.calls.at(-1)?.params[0]).toMatchObject({ fromBlock: "0x3de", toBlock: "0x3e8", address: USDT_HEX });
      expect(reader.formatAddress(logs[0]!.address)).toBe(USDT_BASE58);
      expect(reader.parseAddress(USDT_BASE58)).toBe(USDT_HEX);
      // No chain-id probing: the network is static.
      expect(server.calls.map((c) => c.method)).not.toContain("eth_chainId");
    } finally {
      await reader.close();
    }
  });
});
