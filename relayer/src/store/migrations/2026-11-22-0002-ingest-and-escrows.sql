-- Ingestion state (cursor, leader lease, recent block hashes), the raw vault events and the escrow
-- projection derived from them. One ingestion transaction writes all of these together with the
-- domain_events (outbox) rows, so they never disagree.

-- The last block whose events are fully derived, per chain. block_hash links the next range to it.
CREATE TABLE ingest_cursors (
  chain        text PRIMARY KEY,
  block_number bigint NOT NULL,
  block_hash   text,                                  -- null before the first range (start block - 1)
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One ingestion leader per chain across relayer processes: taken and renewed by a single
-- UPDATE ... WHERE holder = me OR lease_until < now() (docs/decisions/007-ingestion-leader-lease.md).
CREATE TABLE ingest_leases (
  chain       text PRIMARY KEY,
  holder      text,
  lease_until timestamptz NOT NULL
);

-- Hashes of recent processed blocks (every range end and every block with a vault event): the
-- block-hash chain a reorg is walked back on. Pruned to the reorg window.
CREATE TABLE chain_blocks (
  chain       text NOT NULL,
  number      bigint NOT NULL,
  hash        text NOT NULL,
  parent_hash text NOT NULL,
  timestamp   bigint NOT NULL,                        -- unix seconds
  PRIMARY KEY (chain, number)
);

-- Decoded vault logs, the source every projection can be rebuilt from.
CREATE TABLE chain_events (
  chain           text NOT NULL,
  block_number    bigint NOT NULL,
  block_hash      text NOT NULL,
  block_timestamp bigint NOT NULL,
  tx_hash         text NOT NULL,
  log_index       integer NOT NULL,
  event_name      text NOT NULL,                      -- EscrowOpened, EscrowReleased, …
  subject_id      text NOT NULL,                      -- invoice/escrow id, or payout:<recipient>:<token>
  args            jsonb NOT NULL,                     -- decoded fields; uint256 as decimal strings
  PRIMARY KEY (chain, block_hash, log_index)
);

CREATE INDEX chain_events_by_block ON chain_events (chain, block_number);
CREATE INDEX chain_events_by_subject ON chain_events (chain, subject_id, block_number, log_index);

-- One row per escrow (the invoice id), rebuilt from chain_events on a reorg.
CREATE TABLE escrows (
  chain              text NOT NULL,
  escrow_id          text NOT NULL,                   -- 0x bytes32, also the invoice id
  vault              text NOT NULL,
  token              text NOT NULL,
  payer              text NOT NULL,
  payee              text NOT NULL,                   -- routes to merchant_addresses
  arbiter            text NOT NULL,                   -- 0x000… when none
  amount             numeric(78,0) NOT NULL,
  remaining          numeric(78,0) NOT NULL,
  released_amount    numeric(78,0) NOT NULL,
  refunded_amount    numeric(78,0) NOT NULL,
  fee_amount         numeric(78,0) NOT NULL,
  deferred_amount    numeric(78,0) NOT NULL,
  fee_bps            integer NOT NULL,
  timeout_action     text NOT NULL,                   -- release | refund
  merchant_reference text NOT NULL,
  pay_by             bigint NOT NULL,                 -- unix seconds
  deadline           bigint NOT NULL,
  disputed_at        bigint,
  disputant          text,
  status             text NOT NULL,                   -- open | disputed | released | refunded | resolved | timed_out
  due_at             bigint,                          -- timeout executable when block time > due_at; null when closed
  opened_block       bigint NOT NULL,
  opened_tx_hash     text NOT NULL,
  updated_block      bigint NOT NULL,
  updated_tx_hash    text NOT NULL,
  PRIMARY KEY (chain, escrow_id)
);

-- The timeout driver's due index: only escrows that can still time out.
CREATE INDEX escrows_due ON escrows (chain, due_at) WHERE status IN ('open', 'disputed');
-- Newest first listing (cursor pagination) and per-payee (merchant) filtering.
CREATE INDEX escrows_by_opened ON escrows (opened_block DESC, chain DESC, escrow_id DESC);
CREATE INDEX escrows_by_payee ON escrows (chain, payee);
