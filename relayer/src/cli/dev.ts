import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { HDNodeWallet, JsonRpcProvider } from "ethers";
import { ConfigError, NonRetryableUserError } from "../common/errors.js";
import { silentLogger, type Logger } from "../common/logger.js";
import { parseConfig, type RelayerConfig } from "../config.js";
import { createMerchants, invoiceChains } from "../merchants/index.js";
import { openDb } from "../store/db.js";
import { migrate } from "../store/migrate.js";
import { createWebhookEndpoints, createWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "../webhooks/index.js";

/**
 * `relayer dev`: the relayer on embedded defaults against a local Hardhat node whose deployment
 * `npm start` recorded in deployments/localhost.json. Everything here is for a developer's machine:
 * private networks allowed, no confirmations, and Hardhat's publicly known account #9 as operator.
 */

export const DEV_DATA_DIR = ".relayer-data/local";
export const DEV_API_PORT = 8080;
const DEV_RPC_PORT = 8545;
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
/** Hardhat's account #9: funded on every local node, used by nothing in the walkthrough. */
const DEV_OPERATOR_INDEX = 9;
const DEV_POLL_INTERVAL_MS = 500;
/** Hardhat's account #2: the walkthrough's payer, holding test USDT. */
const DEV_PAYER_INDEX = 2;

export interface DevOptions {
  deployment: string;
  rpcUrl?: string;
  dataDir?: string;
  port?: number;
  fresh?: boolean;
}

/** The embedded configuration for a local node, validated like a file would be. */
export function devConfig(options: DevOptions, env: NodeJS.ProcessEnv): RelayerConfig {
  const deploymentPath = resolve(options.deployment);
  if (!existsSync(deploymentPath)) {
    throw new ConfigError(`No local deployment at ${options.deployment}`, { hints: ["Run `npm start` (it deploys to a local node and records it), or pass --deployment <file>."] });
  }
  const record = readDeployment(deploymentPath);
  const dataDir = options.dataDir ?? DEV_DATA_DIR;
  if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const devEnv: NodeJS.ProcessEnv = {
    ...env,
    RELAYER_MASTER_KEY: env.RELAYER_MASTER_KEY || localMasterKey(dataDir),
    OPERATOR_PRIVATE_KEY: env.OPERATOR_PRIVATE_KEY || HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${DEV_OPERATOR_INDEX}`).privateKey,
  };
  const port = options.port ?? Number(env.LOCAL_API_PORT ?? DEV_API_PORT);
  return parseConfig(
    {
      chains: [
        {
          name: "local",
          kind: "evm",
          rpcUrl: options.rpcUrl ?? `http://127.0.0.1:${env.LOCAL_RPC_PORT ?? DEV_RPC_PORT}`,
          vaultAddress: record.contracts.EscrowVault.address,
          ...(record.contracts.AcceptorDesk ? { acceptorDeskAddress: record.contracts.AcceptorDesk.address } : {}),
          startBlock: record.contracts.EscrowVault.blockNumber,
          confirmations: 0,
          timeoutMarginSeconds: 0,
          pollIntervalMs: DEV_POLL_INTERVAL_MS,
        },
      ],
      dataDir,
      api: { host: "127.0.0.1", port, publicUrl: `http://localhost:${port}` },
      webhooks: { allowPrivateNetworks: true, requestTimeoutMs: 5_000 },
      logLevel: "info",
    },
    { ...devEnv, DATABASE_URL: "" },
    "the dev defaults",
  );
}

interface DeploymentRecord {
  contracts: { EscrowVault: { address: string; blockNumber: number }; TestToken?: { address: string }; AcceptorDesk?: { address: string } };
}

export function readDeployment(path: string): DeploymentRecord {
  return JSON.parse(readFileSync(path, "utf8")) as DeploymentRecord;
}

/** A master key kept next to the local database, so restarts can still open sealed signing keys. */
function localMasterKey(dataDir: string): string {
  const path = join(dataDir, "master.key");
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600 });
  return readFileSync(path, "utf8").trim();
}

