-- The web console's sign-in: a supervisor (or operations, for a supervisor) issues a
-- one-time code; the code is turned into a session once. Only hashes are kept. A session
-- carries its own cross-site request token; revoking an agent's tokens ends their
-- sessions and unused codes too.
CREATE TABLE signin_codes (
    code_hash   text PRIMARY KEY,
    agent_id    text NOT NULL REFERENCES agents,
    issued_by   text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX signin_codes_agent ON signin_codes (agent_id) WHERE used_at IS NULL;

CREATE TABLE console_sessions (
    session_hash  text PRIMARY KEY,
    agent_id      text NOT NULL REFERENCES agents,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX console_sessions_agent ON console_sessions (agent_id) WHERE ended_at IS NULL;
