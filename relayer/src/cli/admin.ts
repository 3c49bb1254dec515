import { getAddress } from "ethers";
import { tronAddressFromHex } from "../chains/tron.js";
import { BaseError, NonRetryableUserError } from "../common/errors.js";
import { silentLogger } from "../common/logger.js";
import type { RelayerConfig } from "../config.js";
import { createMerchants, invoiceChains, type Merchants } from "../merchants/index.js";
import type { Db } from "../store/db.js";
import { createIngestRepository } from "../store/ingest-repository.js";
import { migrate } from "../store/migrate.js";
import { getDelivery, getEndpoint, type DeliveryStatus } from "../store/webhooks-repository.js";
import { createWebhookEndpoints, WebhookNotFoundError, type WebhookEndpoints } from "../webhooks/index.js";
import { parseChainAddress, toJson, withDb, type CliIo } from "./io.js";

/**
 * The administration commands: each opens the configured database, does one thing through the
 * modules' own factories (never SQL here), prints the result and closes the database. With embedded
 * PGlite only one process may open the directory: stop the relayer first, or use the HTTP API.
 */

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "delivering", "succeeded", "failed", "dead"];

function merchantsOf(config: RelayerConfig, db: Db): Merchants {
  // Merchant creation parses and formats addresses only; the chain id matters when signing invoices,
  // which the running relayer does with ids read from the nodes. No node is needed for admin work.
  const placeholderIds = Object.fromEntries(config.chains.map((chain) => [chain.name, 0n]));
  return createMerchants({ db, logger: silentLogger() }, { chains: invoiceChains(config, placeholderIds), ...(config.masterKey ? { masterKey: config.masterKey } : {}) });
}

function endpointsOf(config: RelayerConfig, db: Db): WebhookEndpoints {
  return createWebhookEndpoints({ db, logger: silentLogger() }, { allowPrivateNetworks: config.webhooks.allowPrivateNetworks });
}

async function merchantOfEndpoint(db: Db, endpointId: string): Promise<string> {
  const endpoint = await getEndpoint(db, endpointId);
  if (!endpoint) throw new WebhookNotFoundError(`Webhook endpoint ${endpointId} not found`, { hints: ["Endpoint ids start with ep_; `relayer webhook add` prints them."] });
  return endpoint.merchantId;
}

export async function runMigrate(io: CliIo, config: RelayerConfig): Promise<void> {
  await withDb(
    config,
    async (db) => {
      io.out(config.databaseUrl ? "Migrating the PostgreSQL database (DATABASE_URL)…" : `Migrating the embedded database in ${config.dataDir}…`);
      const result = await migrate(db, (message) => io.out(`  ${message}`));
      io.out(`Done: ${result.applied.length} applied, ${result.alreadyApplied} already applied.`);
    },
    { requireMigrated: false },
  );
}

export async function createMerchant(io: CliIo, config: RelayerConfig, input: { name: string; addresses: string[]; chains: string[] }): Promise<void> {
  const chains = [...input.addresses.map(parseChainAddress), ...input.chains.map((chain) => ({ chain }))];
  if (chains.length === 0) throw new BaseError("Name at least one chain", { hints: ["Add --address <chain:address> (payouts go there) or --chain <name> (the generated key is the merchant)."] });
  await withDb(config, async (db) => {
    const merchant = await merchantsOf(config, db).create({ name: input.name, chains });
    io.out(`Created merchant ${merchant.id} (${merchant.name})`);
    io.out(`  invoice signing key: ${merchant.signerAddress}`);
    for (const chain of merchant.chains) {
      io.out(`  ${chain.chain}: payouts to ${chain.merchantAddress}`);
      if (chain.registerSigner) {
        io.out(`    register the signing key from ${chain.merchantAddress}: send to ${chain.registerSigner.to} data ${chain.registerSigner.data}`);
      }
    }
    io.out(`Next: relayer apikey create --merchant ${merchant.id}`);
  });
}

export async function createApiKey(io: CliIo, config: RelayerConfig, input: { merchant: string; description?: string; test?: boolean }): Promise<void> {
  await withDb(config, async (db) => {
    const key = await merchantsOf(config, db).createApiKey(input.merchant, { mode: input.test ? "test" : "live", ...(input.description ? { description: input.description } : {}) });
    io.out(`Created API key ${key.id} for ${input.merchant}:`);
    io.out(`  ${key.key}`);
    io.out("This is the only time the key is shown; store it now (only its hash is kept).");
  });
}

export async function revokeApiKey(io: CliIo, config: RelayerConfig, input: { merchant: string; id: string }): Promise<void> {
  await withDb(config, async (db) => {
    await merchantsOf(config, db).revokeApiKey(input.merchant, input.id);
    io.out(`Revoked API key ${input.id}; requests with it now get 401.`);
  });
}

export async function addWebhook(io: CliIo, config: RelayerConfig, input: { merchant: string; url: string; description?: string; events?: string[] }): Promise<void> {
  await withDb(config, async (db) => {
    const { endpoint, secret } = await endpointsOf(config, db).add({
      merchantId: input.merchant,
      url: input.url,
      ...(input.description ? { description: input.description } : {}),
      ...(input.events ? { eventTypes: input.events } : {}),
    });
    io.out(`Added webhook endpoint ${endpoint.id} -> ${endpoint.url} (${endpoint.eventTypes?.join(", ") ?? "all events"})`);
    io.out(`  signing secret: ${secret}`);
    io.out("This is the only time the secret is shown; verify signatures with it (docs/webhooks.md).");
  });
}

