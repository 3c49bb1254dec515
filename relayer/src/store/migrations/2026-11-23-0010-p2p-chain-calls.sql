-- P2P calls the relayer owes the AcceptorDesk: reservations (reserveBatch / openWithdrawal) queued by
-- the matching engine, and confirmations queued by the API, each in the transaction that moved its
-- order. The timeout driver claims them, signs for the platform and sends them through the
-- transaction journal; the desk's events then move the orders on.
CREATE TABLE p2p_chain_calls (
  id         bigserial PRIMARY KEY,
  chain      text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('reserve', 'confirm')),
  order_id   text NOT NULL,
  request    jsonb NOT NULL,                              -- ReservationRequest / ConfirmRequest, bigints as strings
  state      text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'submitted', 'failed')),
  tx_id      bigint REFERENCES tx_journal (id),
  error      text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX p2p_chain_calls_queued ON p2p_chain_calls (chain, kind, id) WHERE state = 'queued';
