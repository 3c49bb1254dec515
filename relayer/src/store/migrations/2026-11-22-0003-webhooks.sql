-- Webhooks: endpoints and their signing secrets, one delivery per domain event per endpoint, and the
-- log of every attempt. The dispatcher fans domain_events (the outbox) out into deliveries once,
-- then leases due deliveries with FOR UPDATE SKIP LOCKED so several processes never send the same
-- delivery at the same time.

CREATE TABLE webhook_endpoints (
  id              text PRIMARY KEY,                 -- "ep_<hex>"
  merchant_id     text NOT NULL REFERENCES merchants (id),
  url             text NOT NULL,
  description     text NOT NULL DEFAULT '',
  event_types     text[],                           -- null: every event type
  status          text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  disabled_reason text CHECK (disabled_reason IN ('manual', 'gone', 'failing')),
  disabled_at     timestamptz,
  failing_since   timestamptz,                      -- first failed attempt since the last success
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id, created_at, id);

-- HMAC needs the secret itself, so it cannot be stored hashed. It is stored as issued ("whsec_…"),
-- never logged, and returned only by the call that creates it. Several rows are live during a
-- rotation: the newest has no expiry, the older ones sign alongside it until expires_at.
CREATE TABLE webhook_endpoint_secrets (
  id          bigserial PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz
);

CREATE INDEX webhook_endpoint_secrets_by_endpoint ON webhook_endpoint_secrets (endpoint_id, created_at);

-- The fan-out marker: a domain event listed here has its deliveries; it is never fanned out again.
CREATE TABLE webhook_fanned_out_events (
  event_id      text PRIMARY KEY REFERENCES domain_events (id) ON DELETE CASCADE,
  fanned_out_at timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,                -- "dlv_<hex>"
  event_id         text NOT NULL REFERENCES domain_events (id) ON DELETE CASCADE,
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- pending: due at next_attempt_at, not tried yet; delivering: leased until lease_until;
  -- failed: tried, next try at next_attempt_at; succeeded; dead: no more automatic tries.
  status           text NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead')),
  attempt_count    integer NOT NULL DEFAULT 0,      -- attempts since creation or the last redelivery
  next_attempt_at  timestamptz,
  lease_until      timestamptz,
  leased_by        text,
  first_failure_at timestamptz,
  last_status_code integer,
  last_error       text,
  succeeded_at     timestamptz,
  redelivered_at   timestamptz,                     -- set by a manual redelivery: its attempts are logged as 'manual'
  created_at       timestamptz NOT NULL,
  UNIQUE (event_id, endpoint_id)
);

-- The lease query walks only rows that can become due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE status = 'delivering';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at, id);

-- The delivery log: one row per HTTP attempt, bodies truncated by the sender.
CREATE TABLE webhook_attempts (
  id               bigserial PRIMARY KEY,
  delivery_id      text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt_number   integer NOT NULL,
  trigger          text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  worker_id        text NOT NULL,
  url              text NOT NULL,
  request_headers  jsonb NOT NULL,                  -- signatures included; secrets never are
  request_body     text NOT NULL,
  response_status  integer,
  response_headers jsonb,
  response_body    text,
  duration_ms      integer NOT NULL,
  outcome          text NOT NULL,                   -- succeeded, http_error, redirect, timeout, network_error, refused
  error            text,
  started_at       timestamptz NOT NULL
);

CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