export async function testWebhook(io: CliIo, config: RelayerConfig, endpointId: string): Promise<void> {
  await withDb(config, async (db) => {
    const merchantId = await merchantOfEndpoint(db, endpointId);
    const sent = await endpointsOf(config, db).sendTest(merchantId, endpointId);
    io.out(`Queued endpoint.test ${sent.eventId} as delivery ${sent.deliveryId}; a running relayer sends it within seconds.`);
    io.out(`Follow it with: relayer deliveries list --endpoint ${endpointId}`);
  });
}

export async function rotateWebhook(io: CliIo, config: RelayerConfig, endpointId: string, graceHours?: number): Promise<void> {
  await withDb(config, async (db) => {
    const merchantId = await merchantOfEndpoint(db, endpointId);
    const rotated = await endpointsOf(config, db).rotateSecret(merchantId, endpointId, graceHours === undefined ? {} : { graceMs: graceHours * 3_600_000 });
    io.out(`New signing secret for ${endpointId}:`);
    io.out(`  ${rotated.secret}`);
    io.out(`The previous secret keeps signing alongside it until ${rotated.previousExpiresAt.toISOString()}; switch your receiver before then.`);
  });
}

export async function listDeliveries(io: CliIo, config: RelayerConfig, input: { endpoint: string; status?: string; limit?: number }): Promise<void> {
  if (input.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(input.status)) {
    throw new BaseError(`Unknown delivery status "${input.status}"`, { hints: [`Use one of: ${DELIVERY_STATUSES.join(", ")}.`] });
  }
  await withDb(config, async (db) => {
    const merchantId = await merchantOfEndpoint(db, input.endpoint);
    const rows = await endpointsOf(config, db).listDeliveries(merchantId, input.endpoint, {
      ...(input.status ? { status: input.status as DeliveryStatus } : {}),
      ...(input.limit ? { limit: input.limit } : {}),
    });
    if (rows.length === 0) return io.out("No deliveries.");
    io.out(["DELIVERY", "EVENT", "TYPE", "STATUS", "ATTEMPTS", "LAST ERROR", "CREATED", "NEXT ATTEMPT"].join("\t"));
    for (const r of rows) {
      io.out([r.id, r.eventId, r.eventType, r.status, r.attemptCount, r.lastError ?? (r.lastStatusCode ? `HTTP ${r.lastStatusCode}` : "-"), iso(r.createdAt), iso(r.nextAttemptAt)].join("\t"));
    }
  });
}

const iso = (value: Date | null) => value?.toISOString() ?? "-";

export async function redeliverOne(io: CliIo, config: RelayerConfig, deliveryId: string): Promise<void> {
  await withDb(config, async (db) => {
    const delivery = await getDelivery(db, deliveryId);
    if (!delivery) throw new WebhookNotFoundError(`Webhook delivery ${deliveryId} not found`, { hints: ["List deliveries with `relayer deliveries list --endpoint <id>`."] });
    const merchantId = await merchantOfEndpoint(db, delivery.endpointId);
    await endpointsOf(config, db).redeliver(merchantId, deliveryId);
    io.out(`Queued delivery ${deliveryId} again; a running relayer sends it within seconds.`);
  });
}

export async function redeliverFailed(io: CliIo, config: RelayerConfig, input: { endpoint: string; failedSince: string }): Promise<void> {
  const since = new Date(input.failedSince);
  if (Number.isNaN(since.getTime())) throw new BaseError(`--failed-since "${input.failedSince}" is not a date`, { hints: ["Use ISO 8601, e.g. 2026-11-22T00:00:00Z."] });
  await withDb(config, async (db) => {
    const merchantId = await merchantOfEndpoint(db, input.endpoint);
    io.out(`Queuing failed and dead deliveries of ${input.endpoint} since ${since.toISOString()}…`);
    const count = await endpointsOf(config, db).redeliverFailed(merchantId, input.endpoint, since);
    io.out(`Queued ${count} deliveries; a running relayer sends them with a fresh retry schedule.`);
  });
}

export async function showEscrow(io: CliIo, config: RelayerConfig, chainName: string, escrowId: string): Promise<void> {
  const chain = config.chains.find((c) => c.name === chainName);
  if (!chain) throw new NonRetryableUserError(`Unknown chain "${chainName}"`, { hints: [`Configured chains: ${config.chains.map((c) => c.name).join(", ")}.`] });
  if (!/^0x[0-9a-fA-F]{64}$/.test(escrowId)) throw new NonRetryableUserError(`"${escrowId}" is not an escrow id`, { hints: ["An escrow id is the invoice id: 0x and 64 hex digits."] });
  await withDb(config, async (db) => {
    const escrow = await createIngestRepository(db).getEscrow(chainName, escrowId.toLowerCase());
    if (!escrow) throw new NonRetryableUserError(`No escrow ${escrowId} on ${chainName}`, { hints: ["The relayer may not have ingested it yet; check /readyz and the ingest lag metric."] });
    const format = chain.kind === "tron" ? tronAddressFromHex : (hex: string) => getAddress(hex);
    const shown: Record<string, unknown> = { ...escrow };
    for (const field of ["vault", "token", "payer", "payee", "arbiter", "disputant"]) {
      const value = shown[field];
      if (typeof value === "string" && /^0x[0-9a-f]{40}$/.test(value)) shown[field] = format(value);
    }
    io.out(toJson(shown));
  });
}
