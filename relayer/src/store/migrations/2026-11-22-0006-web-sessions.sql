-- Merchant dashboard sessions: an API key exchanged for a cookie. The cookie holds a random token;
-- only its sha256 is stored, so a copy of the database cannot be replayed as a login. A session
-- ends at expires_at, on logout, or as soon as the API key it was opened with is revoked.
CREATE TABLE web_sessions (
  token_hash  text PRIMARY KEY,                     -- sha256 hex of the cookie's token
  merchant_id text NOT NULL REFERENCES merchants (id),
  api_key_id  text NOT NULL REFERENCES api_keys (id),
  csrf_token  text NOT NULL,                        -- echoed in every form and fetch that changes state
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
