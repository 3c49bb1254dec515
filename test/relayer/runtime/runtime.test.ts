import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet } from "ethers";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../relayer/src/cli/program.js";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { parseConfig, type RelayerConfig } from "../../../relayer/src/config.js";
import { createMerchants, invoiceChains } from "../../../relayer/src/merchants/index.js";
import { startRelayer, type RunningRelayer } from "../../../relayer/src/runtime.js";
import { openDb } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { createWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "../../../relayer/src/webhooks/index.js";
import { deployVaultFixture, freePort, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";

/**
 * The whole relayer on a Hardhat node: an invoice created through the HTTP API is paid on chain,
 * `invoice.paid` reaches a verifying receiver, the deadline passes, the relayer's own timeout
 * transaction is mined and `escrow.timeout_executed` arrives.
 */

const MNEMONIC = "test test test test test test test test test test test junk";
const OPERATOR = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/9");
const HOLD_PERIOD_SECONDS = 3_600;
/** Upper bound for each wait on the relayer; its loops poll every 200 ms (webhooks every 1 s). */
const WAIT_MS = 30_000;
const WAIT_STEP_MS = 100;

let node: HardhatNode;
let fx: VaultFixture;
let dir: string;
let relayer: RunningRelayer | undefined;
let receiver: WebhookReceiver | undefined;
let apiKey: string;
let webhookSecret = "unset";
let paidEscrowId = "unset";
const received: ReceivedWebhook[] = [];
/** Every log line the relayer wrote, at debug level: checked for secrets. */
const logLines: string[] = [];
const MASTER_KEY = randomBytes(32).toString("hex");

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  }
  throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; received: ${received.map((e) => e.type).join(", ")}`);
}

const webhookOf = (type: string, id: string) => () => received.find((event) => event.type === type && (event.data as { escrowId?: string; invoiceId?: string }).escrowId === id);

function testConfig(dataDir: string): RelayerConfig {
  return parseConfig(
    {
      chains: [{ name: "local", kind: "evm", rpcUrl: node.url, vaultAddress: fx.vault, startBlock: fx.deployBlock, confirmations: 0, timeoutMarginSeconds: 0, pollIntervalMs: 200 }],
      dataDir,
      api: { host: "127.0.0.1", port: 0 },
      webhooks: { allowPrivateNetworks: true, requestTimeoutMs: 5_000 },
      logLevel: "silent",
    },
    { RELAYER_MASTER_KEY: MASTER_KEY, OPERATOR_PRIVATE_KEY: OPERATOR.privateKey },
  );
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${relayer!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
  return { status: response.status, json: (await response.json()) as any };
}

beforeAll(async () => {
  node = await startHardhatNode();
  fx = await deployVaultFixture(node);
  dir = mkdtempSync(join(tmpdir(), "relayer-runtime-"));
  const config = testConfig(join(dir, "db"));
  // Embedded PGlite allows one open handle: the merchant is created before the relayer starts.
  const db = await openDb({ dataDir: config.dataDir });
  await migrate(db);
  const merchants = createMerchants({ db, logger: silentLogger() }, { chains: invoiceChains(config, { local: fx.chainId }), masterKey: config.masterKey! });
  const merchant = await merchants.create({ name: "Shop", chains: [{ chain: "local" }] });
  apiKey = (await merchants.createApiKey(merchant.id, { mode: "test" })).key;
  await db.close();
  const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  relayer = await startRelayer(config, { logger, apiKeyMode: "test" });
});

afterAll(async () => {
  await relayer?.stop();
  await receiver?.close();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("startRelayer on a Hardhat node", () => {
  it("answers /healthz, and /readyz once ingestion has ticked", async () => {
    const health = await fetch(`${relayer!.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await waitFor("/readyz 200", async () => {
      const response = await fetch(`${relayer!.url}/readyz`);
      return response.status === 200 ? ((await response.json()) as { checks: Record<string, unknown> }) : undefined;
    });
    expect(ready.checks).toMatchObject({ database: "ok", migrations: "ok", ingest: { local: expect.stringMatching(/^ticked \d+ s ago$/) } });
    expect(relayer!.chainIds).toEqual({ local: fx.chainId });
  });

  it("delivers invoice.paid, sends the timeout itself after the deadline, and delivers escrow.timeout_executed", async () => {
    const port = await freePort();
    const endpoint = await api("POST", "/v1/webhook-endpoints", { url: `http://127.0.0.1:${port}/webhooks` });
    expect(endpoint.status).toBe(201);
    webhookSecret = endpoint.json.secret;
    receiver = await createWebhookReceiver({ port, secret: webhookSecret, onEvent: (event) => void received.push(event), print: () => undefined });

    const invoice = await api("POST", "/v1/invoices", {
      chain: "local",
      token: fx.token,
      amount: "1000000",
      expiresIn: 600,
      holdPeriod: HOLD_PERIOD_SECONDS,
      timeoutAction: "release",
      merchantReference: "order-1",
    });
    expect(invoice.status).toBe(201);
    const escrowId: string = invoice.json.id;
    paidEscrowId = escrowId;
    const pay = invoice.json.payment.steps[1];
    await (await fx.payer.sendTransaction({ to: pay.to, data: pay.data })).wait();

    const paid = await waitFor("invoice.paid", webhookOf("invoice.paid", escrowId));
    expect(paid.data).toMatchObject({ escrowId, settlement: "escrow", amount: "1000000" });

    await node.rpc("evm_increaseTime", [HOLD_PERIOD_SECONDS + 60]);
    await node.rpc("evm_mine");
    const timedOut = await waitFor("escrow.timeout_executed", webhookOf("escrow.timeout_executed", escrowId));
    const txHash = (timedOut.data as { txHash: string }).txHash;
    const tx = await fx.provider.getTransaction(txHash);
    expect(tx?.from.toLowerCase()).toBe(OPERATOR.address.toLowerCase());
    expect((await fx.provider.getTransactionReceipt(txHash))?.status).toBe(1);
  });

  it("exports ingestion lag, webhook and timeout metrics on /metrics", async () => {
    // The driver counts pending timeouts at the end of each tick: the one after the timeout was mined shows 0.
    const text = await waitFor("pending timeouts back to 0 on /metrics", async () => {
      const body = await (await fetch(`${relayer!.url}/metrics`)).text();
      return /relayer_pending_timeouts\{chain="local"\} 0/.test(body) ? body : undefined;
    });
    expect(text).toMatch(/relayer_ingest_lag_blocks\{chain="local"\} \d+/);
    expect(text).toMatch(/relayer_webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
  });

  it("never logs the operator key, the master key, API keys or webhook secrets", () => {
    expect(logLines.join("\n")).toContain("Relayer started");
    const log = logLines.join("\n").toLowerCase();
    for (const secret of [OPERATOR.privateKey.slice(2), MASTER_KEY, apiKey.toLowerCase(), webhookSecret.toLowerCase()]) expect(log).not.toContain(secret);
  });

  it("stop() ends every loop and closes the server and database", async () => {
    const started = Date.now();
    await relayer!.stop();
    expect(Date.now() - started).toBeLessThan(WAIT_MS);
    await expect(fetch(`${relayer!.url}/healthz`)).rejects.toThrow();
    // The embedded database is closed: another process (here, a new handle) can open it.
    const db = await openDb({ dataDir: join(dir, "db") });
    expect(await db.query("SELECT count(*)::int AS n FROM webhook_deliveries")).toEqual([{ n: expect.any(Number) }]);
    await db.close();
    relayer = undefined;
  });

  it("`relayer escrow show` prints the ingested escrow once the relayer has stopped", async () => {
    const configPath = join(dir, "relayer.config.json");
    writeFileSync(configPath, JSON.stringify({ chains: [{ name: "local", kind: "evm", rpcUrl: node.url, vaultAddress: fx.vault, startBlock: fx.deployBlock }], dataDir: join(dir, "db") }));
    const out: string[] = [];
    const code = await runCli(["escrow", "show", "local", paidEscrowId, "--config", configPath], { out: (l) => out.push(l), err: (l) => out.push(l), env: {} }, { untilStopped: async () => "test" });
    expect(code, out.join("\n")).toBe(0);
    expect(JSON.parse(out.join("\n"))).toMatchObject({ chain: "local", escrowId: paidEscrowId, status: "timed_out", amount: "1000000" });
  });

  it("`relayer start` as a process serves until SIGTERM, then stops cleanly with exit code 0", async () => {
    const configPath = join(dir, "start.config.json");
    writeFileSync(
      configPath,
      JSON.stringify({ chains: [{ name: "local", kind: "evm", rpcUrl: node.url, vaultAddress: fx.vault, startBlock: fx.deployBlock, confirmations: 0 }], dataDir: join(dir, "start-db"), api: { port: 0 } }),
    );
    const child = spawn(process.execPath, ["--import", "tsx", "relayer/src/cli.ts", "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "info" } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitFor("the 'Relayer started' log line", () => (output.includes("Relayer started") ? true : undefined));
      const url = (JSON.parse(output.split("\n").find((line) => line.includes("Relayer started"))!) as { url: string }).url;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toContain("Relayer stopped");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
