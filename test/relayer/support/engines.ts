import { afterAll, beforeAll } from "vitest";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { postgresAvailable, startThrowawayPostgres, type ThrowawayPostgres } from "./postgres.js";

/**
 * The two engines every store suite runs on: embedded PGlite and a throwaway PostgreSQL cluster,
 * started before the file's tests and stopped after them. Call at the top level of a test file and
 * pass the result to `describe.each`.
 */
export function storeEngines(): readonly { name: "pglite" | "postgres"; open: () => Promise<Db> }[] {
  let pg: ThrowawayPostgres | undefined;
  beforeAll(async () => {
    if (!postgresAvailable()) throw new Error("PostgreSQL binaries missing: apt-get install postgresql (CI installs it)");
    pg = await startThrowawayPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });
  return [
    { name: "pglite", open: () => openDb({ dataDir: "memory://" }) },
    { name: "postgres", open: () => openDb({ databaseUrl: pg!.url }) },
  ];
}
