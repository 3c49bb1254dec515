-- Scan-to-pay: one row per invoice created through the API with its deposit address (the CREATE2
-- address of the vault's forwarder, salt = invoice id). Ingestion folds the confirmed token transfers
-- into and out of the address, and the vault's and DepositRouter's events about the invoice, into the
-- running totals and the BTCPay-style status below (relayer/src/domain/deposit.ts); a reorg re-folds
-- them from chain_events, where those logs are kept like the vault's.
CREATE TABLE deposits (
  chain            text NOT NULL,
  invoice_id       text NOT NULL,
  merchant_id      text NOT NULL REFERENCES merchants (id),
  merchant_address text NOT NULL,                    -- routes the deposit.* webhooks
  deposit_address  text NOT NULL,                    -- lower-case 0x hex, 20 bytes (base58 with 0x41 on TRON)
  token            text NOT NULL,
  amount           numeric(78,0) NOT NULL,
  pay_by           bigint NOT NULL,                  -- unix seconds
  watch_until      bigint NOT NULL,                  -- transfers are watched until then (or while funds remain)
  status           text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'processing', 'settled', 'expired', 'invalid')),
  exception        text CHECK (exception IN ('paid_partial', 'paid_over', 'paid_late')),
  received         numeric(78,0) NOT NULL DEFAULT 0, -- invoice token in, all time
  received_late    numeric(78,0) NOT NULL DEFAULT 0, -- of which after pay_by
  balance          numeric(78,0) NOT NULL DEFAULT 0, -- invoice token the address holds now
  to_vault         numeric(78,0) NOT NULL DEFAULT 0, -- swept, plus accepted into new invoices
  accepted         numeric(78,0) NOT NULL DEFAULT 0,
  refunded         numeric(78,0) NOT NULL DEFAULT 0,
  stray_tokens     jsonb NOT NULL DEFAULT '{}',      -- other tokens at the address: token -> balance
  paid             boolean NOT NULL DEFAULT false,
  cancelled        boolean NOT NULL DEFAULT false,
  sweep_error      text,                             -- revert data of the last failed sweep
  updated_block    bigint,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain, invoice_id)
);
CREATE UNIQUE INDEX deposits_by_address ON deposits (chain, deposit_address);
-- Sweep candidates: the full amount arrived and nothing paid the invoice yet.
CREATE INDEX deposits_processing ON deposits (chain, pay_by) WHERE status = 'processing';
-- Deposits pay-by may expire.
CREATE INDEX deposits_unexpired ON deposits (chain, pay_by) WHERE status IN ('new', 'processing');

-- Transfers seen in blocks above the confirmation depth: one deposit.payment_seen each, never more.
CREATE TABLE deposit_sightings (
  chain        text NOT NULL,
  tx_hash      text NOT NULL,
  log_index    integer NOT NULL,
  invoice_id   text NOT NULL,
  amount       numeric(78,0) NOT NULL,
  block_number bigint NOT NULL,
  seen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain, tx_hash, log_index)
);

-- How far the unconfirmed tail has been scanned for sightings.
CREATE TABLE deposit_sighting_cursors (
  chain        text PRIMARY KEY,
  block_number bigint NOT NULL
);
