import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from "node:http";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";
import { outcomeForStatus, type AttemptOutcome } from "./retry-policy.js";
import { SsrfRefusedError, type SsrfGuard } from "./ssrf-guard.js";

/**
 * One webhook POST over node:http(s). Redirects are never followed (http.request does not), the
 * whole exchange is bounded by a timeout, and the connection goes only to an address the SSRF guard
 * checked (its `lookup` pins the socket to it).
 */

/** The spec recommends 15 to 30 s; receivers should acknowledge first and work afterwards. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Response bodies are kept in the delivery log up to this size; the rest is not even read. */
export const MAX_LOGGED_RESPONSE_BYTES = 4_096;
export const USER_AGENT = "usdt-escrow-relayer-webhooks/1";

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  guard: SsrfGuard;
  timeoutMs?: number;
  /**
   * Keep-alive agents to reuse connections; every new socket still resolves through the guard's
   * `lookup`. Default: a fresh connection per request.
   */
  agents?: { http: HttpAgent; https: HttpsAgent };
}

export interface SendResult {
  outcome: AttemptOutcome;
  status?: number;
  responseHeaders?: Record<string, string>;
  /** Truncated to MAX_LOGGED_RESPONSE_BYTES. */
  responseBody?: string;
  retryAfter?: string;
  durationMs: number;
  error?: string;
}

class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
}

/** Sends one webhook; never throws: every failure is a result for the log and the retry policy. */
export async function sendWebhook(request: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = request.guard.checkUrl(request.url);
  } catch (error) {
    return { outcome: "refused", durationMs: durationMs(), error: errorMessage(error) };
  }
  try {
    const response = await post(url, request);
    const outcome = outcomeForStatus(response.status);
    return { ...response, outcome, durationMs: durationMs() };
  } catch (error) {
    const outcome: AttemptOutcome =
      error instanceof SsrfRefusedError ? "refused" : error instanceof RequestTimeoutError ? "timeout" : "network_error";
    return { outcome, durationMs: durationMs(), error: errorMessage(error) };
  }
}

type Response = Pick<SendResult, "status" | "responseHeaders" | "responseBody" | "retryAfter"> & { status: number };

function post(url: URL, request: SendRequest): Promise<Response> {
  const timeoutMs = request.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: "POST",
      headers: { ...request.headers, "user-agent": USER_AGENT, "content-length": Buffer.byteLength(request.body) },
      lookup: request.guard.lookup,
      agent: request.agents ? (url.protocol === "https:" ? request.agents.https : request.agents.http) : false,
    });
    // Rejecting first means the timeout wins over the socket errors that destroying it causes.
    const timer = setTimeout(() => {
      reject(new RequestTimeoutError(`No complete response within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    req.once("error", (error) => finish(() => reject(error)));
    req.once("response", (res) => {
      readTruncated(res).then(
        (body) => finish(() => resolve(describe(res, body))),
        (error: unknown) => finish(() => reject(error)),
      );
    });
    req.end(request.body);
  });
}

async function readTruncated(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.length;
    if (size >= MAX_LOGGED_RESPONSE_BYTES) {
      // The status is all that decides the outcome: stop reading a large or endless body.
      res.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_LOGGED_RESPONSE_BYTES).toString("utf8");
}

function describe(res: IncomingMessage, body: string): Response {
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const retryAfter = responseHeaders["retry-after"];
  return {
    status: res.statusCode ?? 0,
    responseHeaders,
    responseBody: body,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
