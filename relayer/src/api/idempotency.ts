import { createHash } from "node:crypto";
import type { Db } from "../store/db.js";
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from "../store/api-repository.js";
import { Problem } from "./problem.js";

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its response (2xx or 4xx) is
 * stored; a retry with the same key and the same request gets the stored response again; the same
 * key with another request is a 422. A request that failed on the server (5xx) frees its key.
 */

export const IDEMPOTENCY_HEADER = "idempotency-key";
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface RouteResult {
  status: number;
  body: unknown;
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash("sha256").update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest("hex");
}

/** Runs `run` at most once per (merchant, key); `replayed` tells the caller to set Idempotent-Replayed. */
export async function idempotent(
  db: Db,
  input: { merchantId: string; key: string | undefined; method: string; path: string; body: unknown },
  run: () => Promise<RouteResult>,
): Promise<RouteResult & { replayed: boolean }> {
  if (input.key === undefined) return { ...(await run()), replayed: false };
  if (!KEY_PATTERN.test(input.key)) {
    throw new Problem(400, "Idempotency-Key must be 1 to 255 printable ASCII characters.", { errors: [{ path: "headers.idempotency-key", message: "1 to 255 printable ASCII characters" }] });
  }
  const hash = requestHash(input.method, input.path, input.body);
  const claim = await claimIdempotencyKey(db, { merchantId: input.merchantId, key: input.key, requestHash: hash });
  if (claim.state !== "claimed") {
    if (claim.requestHash !== hash) {
      throw new Problem(422, "This Idempotency-Key was used with a different request. Use a new key for a new request.", { slug: "idempotency-key-reused" });
    }
    if (claim.state === "in_progress") throw new Problem(409, "A request with this Idempotency-Key is still running; retry in a moment.", { slug: "idempotency-key-in-use" });
    return { status: claim.statusCode, body: claim.body, replayed: true };
  }
  let result: RouteResult;
  try {
    // Client errors come back as results (and are stored); anything thrown is a server failure.
    result = await run();
  } catch (error) {
    await releaseIdempotencyKey(db, { merchantId: input.merchantId, key: input.key });
    throw error;
  }
  await completeIdempotencyKey(db, { merchantId: input.merchantId, key: input.key, statusCode: result.status, body: result.body });
  return { ...result, replayed: false };
}
