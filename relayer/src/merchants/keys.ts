import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { NonRetryableUserError } from "../common/errors.js";

/**
 * Secrets at rest: invoice signing keys sealed with AES-256-GCM under the master key, and API keys
 * kept only as a sha256 with a lookup prefix.
 */

const CIPHER = "aes-256-gcm";
const MASTER_KEY_BYTES = 32;
/** 96-bit random nonces: the GCM standard size; a master key seals few enough keys for random nonces. */
const NONCE_BYTES = 12;
const SEALED_VERSION = "v1";
/** Random bytes after the prefix: 8 for the lookup part, 24 for the secret part. */
const LOOKUP_BYTES = 8;
const SECRET_BYTES = 24;
const API_KEY_PATTERN = /^sk_(live|test)_([0-9a-f]{16})([0-9a-f]{48})$/;

/** Raised when a sealed key cannot be opened: wrong master key, wrong merchant, or a tampered row. */
export class SealedKeyError extends NonRetryableUserError {
  override name = "SealedKeyError";
}

function requireMasterKey(masterKey: Buffer): void {
  if (masterKey.length !== MASTER_KEY_BYTES) throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes`);
}

/** Encrypts `plaintext` bound to `associatedData` (the merchant id): "v1.<nonce>.<ciphertext>.<tag>". */
export function sealSecret(masterKey: Buffer, plaintext: string, associatedData: string): string {
  requireMasterKey(masterKey);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, masterKey, nonce);
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [SEALED_VERSION, nonce, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

export function openSecret(masterKey: Buffer, sealed: string, associatedData: string): string {
  requireMasterKey(masterKey);
  const [version, nonce, ciphertext, tag] = sealed.split(".");
  if (version !== SEALED_VERSION || !nonce || ciphertext === undefined || !tag) throw new SealedKeyError("The sealed signing key has an unknown format");
  try {
    const decipher = createDecipheriv(CIPHER, masterKey, Buffer.from(nonce, "base64url"));
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new SealedKeyError("Could not decrypt the merchant's signing key", {
      cause: error,
      hints: ["Check that RELAYER_MASTER_KEY is the key the merchant was created with."],
    });
  }
}

export type ApiKeyMode = "live" | "test";

export interface GeneratedApiKey {
  /** The whole key, shown to the merchant once. */
  key: string;
  /** Stored in clear to find the row: "sk_live_<16 hex>". */
  lookup: string;
  /** Stored: sha256 hex of the whole key. */
  secretHash: string;
}

export function generateApiKey(mode: ApiKeyMode): GeneratedApiKey {
  const lookup = `sk_${mode}_${randomBytes(LOOKUP_BYTES).toString("hex")}`;
  const key = `${lookup}${randomBytes(SECRET_BYTES).toString("hex")}`;
  return { key, lookup, secretHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The lookup prefix of a well-formed key; undefined for anything else (no database query then). */
export function apiKeyLookup(key: string): string | undefined {
  const match = API_KEY_PATTERN.exec(key);
  return match ? `sk_${match[1]}_${match[2]}` : undefined;
}

/** Constant-time: how long it takes says nothing about how much of the hash matched. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
