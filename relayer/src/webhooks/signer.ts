import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks v1 signing: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
 * bytes that follow `whsec_` in the secret. Receivers verify with any Standard Webhooks library.
 */

export const SECRET_PREFIX = "whsec_";

/** The spec asks for 24 to 64 random bytes; 32 matches the HMAC-SHA256 block size well. */
const SECRET_BYTES = 32;

/** A new endpoint secret, `whsec_<base64>`. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("Webhook secrets start with whsec_");
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  if (key.length === 0) throw new Error("Webhook secret is empty");
  return key;
}

/** One `v1,<base64>` signature. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per live secret, space separated. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new Error("An endpoint needs at least one live secret to sign with");
  return secrets.map((secret) => sign(secret, id, timestampSeconds, body)).join(" ");
}

/** What a delivery sends: the domain event's fields that reach the receiver. */
export interface WebhookMessage {
  /** The domain event id: the webhook-id, the receiver's idempotency key. */
  id: string;
  type: string;
  /** When the event happened (not when this attempt is made). */
  occurredAt: Date;
  data: unknown;
}

/** The request body, serialised once so what is signed is exactly what is sent. */
export function webhookBody(message: WebhookMessage): string {
  return JSON.stringify({ type: message.type, timestamp: message.occurredAt.toISOString(), data: message.data });
}

/** Headers and body for one attempt at `now`. */
export function signedRequest(
  message: WebhookMessage,
  secrets: readonly string[],
  now: Date,
): { headers: Record<string, string>; body: string } {
  // The spec forbids "." in the id and timestamp: they delimit the signed content.
  if (message.id.includes(".")) throw new Error(`Webhook id ${message.id} must not contain "."`);
  const body = webhookBody(message);
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    headers: {
      "content-type": "application/json",
      "webhook-id": message.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureHeader(secrets, message.id, timestamp, body),
    },
    body,
  };
}
