import { randomBytes } from "node:crypto";
import { HDNodeWallet } from "ethers";
import { parseConfig, type RelayerConfig } from "../../../relayer/src/config.js";
import type { ReceivedWebhook } from "../../../relayer/src/webhooks/index.js";
import type { VaultFixture } from "./hardhat-node.js";

/** What the whole-relayer tests on a Hardhat node share: the operator key, the config, waiting, the API. */

const MNEMONIC = "test test test test test test test test test test test junk";
/** Hardhat's account 9: funded, and used by no fixture signer. */
export const OPERATOR = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/9");
const WAIT_STEP_MS = 100;

/** One local chain, no confirmations, fast polls, a fresh master key and the operator key. */
export function localRelayerConfig(node: { url: string }, fx: VaultFixture, dataDir: string, chain: Record<string, unknown> = {}): RelayerConfig {
  return parseConfig(
    {
      chains: [{ name: "local", kind: "evm", rpcUrl: node.url, vaultAddress: fx.vault, startBlock: fx.deployBlock, confirmations: 0, timeoutMarginSeconds: 0, pollIntervalMs: 200, ...chain }],
      dataDir,
      api: { host: "127.0.0.1", port: 0 },
      webhooks: { allowPrivateNetworks: true, requestTimeoutMs: 5_000 },
      logLevel: "silent",
    },
    { RELAYER_MASTER_KEY: randomBytes(32).toString("hex"), OPERATOR_PRIVATE_KEY: OPERATOR.privateKey },
  );
}

/** Polls `probe` until it gives a value; bounded by `timeoutMs`, naming what was awaited and the webhooks seen. */
export async function waitUntil<T>(what: string, timeoutMs: number, received: readonly ReceivedWebhook[], probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${received.map((e) => e.type).join(", ")}`);
}

/** JSON over HTTP to the running relayer with an API key. */
export async function callApi(url: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
  return { status: response.status, json: (await response.json()) as any };
}
