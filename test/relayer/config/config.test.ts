import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../relayer/src/common/errors.js";
import { loadConfig, parseConfig } from "../../../relayer/src/config.js";

const evmChain = { name: "sepolia", kind: "evm", rpcUrl: "http://127.0.0.1:8545", vaultAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3", startBlock: 1 };
const tronChain = { name: "tron", kind: "tron", rpcUrl: "https://api.trongrid.io/jsonrpc", vaultAddress: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", startBlock: 60_000_000 };

describe("parseConfig()", () => {
  it("fills in defaults: confirmations 12 on EVM and 0 on TRON, API on 127.0.0.1:8080, PGlite directory", () => {
    const config = parseConfig({ chains: [evmChain, tronChain] }, {});
    expect(config.chains[0]).toMatchObject({ confirmations: 12, timeoutMarginSeconds: 30, maxBlockRange: 2000 });
    expect(config.chains[1]).toMatchObject({ confirmations: 0, feeLimitSun: 200_000_000 });
    expect(config.api).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.webhooks).toEqual({ allowPrivateNetworks: false, requestTimeoutMs: 15_000 });
    expect(config.dataDir).toBe(".relayer-data");
    expect(config.databaseUrl).toBeUndefined();
  });

  it("names every wrong field and says why", () => {
    const bad = { chains: [{ ...evmChain, rpcUrl: "ftp://x", vaultAddress: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", startBlock: -1 }] };
    expect(() => parseConfig(bad, {})).toThrow(ConfigError);
    try {
      parseConfig(bad, {});
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("chains[0].rpcUrl: must be an http(s) URL");
      expect(message).toContain("chains[0].vaultAddress: must be a 0x-prefixed 20-byte hex address");
      expect(message).toContain("chains[0].startBlock");
    }
  });

  it("refuses unknown keys, duplicate chain names and an empty chain list", () => {
    expect(() => parseConfig({ chains: [evmChain], operatorKey: "0xabc" }, {})).toThrow(/Unrecognized key/);
    expect(() => parseConfig({ chains: [evmChain, evmChain] }, {})).toThrow('the name "sepolia" is used twice');
    expect(() => parseConfig({ chains: [] }, {})).toThrow("configure at least one chain");
  });

  it("takes secrets from the environment only, and validates them", () => {
    const key = "11".repeat(32);
    const config = parseConfig({ chains: [evmChain] }, { DATABASE_URL: "postgres://x@127.0.0.1/db", OPERATOR_PRIVATE_KEY: `0x${key}`, RELAYER_MASTER_KEY: key });
    expect(config.databaseUrl).toBe("postgres://x@127.0.0.1/db");
    expect(config.operatorKey).toEqual({ privateKey: `0x${key}` });
    expect(config.masterKey?.length).toBe(32);
    expect(() => parseConfig({ chains: [evmChain] }, { RELAYER_MASTER_KEY: "short" })).toThrow("RELAYER_MASTER_KEY must be 32 bytes");
    expect(() => parseConfig({ chains: [evmChain] }, { OPERATOR_PRIVATE_KEY: "0x1234" })).toThrow("OPERATOR_PRIVATE_KEY must be 32 bytes");
    expect(() => parseConfig({ chains: [evmChain], operatorKeystore: "k.json" }, {})).toThrow("OPERATOR_KEYSTORE_PASSWORD is not");
  });
});

describe("loadConfig()", () => {
  it("reads a JSON file and reports a missing file with a hint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relayer-config-"));
    const path = join(dir, "relayer.config.json");
    writeFileSync(path, JSON.stringify({ chains: [tronChain] }));
    expect((await loadConfig(path, {})).chains[0]?.name).toBe("tron");
    await expect(loadConfig(join(dir, "missing.json"), {})).rejects.toThrow("Could not read the relayer configuration");
  });

  it("reads a TypeScript file's default export", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relayer-config-"));
    const path = join(dir, "relayer.config.ts");
    writeFileSync(path, `export default { chains: [${JSON.stringify(evmChain)}], api: { port: 9090 } };\n`);
    expect((await loadConfig(path, {})).api.port).toBe(9090);
  });
});
