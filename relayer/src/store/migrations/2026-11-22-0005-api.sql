-- The merchant HTTP API: API keys (stored hashed), invoice signing keys (encrypted under the
-- master key), invoices created through the API, and idempotency keys of POST requests.

-- A key is "sk_live_<lookup><secret>": `lookup` (its first 24 characters) finds the row, the sha256 of
-- the whole key is compared in constant time. The key itself is shown once and never stored.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,                    -- "key_<hex>"
  merchant_id  text NOT NULL REFERENCES merchants (id),
  lookup       text NOT NULL UNIQUE,
  secret_hash  text NOT NULL,                       -- sha256 hex of the whole key
  mode         text NOT NULL CHECK (mode IN ('live', 'test')),
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, created_at);

-- The private key that signs a merchant's invoices, AES-256-GCM under RELAYER_MASTER_KEY with the
-- merchant id as associated data: a copy of the database alone cannot sign invoices.
CREATE TABLE merchant_signing_keys (
  merchant_id   text PRIMARY KEY REFERENCES merchants (id),
  address       text NOT NULL,                      -- lower-case 0x hex of the key's address
  encrypted_key text NOT NULL,                      -- "v1.<nonce>.<ciphertext>.<tag>", base64url parts
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
  position                bigserial UNIQUE,         -- creation order: the keyset of list pagination
  chain                   text NOT NULL,
  invoice_id              text NOT NULL,            -- 0x bytes32: vault.hashInvoice(invoice), later the escrow id
  merchant_id             text NOT NULL REFERENCES merchants (id),
  vault                   text NOT NULL,
  merchant_address        text NOT NULL,            -- the invoice's `merchant` (payee)
  signer_address          text NOT NULL,            -- equals merchant_address unless a registered invoice signer
  token                   text NOT NULL,
  amount                  numeric(78,0) NOT NULL,
  pay_by                  bigint NOT NULL,          -- unix seconds
  hold_period             bigint NOT NULL,          -- seconds
  timeout_action          text NOT NULL CHECK (timeout_action IN ('release', 'refund')),
  arbiter                 text NOT NULL,            -- 0x000… when none
  payer                   text NOT NULL,            -- 0x000… when anyone may pay
  merchant_reference      text NOT NULL,            -- as the merchant gave it
  merchant_reference_hash text NOT NULL,            -- the bytes32 on chain: keccak256 of the UTF-8 reference
  nonce                   numeric(78,0) NOT NULL,
  signature               text NOT NULL,
  metadata                jsonb,
  expired_at              timestamptz,              -- set when chain time passed pay_by unpaid (invoice.expired)
  created_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain, invoice_id)
);

CREATE INDEX invoices_by_merchant ON invoices (merchant_id, position DESC);
CREATE INDEX invoices_by_id ON invoices (invoice_id);
CREATE INDEX invoices_unexpired ON invoices (chain, pay_by) WHERE expired_at IS NULL;

-- One row per (merchant, Idempotency-Key): the first request's hash and, once it finished, its
-- response, replayed to every retry with the same body.
CREATE TABLE idempotency_keys (
  merchant_id   text NOT NULL REFERENCES merchants (id),
  key           text NOT NULL,
  request_hash  text NOT NULL,                      -- sha256 of method, path and body
  status_code   integer,                            -- null while the first request is running (or died)
  response_body jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),        -- when the request holding the key started
  PRIMARY KEY (merchant_id, key)
);
