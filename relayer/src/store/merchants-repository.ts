import type { Db } from "./db.js";

/** Merchants, the addresses that route chain events to them, their API keys and signing keys. */

export interface NewMerchant {
  id: string;
  name: string;
  /** One row per chain: the on-chain `merchant` (payee) address, lower-case hex. */
  addresses: { chain: string; address: string }[];
  signingKey: { address: string; encryptedKey: string };
}

export interface MerchantRow {
  id: string;
  name: string;
  createdAt: Date;
  addresses: { chain: string; address: string }[];
  signerAddress: string | null;
}

export interface ApiKeyRow {
  id: string;
  merchantId: string;
  lookup: string;
  secretHash: string;
  mode: "live" | "test";
  description: string;
  createdAt: Date;
  revokedAt: Date | null;
}

type Row = Record<string, unknown>;

const toApiKey = (row: Row): ApiKeyRow => ({
  id: String(row.id),
  merchantId: String(row.merchant_id),
  lookup: String(row.lookup),
  secretHash: String(row.secret_hash),
  mode: row.mode === "test" ? "test" : "live",
  description: String(row.description),
  createdAt: new Date(row.created_at as string),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at as string),
});

/** The merchant, its addresses and its sealed signing key, all or nothing. */
export async function insertMerchant(db: Db, merchant: NewMerchant): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO merchants (id, name) VALUES ($1, $2)`, [merchant.id, merchant.name]);
    for (const { chain, address } of merchant.addresses) {
      await tx.query(`INSERT INTO merchant_addresses (chain, address, merchant_id) VALUES ($1, $2, $3)`, [chain, address, merchant.id]);
    }
    await tx.query(`INSERT INTO merchant_signing_keys (merchant_id, address, encrypted_key) VALUES ($1, $2, $3)`, [
      merchant.id,
      merchant.signingKey.address,
      merchant.signingKey.encryptedKey,
    ]);
  });
}

export async function selectMerchant(db: Db, merchantId: string): Promise<MerchantRow | undefined> {
  const rows = await db.query<Row>(
    `SELECT m.id, m.name, m.created_at, k.address AS signer_address FROM merchants m
     LEFT JOIN merchant_signing_keys k ON k.merchant_id = m.id WHERE m.id = $1`,
    [merchantId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const addresses = await db.query<{ chain: string; address: string }>(
    `SELECT chain, address FROM merchant_addresses WHERE merchant_id = $1 ORDER BY chain, address`,
    [merchantId],
  );
  return {
    id: String(row.id),
    name: String(row.name),
    createdAt: new Date(row.created_at as string),
    addresses,
    signerAddress: row.signer_address === null ? null : String(row.signer_address),
  };
}

/** The merchant's address on `chain` (the invoice's `merchant` field); the first when there are several. */
export async function selectMerchantAddress(db: Db, merchantId: string, chain: string): Promise<string | undefined> {
  const rows = await db.query<{ address: string }>(
    `SELECT address FROM merchant_addresses WHERE merchant_id = $1 AND chain = $2 ORDER BY address LIMIT 1`,
    [merchantId, chain],
  );
  return rows[0]?.address;
}

export async function selectSigningKey(db: Db, merchantId: string): Promise<{ address: string; encryptedKey: string } | undefined> {
  const rows = await db.query<{ address: string; encrypted_key: string }>(
    `SELECT address, encrypted_key FROM merchant_signing_keys WHERE merchant_id = $1`,
    [merchantId],
  );
  return rows[0] ? { address: rows[0].address, encryptedKey: rows[0].encrypted_key } : undefined;
}

export async function insertApiKey(
  db: Db,
  key: { id: string; merchantId: string; lookup: string; secretHash: string; mode: "live" | "test"; description: string },
): Promise<ApiKeyRow> {
  const rows = await db.query<Row>(
    `INSERT INTO api_keys (id, merchant_id, lookup, secret_hash, mode, description) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [key.id, key.merchantId, key.lookup, key.secretHash, key.mode, key.description],
  );
  return toApiKey(rows[0]!);
}

export async function selectApiKeyByLookup(db: Db, lookup: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.query<Row>(`SELECT * FROM api_keys WHERE lookup = $1`, [lookup]);
  return rows[0] ? toApiKey(rows[0]) : undefined;
}

export async function selectApiKeys(db: Db, merchantId: string): Promise<ApiKeyRow[]> {
  return (await db.query<Row>(`SELECT * FROM api_keys WHERE merchant_id = $1 ORDER BY created_at, id`, [merchantId])).map(toApiKey);
}

/** True when the key existed, belonged to the merchant and was live until now. */
export async function revokeApiKey(db: Db, merchantId: string, keyId: string): Promise<boolean> {
  const rows = await db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND merchant_id = $2 AND revoked_at IS NULL RETURNING id`, [keyId, merchantId]);
  return rows.length === 1;
}
