import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

/**
 * A small webhook receiver, the kind a merchant writes: it verifies signatures with the official
 * `standardwebhooks` library, answers quickly, processes each webhook-id once, and prints each
 * event. `npm start` runs one next to the relayer; tests use it as the far end.
 */

/** Request bodies above this are refused (413): our events are a few hundred bytes. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Webhook ids remembered for de-duplication; the oldest are forgotten first. */
const DEDUPE_CAPACITY = 10_000;

export interface ReceivedWebhook {
  id: string;
  type: string;
  timestamp: string;
  data: unknown;
}

export interface WebhookReceiverOptions {
  /** Port to listen on; 0 picks a free one. Default: 0. */
  port?: number;
  /** Address to listen on. Default: "127.0.0.1". */
  host?: string;
  /** The endpoint's `whsec_` secret, or several while a rotation is under way. */
  secret: string | string[];
  /** Called once per webhook-id; a throw answers 500 so the sender retries. */
  onEvent?: (event: ReceivedWebhook) => void | Promise<void>;
  /** Where each event is printed. Default: one line on stdout. */
  print?: (line: string) => void;
}

export interface WebhookReceiver {
  /** The URL to register as the webhook endpoint, e.g. http://127.0.0.1:4040/webhooks. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function createWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const verifiers = (Array.isArray(options.secret) ? options.secret : [options.secret]).map((secret) => new Webhook(secret));
  if (verifiers.length === 0) throw new Error("createWebhookReceiver needs at least one secret");
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const seen = new Set<string>();
  const inFlight = new Set<string>();

  const remember = (id: string) => {
    seen.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (seen.size > DEDUPE_CAPACITY) seen.delete(seen.values().next().value!);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return reply(res, 405, { error: "POST only" });
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, { error: "Body too large" });
    const headers = {
      "webhook-id": header(req, "webhook-id"),
      "webhook-timestamp": header(req, "webhook-timestamp"),
      "webhook-signature": header(req, "webhook-signature"),
    };
    if (!headers["webhook-id"] || !headers["webhook-timestamp"] || !headers["webhook-signature"]) {
      return reply(res, 400, { error: "Missing webhook-id, webhook-timestamp or webhook-signature" });
    }
    const payload = verify(verifiers, body, headers);
    if (payload === undefined) return reply(res, 401, { error: "Invalid signature or timestamp" });
    const id = headers["webhook-id"];
    // The same id arriving twice (a retry after a lost response, a redelivery) is acknowledged, not reprocessed.
    if (seen.has(id) || inFlight.has(id)) return reply(res, 200, { duplicate: true });
    inFlight.add(id);
    try {
      const event: ReceivedWebhook = { id, type: String(payload.type), timestamp: String(payload.timestamp), data: payload.data };
      await options.onEvent?.(event);
      remember(id);
      print(`webhook ${event.type} ${id} ${JSON.stringify(event.data)}`);
      reply(res, 200, { received: true });
    } catch (error) {
      print(`webhook ${id} handler failed: ${error instanceof Error ? error.message : String(error)}`);
      reply(res, 500, { error: "Handler failed" });
    } finally {
      inFlight.delete(id);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => reply(res, 500, { error: "Internal error" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/webhooks`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function verify(
  verifiers: Webhook[],
  body: string,
  headers: Record<string, string>,
): { type?: unknown; timestamp?: unknown; data?: unknown } | undefined {
  for (const verifier of verifiers) {
    try {
      return verifier.verify(body, headers) as { type?: unknown; timestamp?: unknown; data?: unknown };
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
    }
  }
  return undefined;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
