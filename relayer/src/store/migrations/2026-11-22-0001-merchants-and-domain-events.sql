-- Merchants, the on-chain addresses that identify them, and the domain events derived for them.
-- domain_events is the outbox: a row is written in the same transaction as the projection change
-- that caused it, and the webhook dispatcher fans it out to the merchant's endpoints.

CREATE TABLE merchants (
  id         text PRIMARY KEY,                      -- "mer_<hex>"
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Escrows and invoices are routed to a merchant by their payee address on a chain.
CREATE TABLE merchant_addresses (
  chain       text NOT NULL,                        -- configured chain name, e.g. "tron", "sepolia"
  address     text NOT NULL,                        -- lower-case 0x hex, also for TRON (base58 only at the edges)
  merchant_id text NOT NULL REFERENCES merchants (id),
  PRIMARY KEY (chain, address)
);

CREATE TABLE domain_events (
  id           text PRIMARY KEY,                    -- the webhook-id: "evt_<hex>", stable across retries and restarts
  merchant_id  text REFERENCES merchants (id),      -- null when no merchant owns the payee address
  type         text NOT NULL,                       -- invoice.paid, escrow.released, …, event.reverted
  chain        text NOT NULL,
  subject_id   text NOT NULL,                       -- the invoice/escrow id the sequence counts for
  sequence     integer NOT NULL,                    -- 1, 2, 3… per subject: receivers order by it
  payload      jsonb NOT NULL,                      -- the webhook body's "data"
  block_number bigint,                              -- null when no block caused it (invoice.created)
  block_hash   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (chain, subject_id, sequence)
);

CREATE INDEX domain_events_by_merchant ON domain_events (merchant_id, created_at, id);
CREATE INDEX domain_events_by_block ON domain_events (chain, block_number);
