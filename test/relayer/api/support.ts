import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApi, type ApiOptions } from "../../../relayer/src/api/index.js";
import type { Context } from "../../../relayer/src/common/context.js";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import { parseConfig, type RelayerConfig } from "../../../relayer/src/config.js";
import { createMerchants, invoiceChains, type Merchants } from "../../../relayer/src/merchants/index.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { createWebhookEndpoints } from "../../../relayer/src/webhooks/index.js";

export const VAULT = `0x${"55".repeat(20)}`;
export const TOKEN = `0x${"44".repeat(20)}`;
/** A TRON vault and token, the same bytes as above in base58. */
export const TRON_CHAIN_ID = 728126428n;

export interface ApiHarness {
  url: string;
  db: Db;
  ctx: Context;
  config: RelayerConfig;
  merchants: Merchants;
  /** One merchant on "local" (its key is the merchant) and "tron". */
  merchant: { id: string; key: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
  call(method: string, path: string, options?: { body?: unknown; raw?: string; headers?: Record<string, string>; key?: string | null }): Promise<{ status: number; headers: Headers; json: any }>;
  newMerchant(chains?: { chain: string; payoutAddress?: string }[]): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

export function testConfig(overrides: { vault?: string; masterKey?: string } = {}): RelayerConfig {
  return parseConfig(
    {
      chains: [
        { name: "local", kind: "evm", rpcUrl: "http://127.0.0.1:1", vaultAddress: overrides.vault ?? VAULT, startBlock: 0 },
        { name: "tron", kind: "tron", rpcUrl: "http://127.0.0.1:1/jsonrpc", vaultAddress: VAULT, startBlock: 0 },
      ],
      api: { publicUrl: "https://pay.example.com" },
    },
    { RELAYER_MASTER_KEY: overrides.masterKey ?? randomBytes(32).toString("hex") },
  );
}

export async function startApi(
  options: { db?: Db; config?: RelayerConfig; chainIds?: Record<string, bigint>; api?: Partial<ApiOptions> } = {},
): Promise<ApiHarness> {
  const db = options.db ?? (await openDb({ dataDir: "memory://" }));
  if (!options.db) await migrate(db);
  const ctx: Context = { db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
  const config = options.config ?? testConfig();
  const chainIds = options.chainIds ?? { local: 31337n, tron: TRON_CHAIN_ID };
  const webhooks = createWebhookEndpoints(ctx, { allowPrivateNetworks: false });
  const app = createApi(ctx, { config, webhooks, chainIds, apiKeyMode: "test", ...options.api });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const merchants = createMerchants(ctx, { chains: invoiceChains(config, chainIds), masterKey: config.masterKey! });
  const newMerchant = async (chains: { chain: string; payoutAddress?: string }[] = [{ chain: "local" }, { chain: "tron" }]) => {
    const created = await merchants.create({ name: "Shop", chains });
    const { key } = await merchants.createApiKey(created.id, { mode: "test" });
    return { id: created.id, key };
  };
  const merchant = await newMerchant();
  const call: ApiHarness["call"] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    const key = callOptions.key === undefined ? merchant.key : callOptions.key;
    if (key !== null) headers.authorization ??= `Bearer ${key}`;
    let body: string | undefined = callOptions.raw;
    if (callOptions.body !== undefined) {
      body = JSON.stringify(callOptions.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, json };
  };
  return {
    url,
    db,
    ctx,
    config,
    merchants,
    merchant,
    call,
    newMerchant,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (!options.db) await db.close();
    },
  };
}

export const invoiceBody = (overrides: Record<string, unknown> = {}) => ({
  chain: "local",
  token: TOKEN,
  amount: "25000000",
  expiresIn: 3600,
  holdPeriod: 86_400,
  timeoutAction: "release",
  merchantReference: "order-1",
  ...overrides,
});
