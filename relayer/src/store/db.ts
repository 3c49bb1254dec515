import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * The one database handle the relayer uses. The same SQL (PostgreSQL dialect) runs on an embedded
 * PGlite directory (the default: zero set-up) and on a PostgreSQL server (`DATABASE_URL`: several
 * relayer processes share the work). Only `store/` holds SQL; other modules call its repositories.
 */
export interface Db {
  readonly kind: "pglite" | "postgres";
  /** Runs one statement with `$1…` parameters and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction: all of it commits or none of it does. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite directory is used. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` keeps everything in memory (tests). */
  dataDir?: string;
  /** Pool size for PostgreSQL. Default: 10. */
  poolSize?: number;
}

const DEFAULT_POOL_SIZE = 10;

export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? DEFAULT_POOL_SIZE);
  return openPglite(options.dataDir ?? "memory://");
}

// numeric(78,0) and bigint columns come back as strings from both drivers; repositories convert them
// to bigint where they are money or block numbers.
async function openPglite(dataDir: string): Promise<Db> {
  const db = await PGlite.create(dataDir);
  // PGlite runs one statement at a time; this queue keeps a transaction's statements together and
  // makes concurrent callers wait their turn instead of interleaving inside someone else's BEGIN.
  let tail: Promise<unknown> = Promise.resolve();
  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
  const inTx = (tx: Pick<PGlite, "query" | "exec">): Db => ({
    kind: "pglite",
    query: async <Row>(sql: string, params: readonly unknown[] = []) => (await tx.query<Row>(sql, [...params])).rows,
    exec: async (sql: string) => {
      await tx.exec(sql);
    },
    transaction: (fn) => fn(inTx(tx)),
    close: async () => undefined,
  });
  return {
    kind: "pglite",
    query: <Row>(sql: string, params: readonly unknown[] = []) =>
      serialize(async () => (await db.query<Row>(sql, [...params])).rows),
    exec: (sql: string) =>
      serialize(async () => {
        await db.exec(sql);
      }),
    transaction: (fn) => serialize(() => db.transaction((tx) => fn(inTx(tx)))),
    close: () => serialize(() => db.close()),
  };
}

async function openPostgres(connectionString: string, max: number): Promise<Db> {
  const pool = new pg.Pool({ connectionString, max });
  // An idle pooled connection that the server drops (restart, failover) emits "error" on the pool;
  // unhandled, that would crash the process. The next query simply opens a new connection.
  pool.on("error", (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, { code: "RELAYER_PG_IDLE_ERROR" });
  });
  // Surface a bad URL at start-up rather than on the first query.
  await pool.query("SELECT 1");
  const inClient = (client: pg.PoolClient): Db => ({
    kind: "postgres",
    query: async <Row>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(sql, [...params])).rows as Row[],
    exec: async (sql: string) => {
      await client.query(sql);
    },
    // Nested transactions become savepoints' job; callers here never nest.
    transaction: (fn) => fn(inClient(client)),
    close: async () => undefined,
  });
  return {
    kind: "postgres",
    query: async <Row>(sql: string, params: readonly unknown[] = []) => (await pool.query(sql, [...params])).rows as Row[],
    exec: async (sql: string) => {
      await pool.query(sql);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn(inClient(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