export interface DemoSetup {
  merchantId: string;
  apiKey: string;
  endpointId: string;
  receiver: WebhookReceiver;
  /** The endpoint.test event queued so the first delivery shows the loop works. */
  testEventId: string;
}

/**
 * A demo merchant with a test API key and a webhook endpoint pointing at a bundled receiver that
 * verifies each signature and prints the event. Runs before the relayer opens the database, since
 * embedded PGlite allows one open handle at a time.
 */
export async function setUpDemo(
  config: RelayerConfig,
  options: { receiverPort?: number; onEvent?: (event: ReceivedWebhook) => void; print?: (line: string) => void; logger?: Logger } = {},
): Promise<DemoSetup> {
  const db = await openDb({ dataDir: config.dataDir });
  const ctx = { db, logger: options.logger ?? silentLogger() };
  try {
    await migrate(db);
    const merchants = createMerchants(ctx, { chains: invoiceChains(config, { local: 0n }), masterKey: config.masterKey! });
    const merchant = await merchants.create({ name: "Demo shop", chains: [{ chain: "local" }] });
    const { key } = await merchants.createApiKey(merchant.id, { mode: "test", description: "npm start demo" });
    const port = options.receiverPort || (await freePort());
    const { endpoint, secret } = await createWebhookEndpoints(ctx, { allowPrivateNetworks: true }).add({
      merchantId: merchant.id,
      url: `http://127.0.0.1:${port}/webhooks`,
      description: "bundled demo receiver",
    });
    const { eventId } = await createWebhookEndpoints(ctx, { allowPrivateNetworks: true }).sendTest(merchant.id, endpoint.id);
    const receiver = await createWebhookReceiver({ port, secret, ...(options.onEvent ? { onEvent: options.onEvent } : {}), ...(options.print ? { print: options.print } : {}) });
    return { merchantId: merchant.id, apiKey: key, endpointId: endpoint.id, receiver, testEventId: eventId };
  } finally {
    await db.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * Pays an invoice on the local node the way a wallet would: fetches it from the API and sends its
 * payment steps (approve, payInvoice) from Hardhat's unlocked account #2. Local development only.
 */
export async function payLocalInvoice(
  input: { apiUrl: string; apiKey: string; invoiceId: string; rpcUrl: string },
  print: (line: string) => void,
): Promise<void> {
  const response = await fetch(`${input.apiUrl.replace(/\/+$/, "")}/v1/invoices/${input.invoiceId}`, { headers: { authorization: `Bearer ${input.apiKey}` } });
  const body = (await response.json()) as { detail?: string; payment?: { steps: { to: string; data: string; method: string }[] } };
  if (!response.ok || !body.payment) {
    throw new NonRetryableUserError(`Could not fetch invoice ${input.invoiceId}: ${body.detail ?? `HTTP ${response.status}`}`, { hints: ["Check the invoice id, the API key and that `relayer dev` is running."] });
  }
  const provider = new JsonRpcProvider(input.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 200 });
  try {
    const payer = await provider.getSigner(DEV_PAYER_INDEX);
    for (const step of body.payment.steps) {
      try {
        const receipt = await (await payer.sendTransaction({ to: step.to, data: step.data })).wait();
        print(`${step.method}: ${receipt?.hash} in block ${receipt?.blockNumber}`);
      } catch (error) {
        throw new NonRetryableUserError(`${step.method} failed: ${(error as { shortMessage?: string }).shortMessage ?? (error as Error).message}`, {
          cause: error,
          hints: [`The invoice may be paid, cancelled or past its payBy on the chain's clock; check GET /v1/invoices/${input.invoiceId}.`],
        });
      }
    }
  } finally {
    provider.destroy();
  }
}

/** The local chain's clock, which the walkthrough moved ahead of the wall clock with evm_increaseTime. */
export async function localChainTime(rpcUrl: string): Promise<number> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    return (await provider.getBlock("latest"))!.timestamp;
  } finally {
    provider.destroy();
  }
}
