import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, HDNodeWallet, JsonRpcProvider, Network, type Wallet } from "ethers";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { parseConfig, type RelayerConfig } from "../../../relayer/src/config.js";
import { createMerchants, invoiceChains } from "../../../relayer/src/merchants/index.js";
import { startRelayer, type RunningRelayer } from "../../../relayer/src/runtime.js";
import { openDb } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { TestToken__factory } from "../../../typechain-types/index.js";
import { deployVaultFixture, freePort, startHardhatNode, type HardhatNode, type VaultFixture } from "../../relayer/support/hardhat-node.js";

/**
 * The stack `npm start` runs, in-process: a Hardhat node with the vault and a USDT-like token, the
 * relayer (ingestion, timeout driver, webhooks, API, web pages) on embedded PGlite, one merchant
 * whose payout address is a wallet the browser can sign with, and a webhook receiver that fails
 * until told to succeed.
 */

const MNEMONIC = "test test test test test test test test test test test junk";
export const accountKey = (index: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
const OPERATOR = accountKey(9);
const PAYER_FUNDS = 1_000n * 10n ** 6n;

export interface FlakyReceiver {
  url: string;
  healthy: boolean;
  requests: number;
  close(): Promise<void>;
}

export interface WebStack {
  node: HardhatNode;
  fx: VaultFixture;
  relayer: RunningRelayer;
  apiKey: string;
  merchantName: string;
  /** Pays from the browser: a fresh account funded with test USDT and no allowance yet. */
  payer: Wallet;
  /** The merchant's own payout address (registered signer), signs refunds in the dashboard. */
  merchantWallet: Wallet;
  receiver: FlakyReceiver;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked by assertions
  stop(): Promise<void>;
}

export async function startFlakyReceiver(): Promise<FlakyReceiver> {
  const state = { healthy: false, requests: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      state.requests++;
      res.writeHead(state.healthy ? 204 : 503, { "content-type": "text/plain" }).end(state.healthy ? "" : "down for maintenance");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as FlakyReceiver;
}

function config(fx: VaultFixture, node: HardhatNode, dataDir: string, port: number, masterKey: string): RelayerConfig {
  return parseConfig(
    {
      chains: [
        { name: "local", kind: "evm", rpcUrl: node.url, vaultAddress: fx.vault, startBlock: fx.deployBlock, confirmations: 0, timeoutMarginSeconds: 0, pollIntervalMs: 200, explorerUrl: "https://explorer.invalid" },
      ],
      dataDir,
      api: { host: "127.0.0.1", port, publicUrl: `http://127.0.0.1:${port}` },
      webhooks: { allowPrivateNetworks: true, requestTimeoutMs: 5_000 },
      logLevel: "silent",
    },
    { RELAYER_MASTER_KEY: masterKey, OPERATOR_PRIVATE_KEY: OPERATOR.privateKey },
  );
}

export async function startWebStack(): Promise<WebStack> {
  const node = await startHardhatNode();
  const fx = await deployVaultFixture(node);
  // No response cache: two sends in a row must not read the same pending nonce.
  const provider = new JsonRpcProvider(node.url, Network.from(fx.chainId), { staticNetwork: true, batchMaxCount: 1, polling: true, pollingInterval: 100, cacheTimeout: -1 });
  const payer = accountKey(5).connect(provider) as unknown as Wallet;
  const merchantWallet = accountKey(6).connect(provider) as unknown as Wallet;
  await (await new Contract(fx.token, TestToken__factory.abi, payer).getFunction("mint")(payer.address, PAYER_FUNDS)).wait();

  const dir = mkdtempSync(join(tmpdir(), "relayer-web-"));
  const port = await freePort();
  const cfg = config(fx, node, join(dir, "db"), port, randomBytes(32).toString("hex"));
  // Embedded PGlite allows one open handle: the merchant is created before the relayer starts.
  const db = await openDb({ dataDir: cfg.dataDir });
  await migrate(db);
  const merchants = createMerchants({ db, logger: silentLogger() }, { chains: invoiceChains(cfg, { local: fx.chainId }), masterKey: cfg.masterKey! });
  const merchantName = "Tea & Cakes <Shop>";
  const merchant = await merchants.create({ name: merchantName, chains: [{ chain: "local", payoutAddress: merchantWallet.address.toLowerCase() }] });
  const registration = merchant.chains[0]!.registerSigner!;
  await (await merchantWallet.sendTransaction({ to: registration.to, data: registration.data })).wait();
  const apiKey = (await merchants.createApiKey(merchant.id, { mode: "test" })).key;
  await db.close();

  const relayer = await startRelayer(cfg, { logger: silentLogger(), apiKeyMode: "test" });
  const receiver = await startFlakyReceiver();
  const api: WebStack["api"] = async (method, path, body) => {
    const response = await fetch(`${relayer.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: await response.json() };
  };
  return {
    node,
    fx,
    relayer,
    apiKey,
    merchantName,
    payer,
    merchantWallet,
    receiver,
    api,
    async stop() {
      await relayer.stop();
      await receiver.close();
      provider.destroy();
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
