-- The transaction journal of the timeout driver (docs/relayer/timeouts.md): every transaction the
-- operator key sends is written here before it leaves, so a restart never sends twice.

-- One sender per (chain, operator address) across relayer processes, renewed like ingest_leases.
CREATE TABLE tx_sender_leases (
  chain       text NOT NULL,
  sender      text NOT NULL,                          -- operator address, lower-case 0x hex
  holder      text,
  lease_until timestamptz NOT NULL,
  PRIMARY KEY (chain, sender)
);

-- What a signed action is checked against: the EIP-712 / TIP-712 domain of each driven chain.
CREATE TABLE tx_chains (
  chain      text PRIMARY KEY,
  kind       text NOT NULL,                           -- evm | tron
  chain_id   numeric(78,0) NOT NULL,
  vault      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- intended -> signed -> sent -> mined -> confirmed; sent -> replaced (a fee bump took its nonce);
-- any open state -> failed (reverted, expired, or its nonce was used by another transaction).
CREATE TABLE tx_journal (
  id                       bigserial PRIMARY KEY,
  chain                    text NOT NULL,
  sender                   text NOT NULL,
  kind                     text NOT NULL,             -- timeouts | signed_action | nonce_fill
  state                    text NOT NULL CHECK (state IN ('intended', 'signed', 'sent', 'mined', 'confirmed', 'replaced', 'failed')),
  to_address               text NOT NULL,
  data                     text NOT NULL,             -- 0x call data
  nonce                    bigint,                    -- EVM; null on TRON
  gas_limit                numeric(78,0),
  max_fee_per_gas          numeric(78,0),
  max_priority_fee_per_gas numeric(78,0),
  fee_limit_sun            numeric(78,0),             -- TRON
  expires_at_ms            bigint,                    -- TRON raw_data.expiration
  raw_tx                   text,                      -- written before broadcasting
  tx_hash                  text,
  replaces_id              bigint REFERENCES tx_journal (id),
  block_number             bigint,
  block_hash               text,
  outcome                  jsonb,                     -- e.g. executed / skipped escrow ids
  error                    text,
  sent_at                  timestamptz,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);

-- One live transaction per nonce: a second process racing an expired lease fails on insert.
CREATE UNIQUE INDEX tx_journal_live_nonce ON tx_journal (chain, sender, nonce)
  WHERE nonce IS NOT NULL AND state IN ('intended', 'signed', 'sent', 'mined', 'confirmed');
CREATE INDEX tx_journal_open ON tx_journal (chain, sender, state) WHERE state IN ('intended', 'signed', 'sent', 'mined');

-- Which escrow version (or queued action) a live transaction acts on. The primary key is the
-- "exactly one transaction per escrow" guarantee, whatever the leases do; a failed transaction
-- deletes its rows so the escrow becomes eligible again; a replacement moves them.
CREATE TABLE tx_journal_subjects (
  chain           text NOT NULL,
  subject_id      text NOT NULL,                      -- escrow id, or action:<id>
  subject_version text NOT NULL,                      -- the escrow's updated_tx_hash when reserved
  tx_id           bigint NOT NULL REFERENCES tx_journal (id),
  PRIMARY KEY (chain, subject_id, subject_version)
);
CREATE INDEX tx_journal_subjects_by_tx ON tx_journal_subjects (tx_id);

-- Party actions authorised by signature, received through the API and sent by the driver.
CREATE TABLE signed_actions (
  id           text PRIMARY KEY,                      -- act_<hex>
  chain        text NOT NULL,
  escrow_id    text NOT NULL,
  action       text NOT NULL CHECK (action IN ('release', 'refund', 'dispute')),
  amount       numeric(78,0),
  signer       text NOT NULL,
  nonce        numeric(78,0) NOT NULL,
  valid_before numeric(78,0) NOT NULL,
  signature    text NOT NULL,
  state        text NOT NULL CHECK (state IN ('queued', 'submitted', 'done', 'failed')),
  tx_id        bigint REFERENCES tx_journal (id),
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (chain, signer, nonce)
);
CREATE INDEX signed_actions_queued ON signed_actions (chain, created_at) WHERE state = 'queued';
