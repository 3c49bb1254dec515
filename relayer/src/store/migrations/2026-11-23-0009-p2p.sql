-- P2P acceptor flows (issue 5, docs/p2p.md "Relayer", decision 012): acceptors, their terms and
-- liquidity, orders, slot free lists, the engine's audit log, the blocklist and velocity counters.

-- An acceptor is a relayer account of its own: a merchants row of kind 'acceptor' linked to the
-- platform that registered it. So it gets API keys, webhook endpoints and deliveries through the
-- existing machinery, and every merchant-scoped query keeps working unchanged.
ALTER TABLE merchants ADD COLUMN kind text NOT NULL DEFAULT 'merchant' CHECK (kind IN ('merchant', 'acceptor'));
ALTER TABLE merchants ADD COLUMN platform_id text REFERENCES merchants (id);

-- The terms the platform registered for an acceptor. Money in the token's smallest unit.
CREATE TABLE p2p_acceptors (
  acceptor_id         text PRIMARY KEY REFERENCES merchants (id),
  platform_id         text NOT NULL REFERENCES merchants (id),
  chain               text NOT NULL,
  address             text NOT NULL,                 -- the acceptor's desk account, lower-case 0x hex
  reference           text NOT NULL,                 -- the platform's own id for the acceptor
  min_amount          numeric(78,0) NOT NULL,        -- per order
  max_amount          numeric(78,0) NOT NULL,
  daily_limit         numeric(78,0) NOT NULL,        -- matched volume per UTC day
  max_open_orders     integer NOT NULL,              -- velocity: live orders at once
  max_orders_per_hour integer NOT NULL,              -- velocity: matches in any rolling hour
  fiat_methods        text[] NOT NULL,               -- e.g. {sepa, revolut}
  fiat_currencies     text[] NOT NULL,               -- ISO 4217, e.g. {EUR}
  rates               jsonb NOT NULL,                -- {"EUR": "0.9231"}: fiat per whole token, decimal strings
  online              boolean NOT NULL DEFAULT false,
  auto_accept         boolean NOT NULL DEFAULT false, -- matched orders go straight to reservation
  completed_count     integer NOT NULL DEFAULT 0,    -- orders released
  failed_count        integer NOT NULL DEFAULT 0,    -- declined, timed out, failed reservations, expired
  position            bigserial UNIQUE,              -- listing keyset
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform_id, reference),
  UNIQUE (platform_id, chain, address)
);
CREATE INDEX p2p_acceptors_matchable ON p2p_acceptors (platform_id, chain) WHERE online;

-- Liquidity of a desk account per token. Keyed by address, not by acceptor account: two platforms
-- that registered the same address share one on-chain balance, and must never both spend it.
-- free_balance is the desk's freeBalance (fed by its events); reserved is what matched orders hold
-- off chain until their reservation lands (or fails). Available = free_balance - reserved.
CREATE TABLE p2p_liquidity (
  chain        text NOT NULL,
  address      text NOT NULL,
  token        text NOT NULL,
  free_balance numeric(78,0) NOT NULL DEFAULT 0,
  reserved     numeric(78,0) NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain, address, token)
);

