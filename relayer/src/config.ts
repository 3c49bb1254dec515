import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { ConfigError } from "./common/errors.js";

/**
 * The relayer's one typed configuration: a file (`relayer.config.json` or `.ts`) merged with the
 * environment, validated at start-up. Secrets (operator key, master key, database URL) come from the
 * environment, never from the file, so the file can be committed.
 */

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const TRON_BASE58_ADDRESS = /^T[1-9A-HJ-NP-Za-km-z]{33}$/;

const chainSchema = z
  .object({
    /** Short name used in logs, metrics, the API and webhooks, e.g. "tron" or "sepolia". */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "use lower-case letters, digits and dashes (at most 32)"),
    /** Which adapter reads and writes this chain. */
    kind: z.enum(["evm", "tron"]),
    /** JSON-RPC endpoint (for TRON: the node's /jsonrpc URL for reads). */
    rpcUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    /** TRON only: the full-node HTTP API used to build and broadcast transactions. Default: rpcUrl without /jsonrpc. */
    tronFullHost: z.url({ protocol: /^https?$/ }).optional(),
    /** The EscrowVault address: 0x hex on EVM chains, base58 (T…) or hex on TRON. */
    vaultAddress: z.string(),
    /** P2P: the AcceptorDesk deployed beside the vault (same address forms). Default: none (no P2P on this chain). */
    acceptorDeskAddress: z.string().optional(),
    /** First block to ingest: the vault's deployment block. */
    startBlock: z.number().int().min(0),
    /** Blocks below the head before an event counts as final. Default: 12 on EVM, 0 on TRON (finalized tag). */
    confirmations: z.number().int().min(0).max(1000).optional(),
    /** Seconds past a deadline before the relayer sends the timeout. Default: 30. */
    timeoutMarginSeconds: z.number().int().min(0).default(30),
    /** Most blocks asked of eth_getLogs at once; the poller shrinks it on refusals. Default: 2000. */
    maxBlockRange: z.number().int().min(1).max(100_000).default(2000),
    /** Wait between polls when caught up; keep it well under the block time for prompt webhooks. Default: 500. */
    pollIntervalMs: z.number().int().min(100).default(500),
    /** Block explorer for links in the dashboard, e.g. https://etherscan.io or https://tronscan.org. Default: none (no links). */
    explorerUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** TRON only: fee limit per transaction in sun. Default: 200 TRX. */
    feeLimitSun: z.number().int().min(1).default(200_000_000),
  })
  .superRefine((chain, ctx) => {
    const isAddress = (value: string) => (chain.kind === "tron" ? HEX_ADDRESS.test(value) || TRON_BASE58_ADDRESS.test(value) : HEX_ADDRESS.test(value));
    for (const field of ["vaultAddress", "acceptorDeskAddress"] as const) {
      const value = chain[field];
      if (value === undefined || isAddress(value)) continue;
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: chain.kind === "tron" ? "must be a TRON address (T… base58 or 0x hex)" : "must be a 0x-prefixed 20-byte hex address",
      });
    }
  })
  .transform((chain) => ({ ...chain, confirmations: chain.confirmations ?? (chain.kind === "tron" ? 0 : 12) }));

const fileSchema = z
  .object({
    chains: z.array(chainSchema).min(1, "configure at least one chain"),
    /** Embedded PGlite directory, used when DATABASE_URL is not set. Default: ".relayer-data". */
    dataDir: z.string().default(".relayer-data"),
    api: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65_535).default(8080),
        /** Base of checkout links handed to payers. Default: http://<host>:<port>. */
        publicUrl: z.url().optional(),
      })
      .prefault({}),
    webhooks: z
      .object({
        /** Lets webhooks reach loopback and private addresses: development only. Default: false. */
        allowPrivateNetworks: z.boolean().default(false),
        requestTimeoutMs: z.number().int().min(1000).max(60_000).default(15_000),
      })
      .prefault({}),
    /** Operator keystore file (encrypted JSON wallet); its password comes from OPERATOR_KEYSTORE_PASSWORD. */
    operatorKeystore: z.string().optional(),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type ChainConfig = z.infer<typeof chainSchema>;

