-- Per-agent API tokens for the HTTP API (bin/api). Only a hash is stored; the token itself
-- is shown once, when a supervisor issues it.
CREATE TABLE agent_tokens (
    token_hash  text PRIMARY KEY,
    agent_id    text NOT NULL REFERENCES agents,
    issued_by   text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    revoked_by  text,
    revoked_at  timestamptz
);
CREATE INDEX agent_tokens_agent ON agent_tokens (agent_id) WHERE revoked_at IS NULL;