CREATE TABLE p2p_orders (
  order_id          text PRIMARY KEY,                -- 0x bytes32, the desk's orderId
  position          bigserial UNIQUE,                -- creation order: matching order and list keyset
  platform_id       text NOT NULL REFERENCES merchants (id),
  reference         text NOT NULL,                   -- the platform's own order id
  kind              text NOT NULL CHECK (kind IN ('deposit', 'withdrawal')),
  chain             text NOT NULL,
  token             text NOT NULL,
  amount            numeric(78,0) NOT NULL,
  token_decimals    integer NOT NULL,
  user_reference    text NOT NULL,                   -- the platform's user id: velocity and blocklist
  beneficiary       text NOT NULL,                   -- deposit: receives the release; withdrawal: refund address
  arbiter           text NOT NULL,                   -- resolves disputes on the desk; 0x000… = none
  fiat_currency     text NOT NULL,
  fiat_method       text NOT NULL,
  fiat_amount       text,                            -- decimal string at the matched acceptor's rate
  status            text NOT NULL,                   -- see domain/p2p-order.ts
  acceptor_id       text REFERENCES merchants (id),
  acceptor_address  text,
  slot              numeric(78,0),
  slot_previous     text,                            -- the slot's content the reservation states
  attempt           integer NOT NULL DEFAULT 0,      -- matches so far
  excluded          text[] NOT NULL DEFAULT '{}',    -- acceptors that declined, timed out or failed it
  payment_window_s  integer NOT NULL,                -- on-chain deadline = reservation time + this
  match_by          timestamptz NOT NULL,            -- unmatched after this: expired
  match_after       timestamptz NOT NULL DEFAULT now(), -- no eligible acceptor last time: look again after this
  accept_by         timestamptz,                     -- matched, not accepted after this: re-matched
  deadline          bigint,                          -- on-chain deadline, unix seconds
  disputed_at       bigint,
  payee_amount      numeric(78,0),
  payer_amount      numeric(78,0),
  reason            text,                            -- why it failed, was re-matched or cancelled
  version           integer NOT NULL DEFAULT 1,      -- bumped on every transition; part of event ids
  matched_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  closed_at         timestamptz,
  UNIQUE (platform_id, reference)
);
CREATE INDEX p2p_orders_to_match ON p2p_orders (match_after, position) WHERE status = 'created';
CREATE INDEX p2p_orders_accept_due ON p2p_orders (accept_by) WHERE status = 'matched';
CREATE INDEX p2p_orders_by_platform ON p2p_orders (platform_id, position DESC);
CREATE INDEX p2p_orders_by_acceptor ON p2p_orders (acceptor_id, position DESC);
CREATE INDEX p2p_orders_matched_by_acceptor ON p2p_orders (acceptor_id, matched_at);
CREATE INDEX p2p_orders_live_by_acceptor ON p2p_orders (acceptor_id, matched_at) WHERE status IN ('matched', 'reserving', 'reserved', 'paid_marked', 'confirmed', 'disputed');
CREATE INDEX p2p_orders_by_user ON p2p_orders (platform_id, user_reference, created_at);

-- Slots of a desk account: the desk stores an order's hash in a slot and a tombstone after it, so a
-- recycled slot costs 5,000 gas instead of 22,100. order_id is the live order holding the slot; a
-- slot is free when order_id is null and its current content is known (content null: read it from
-- the desk first; the allocator then opens a new slot instead).
CREATE TABLE p2p_slots (
  chain    text NOT NULL,
  address  text NOT NULL,
  slot     numeric(78,0) NOT NULL,
  content  text,                                     -- 0x bytes32 on chain now; 0x00…00 for a new slot
  order_id text,
  PRIMARY KEY (chain, address, slot)
);
CREATE INDEX p2p_slots_free ON p2p_slots (chain, address, slot) WHERE order_id IS NULL AND content IS NOT NULL;

-- Every decision the engine or an API call made about an order, with its reasons.
CREATE TABLE p2p_audit (
  id          bigserial PRIMARY KEY,
  order_id    text NOT NULL,
  platform_id text NOT NULL,
  decision    text NOT NULL,                         -- matched, unmatchable, rejected, declined, timed_out, …
  acceptor_id text,
  attempt     integer NOT NULL,
  detail      jsonb NOT NULL,                        -- candidates and weights, rejections by reason, seed, engine
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX p2p_audit_by_order ON p2p_audit (order_id, id);

CREATE TABLE p2p_blocklist (
  platform_id text NOT NULL REFERENCES merchants (id),
  kind        text NOT NULL CHECK (kind IN ('user', 'address')),
  value       text NOT NULL,                         -- user reference, or lower-case 0x hex address
  reason      text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (platform_id, kind, value)
);

-- Matched volume and count per acceptor per UTC day: the daily limit is checked against it under
-- the acceptor's row lock, so two engines cannot both spend the last of a day's limit.
CREATE TABLE p2p_acceptor_days (
  acceptor_id text NOT NULL REFERENCES merchants (id),
  day         date NOT NULL,
  volume      numeric(78,0) NOT NULL DEFAULT 0,
  orders      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (acceptor_id, day)
);
