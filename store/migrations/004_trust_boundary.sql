-- The trust boundary (DESIGN.md "Who may do what").
--
-- Records scoped by case: an account whose case closed can default again, and its new case
-- (the same workflow id, a new first run) gets its own key, "<workflow id>#<n>", so its
-- records stand beside the old case's instead of colliding with them.
CREATE TABLE case_keys (
    first_run_id  text PRIMARY KEY,
    workflow_id   text NOT NULL,
    case_no       integer NOT NULL CHECK (case_no >= 1),
    case_key      text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, case_no)
);

-- A payment id is the idempotency key of a payment within its case.
ALTER TABLE payments DROP CONSTRAINT payments_pkey;
ALTER TABLE payments ADD PRIMARY KEY (case_id, payment_id);

-- Reminders: re-checked at the hand-off to the channel and skipped (with the reason) when
-- they can no longer go out inside the rules; handed over outside any transaction; a
-- permanent refusal of the channel is recorded, not retried.
ALTER TABLE outbox
    ADD COLUMN handed_at    timestamptz,
    ADD COLUMN skipped_at   timestamptz,
    ADD COLUMN skip_reason  text NOT NULL DEFAULT '',
    ADD COLUMN failed_at    timestamptz,
    ADD COLUMN error        text NOT NULL DEFAULT '';

-- Records PostgreSQL refused for their data (SQLSTATE classes 22 and 23), set aside with
-- an alert instead of being retried forever. The record is kept as escaped JSON text.
CREATE TABLE records_set_aside (
    record_key  text PRIMARY KEY,
    case_id     text NOT NULL,
    kind        text NOT NULL,
    sqlstate    text NOT NULL,
    error       text NOT NULL,
    record      text NOT NULL,
    set_aside_at timestamptz NOT NULL DEFAULT now()
);

-- Alerts acknowledged by a supervisor.
ALTER TABLE alerts ADD COLUMN acknowledged_by text;

-- API tokens expire.
ALTER TABLE agent_tokens ADD COLUMN expires_at timestamptz NOT NULL DEFAULT now() + interval '12 hours';
