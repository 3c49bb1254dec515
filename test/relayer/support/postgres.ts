import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where Debian's `postgresql` package puts the server binaries. */
const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface ThrowawayPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Whether a PostgreSQL server can be started here; CI installs it, so CI never skips. */
export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, "initdb")) && existsSync(join(PG_BIN, "pg_ctl"));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * Starts a PostgreSQL cluster on a throwaway data directory and a free loopback port. `initdb` refuses
 * to run as root, so as root the binaries run as the `postgres` user.
 */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  if (!postgresAvailable()) {
    throw new Error(`PostgreSQL server binaries not found in ${PG_BIN}: apt-get install postgresql (or set PG_BIN)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "relayer-pg-"));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const pgRun = (bin: string, args: string[]) => {
    const command = asRoot ? "runuser" : join(PG_BIN, bin);
    const fullArgs = asRoot ? ["-u", "postgres", "--", join(PG_BIN, bin), ...args] : args;
    return execFileSync(command, fullArgs, { stdio: "pipe" });
  };
  pgRun("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  pgRun("pg_ctl", [
    "-D",
    dataDir,
    "-l",
    join(dir, "server.log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    "-w",
    "start",
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      const stop = asRoot
        ? spawnSync("runuser", ["-u", "postgres", "--", join(PG_BIN, "pg_ctl"), "-D", dataDir, "-m", "immediate", "stop"])
        : spawnSync(join(PG_BIN, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "stop"]);
      if (stop.status !== 0) console.error(stop.stderr?.toString());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
