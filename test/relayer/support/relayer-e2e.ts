import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet } from "ethers";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { parseConfig, type RelayerConfig } from "../../../relayer/src/config.js";
import { createMerchants, invoiceChains } from "../../../relayer/src/merchants/index.js";
import { startRelayer, type RunningRelayer } from "../../../relayer/src/runtime.js";
import { openDb } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { createWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "../../../relayer/src/webhooks/index.js";
import { freePort, type VaultFixture } from "./hardhat-node.js";

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

/** A running relayer with one merchant (paid to the fixture's merchant account) and a verifying webhook receiver. */
export interface RelayerStack {
  relayer: RunningRelayer;
  /** The merchant's API key. */
  apiKey: string;
  receiver: WebhookReceiver;
  /** Stops the relayer and the receiver and removes the data directory; the node is the caller's. */
  close(): Promise<void>;
}

/**
 * Starts the relayer on `fx`'s chain with a merchant whose payout address is the fixture's merchant
 * account (so the test can act as it on chain), registers the relayer-held invoice signer on the vault,
 * and subscribes a receiver that pushes every verified webhook into `received`.
 */
export async function startRelayerStack(
  node: { url: string },
  fx: VaultFixture,
  options: { name: string; received: ReceivedWebhook[]; chain?: Record<string, unknown> },
): Promise<RelayerStack> {
  const dir = mkdtempSync(join(tmpdir(), "relayer-e2e-"));
  const config = localRelayerConfig(node, fx, join(dir, "db"), options.chain);
  // Embedded PGlite allows one open handle: the merchant is created before the relayer starts.
  const db = await openDb({ dataDir: config.dataDir });
  await migrate(db);
  const merchants = createMerchants({ db, logger: silentLogger() }, { chains: invoiceChains(config, { local: fx.chainId }), masterKey: config.masterKey! });
  const merchant = await merchants.create({ name: options.name, chains: [{ chain: "local", payoutAddress: (await fx.merchant.getAddress()).toLowerCase() }] });
  const apiKey = (await merchants.createApiKey(merchant.id, { mode: "test" })).key;
  await db.close();
  const relayer = await startRelayer(config, { logger: silentLogger(), apiKeyMode: "test" });
  const registration = (await callApi(relayer.url, apiKey, "GET", "/v1/merchant")).json.chains[0].registerSigner;
  await (await fx.merchant.sendTransaction({ to: registration.to, data: registration.data })).wait();
  const port = await freePort();
  const endpoint = await callApi(relayer.url, apiKey, "POST", "/v1/webhook-endpoints", { url: `http://127.0.0.1:${port}/webhooks` });
  const receiver = await createWebhookReceiver({ port, secret: endpoint.json.secret, onEvent: (event) => void options.received.push(event), print: () => undefined });
  return {
    relayer,
    apiKey,
    receiver,
    close: async () => {
      await relayer.stop();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
