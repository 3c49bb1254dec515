import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "./db.js";

/** Migrations are dated SQL files applied in name order; an applied file is never edited again. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");

/** Any 64-bit constant shared by every relayer process: serialises concurrent `migrate` runs. */
const MIGRATION_LOCK_ID = 7_346_291_001;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export function listMigrations(dir = MIGRATIONS_DIR): { name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

/** Applies every migration not yet recorded in `schema_migrations`, each in its own transaction. */
export async function migrate(db: Db, onProgress: (message: string) => void = () => undefined): Promise<MigrationResult> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const migrations = listMigrations();
  const applied: string[] = [];
  let alreadyApplied = 0;
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      // Two processes starting together must not both apply the same file.
      if (tx.kind === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
      const existing = await tx.query("SELECT 1 FROM schema_migrations WHERE name = $1", [migration.name]);
      if (existing.length > 0) return false;
      onProgress(`applying ${migration.name}`);
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [migration.name]);
      return true;
    });
    if (done) applied.push(migration.name);
    else alreadyApplied += 1;
  }
  return { applied, alreadyApplied };
}
