import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "../../../relayer/src/common/context.js";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import { openDb, type Db } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";

/** Shared set-up for the webhooks tests: a migrated database, domain events, a movable clock and recording servers. */

export async function openMigratedDb(databaseUrl?: string): Promise<Db> {
  const db = await openDb(databaseUrl ? { databaseUrl } : { dataDir: "memory://" });
  await migrate(db);
  return db;
}

/** Empties every table the webhooks tests write, so one database (slow to open) serves a whole file. */
export async function resetTables(db: Db): Promise<void> {
  await db.exec("TRUNCATE merchants, merchant_addresses, domain_events, webhook_endpoints CASCADE");
}

export function testContext(db: Db): Context {
  return { db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
}

export async function insertMerchant(db: Db, id = `mer_${randomBytes(6).toString("hex")}`): Promise<string> {
  await db.query("INSERT INTO merchants (id, name) VALUES ($1, $2)", [id, `Shop ${id}`]);
  return id;
}

let sequence = 0;

/** Writes a domain event the way the ingester does (the outbox row). */
export async function insertDomainEvent(
  db: Db,
  input: { merchantId: string | null; type?: string; payload?: unknown; createdAt?: Date },
): Promise<string> {
  const id = `evt_${randomBytes(16).toString("hex")}`;
  sequence += 1;
  await db.query(
    `INSERT INTO domain_events (id, merchant_id, type, chain, subject_id, sequence, payload, created_at)
     VALUES ($1, $2, $3, 'tron', $4, 1, $5, $6)`,
    [id, input.merchantId, input.type ?? "invoice.paid", `0x${sequence.toString(16).padStart(64, "0")}`, JSON.stringify(input.payload ?? { sequence: 1, n: sequence }), input.createdAt ?? new Date()],
  );
  return id;
}

/** A clock tests move by hand. */
export function movableClock(start = new Date()) {
  let now = new Date(start.getTime());
  return {
    now: () => new Date(now.getTime()),
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    set(at: Date) {
      now = new Date(at.getTime());
    },
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every request and answers with `respond`. */
export async function startRecordingServer(
  respond: (req: RecordedRequest, res: ServerResponse) => void | Promise<void> = (_req, res) => void res.writeHead(200).end("ok"),
  port = 0,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(recorded);
      Promise.resolve(respond(recorded, res)).catch(() => res.destroy());
    });
  });
  let connections = 0;
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}/hook`,
    port: actualPort,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = await startRecordingServer();
  await server.close();
  return server.port;
}
