import { describe, expect, it } from "vitest";
import type { Db } from "../../../relayer/src/store/db.js";
import { listMigrations, migrate } from "../../../relayer/src/store/migrate.js";
import { storeEngines } from "../support/engines.js";

/** The store suite runs on both engines: embedded PGlite and a throwaway PostgreSQL cluster. */

const engines = storeEngines();

describe.each(engines)("migrate() on $name", ({ open }) => {
  it("applies every migration once and is a no-op the second time", async () => {
    const db: Db = await open();
    try {
      if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      const first = await migrate(db);
      expect(first.applied).toEqual(listMigrations().map((m) => m.name));
      const second = await migrate(db);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toBe(listMigrations().length);
      const tables = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["domain_events", "merchants", "schema_migrations"]));
    } finally {
      await db.close();
    }
  });

  it("rolls a failed transaction back completely", async () => {
    const db = await open();
    try {
      if (db.kind === "postgres") await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      await migrate(db);
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO merchants (id, name) VALUES ($1, $2)", ["mer_1", "Shop"]);
          throw new Error("crash between two writes");
        }),
      ).rejects.toThrow("crash between two writes");
      expect(await db.query("SELECT * FROM merchants")).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
