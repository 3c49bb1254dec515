import { BaseError } from "../common/errors.js";
import { loadConfig, type RelayerConfig } from "../config.js";
import { InvalidInputError } from "../merchants/index.js";
import { countAppliedMigrations } from "../store/api-repository.js";
import { openDb, type Db } from "../store/db.js";
import { listMigrations } from "../store/migrate.js";
import { mkdirSync } from "node:fs";

/** Where a command writes: the real streams in `relayer`, buffers in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});

/**
 * Prints an error a user can act on as one line plus its hints, and anything else with its stack
 * (that is a bug to report). Returns the exit code.
 */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof BaseError) {
    io.err(`error: ${error.message}`);
    if (error instanceof InvalidInputError) for (const field of error.errors) io.err(`  ${field.path}: ${field.message}`);
    for (const hint of error.hints) io.err(`hint: ${hint}`);
    return 1;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  io.err(`error: ${err.message}`);
  io.err(err.stack ?? "");
  io.err("hint: this looks like a bug in the relayer; please report it with the lines above.");
  return 1;
}

export async function configFrom(io: CliIo, path: string): Promise<RelayerConfig> {
  return loadConfig(path, io.env);
}

/** Opens the configured database for an admin command and refuses a database that is not migrated. */
export async function withDb<T>(config: RelayerConfig, fn: (db: Db) => Promise<T>, options: { requireMigrated?: boolean } = {}): Promise<T> {
  if (!config.databaseUrl && !config.dataDir.startsWith("memory://")) mkdirSync(config.dataDir, { recursive: true });
  const db = await openDb(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
  try {
    if (options.requireMigrated !== false) {
      const names = listMigrations().map((m) => m.name);
      const applied = await countAppliedMigrations(db, names).catch(() => 0);
      if (applied < names.length) {
        throw new BaseError(`The database is not migrated (${names.length - applied} of ${names.length} migrations pending)`, {
          hints: ["Run `relayer migrate --config <file>` first."],
        });
      }
    }
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Splits `chain:address` (TRON base58 and 0x hex contain no colon). */
export function parseChainAddress(value: string): { chain: string; payoutAddress: string } {
  const at = value.indexOf(":");
  if (at <= 0 || at === value.length - 1) {
    throw new BaseError(`"${value}" is not chain:address`, { hints: ["Write it as e.g. sepolia:0xAbC… or tron:T…"] });
  }
  return { chain: value.slice(0, at), payoutAddress: value.slice(at + 1) };
}

/** JSON with bigints as decimal strings, the relayer's convention at every edge. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