export interface RelayerConfig extends z.infer<typeof fileSchema> {
  /** PostgreSQL connection string from DATABASE_URL; absent means embedded PGlite in dataDir. */
  databaseUrl?: string;
  /** Hot key that pays gas for timeouts and signed actions, from OPERATOR_PRIVATE_KEY or the keystore. */
  operatorKey?: { privateKey: string } | { keystorePath: string; password: string };
  /** 32-byte key from RELAYER_MASTER_KEY that encrypts merchants' invoice signing keys at rest. */
  masterKey?: Buffer;
}

/** Formats zod issues as one line per field: `chains[0].rpcUrl: must be an http(s) URL`. */
function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("").replace(/^\./, "");
    return `  ${path || "(root)"}: ${issue.message}`;
  });
  return `Invalid relayer configuration in ${source}:\n${lines.join("\n")}`;
}

function parseMasterKey(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  const key = /^(0x)?[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value.replace(/^0x/, ""), "hex") : Buffer.from(value, "base64");
  if (key.length !== 32) {
    throw new ConfigError("RELAYER_MASTER_KEY must be 32 bytes, as 64 hex characters or base64", {
      hints: ["Generate one with: node -e \"console.log(require('crypto').randomBytes(32).toString('hex'))\""],
    });
  }
  return key;
}

function operatorKeyFrom(env: NodeJS.ProcessEnv, keystore: string | undefined): RelayerConfig["operatorKey"] {
  if (env.OPERATOR_PRIVATE_KEY) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(env.OPERATOR_PRIVATE_KEY)) {
      throw new ConfigError("OPERATOR_PRIVATE_KEY must be 32 bytes of hex (64 characters, optional 0x)");
    }
    return { privateKey: env.OPERATOR_PRIVATE_KEY };
  }
  if (keystore) {
    if (!env.OPERATOR_KEYSTORE_PASSWORD) {
      throw new ConfigError("operatorKeystore is set but OPERATOR_KEYSTORE_PASSWORD is not", {
        hints: ["Export the keystore's password as OPERATOR_KEYSTORE_PASSWORD."],
      });
    }
    return { keystorePath: keystore, password: env.OPERATOR_KEYSTORE_PASSWORD };
  }
  return undefined;
}

/** Validates a plain object (already read from a file) together with the environment. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, source = "the configuration"): RelayerConfig {
  const result = fileSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error, source));
  const config = result.data;
  const names = new Set<string>();
  for (const chain of config.chains) {
    if (names.has(chain.name)) throw new ConfigError(`Invalid relayer configuration in ${source}:\n  chains: the name "${chain.name}" is used twice`);
    names.add(chain.name);
  }
  return {
    ...config,
    logLevel: (env.LOG_LEVEL as RelayerConfig["logLevel"] | undefined) ?? config.logLevel,
    databaseUrl: env.DATABASE_URL || undefined,
    operatorKey: operatorKeyFrom(env, config.operatorKeystore),
    masterKey: parseMasterKey(env.RELAYER_MASTER_KEY),
  };
}

/** Reads `relayer.config.json` or `relayer.config.ts` (default export) and validates it with the environment. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<RelayerConfig> {
  const absolute = resolve(path);
  let raw: unknown;
  try {
    if (extname(absolute) === ".json") {
      raw = JSON.parse(readFileSync(absolute, "utf8"));
    } else if ([".ts", ".mts", ".js", ".mjs"].includes(extname(absolute))) {
      raw = ((await import(pathToFileURL(absolute).href)) as { default?: unknown }).default;
    } else {
      throw new ConfigError(`Unsupported config file ${path}: use .json or .ts`);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`Could not read the relayer configuration ${path}: ${(error as Error).message}`, {
      cause: error,
      hints: ["Check the path, or start from docs/operations.md's example relayer.config.json."],
    });
  }
  return parseConfig(raw, env, path);
}
