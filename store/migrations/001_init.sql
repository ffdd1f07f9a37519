-- Casework schema, version 1: the overdue book, agents, cases and their business record.
-- Personal data (names, phones, addresses) lives only here, never in workflows.

CREATE TABLE accounts (
    account_id     text PRIMARY KEY,
    name           text NOT NULL,
    region         text NOT NULL,
    timezone       text NOT NULL,
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_due     bigint NOT NULL CHECK (amount_due >= 0),
    days_past_due  integer NOT NULL CHECK (days_past_due >= 0),
    status         text NOT NULL CHECK (status IN ('open', 'disputed', 'deceased', 'bankrupt', 'paid')),
    address_id     text,
    phone_id       text,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_screen ON accounts (status, days_past_due, amount_due);

CREATE SEQUENCE address_seq;
CREATE TABLE addresses (
    address_id   text PRIMARY KEY DEFAULT 'adr-' || nextval('address_seq'),
    account_id   text NOT NULL REFERENCES accounts,
    address      text NOT NULL,
    source       text NOT NULL CHECK (source IN ('import', 'agent')),
    recorded_by  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, address)
);

CREATE SEQUENCE phone_seq;
CREATE TABLE phones (
    phone_id     text PRIMARY KEY DEFAULT 'ph-' || nextval('phone_seq'),
    account_id   text NOT NULL REFERENCES accounts,
    number       text NOT NULL,
    source       text NOT NULL CHECK (source IN ('import', 'agent')),
    recorded_by  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, number)
);

CREATE TABLE agents (
    agent_id    text PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('phone', 'field', 'supervisor')),
    region      text NOT NULL,
    badge_no    text,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'field' OR badge_no IS NOT NULL)
);

CREATE TABLE cases (
    case_id         text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts,
    stage           text NOT NULL,
    outcome         text NOT NULL DEFAULT '',
    pending_action  text NOT NULL DEFAULT '',
    paused          boolean NOT NULL DEFAULT false,
    hold            boolean NOT NULL DEFAULT false,
    amount_due      bigint NOT NULL DEFAULT 0,
    amount_paid     bigint NOT NULL DEFAULT 0,
    region          text NOT NULL DEFAULT '',
    violations      integer NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz
);
CREATE INDEX cases_stage ON cases (stage, region);

CREATE TABLE tasks (
    task_id            text PRIMARY KEY,
    case_id            text NOT NULL,
    action             text NOT NULL,
    role               text NOT NULL,
    assignees          text[] NOT NULL DEFAULT '{}',
    deadline           timestamptz NOT NULL,
    not_before         timestamptz,
    not_before_reason  text NOT NULL DEFAULT '',
    address_id         text,
    status             text NOT NULL CHECK (status IN ('open', 'done', 'cancelled', 'expired')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz
);
CREATE INDEX tasks_open_assignees ON tasks USING gin (assignees) WHERE status = 'open';
CREATE INDEX tasks_case ON tasks (case_id);

CREATE TABLE visits (
    record_key         text PRIMARY KEY,
    case_id            text NOT NULL,
    agent_ids          text[] NOT NULL CHECK (cardinality(agent_ids) >= 2),
    badges_shown       boolean NOT NULL CHECK (badges_shown),
    address_id         text NOT NULL,
    visited_at         timestamptz NOT NULL,
    debtor_met         boolean NOT NULL,
    living_conditions  text NOT NULL DEFAULT '',
    employment         text NOT NULL DEFAULT '',
    monthly_capacity   bigint NOT NULL,
    willingness        text NOT NULL,
    note               text NOT NULL DEFAULT '',
    recorded_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment_plans (
    case_id    text NOT NULL,
    plan_no    integer NOT NULL,
    agreed_at  timestamptz NOT NULL,
    agreed_by  text NOT NULL,
    total      bigint NOT NULL,
    PRIMARY KEY (case_id, plan_no)
);

CREATE TABLE installments (
    case_id   text NOT NULL,
    plan_no   integer NOT NULL,
    idx       integer NOT NULL,
    due_date  date NOT NULL,
    amount    bigint NOT NULL CHECK (amount > 0),
    paid      bigint NOT NULL DEFAULT 0,
    missed    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (case_id, plan_no, idx),
    FOREIGN KEY (case_id, plan_no) REFERENCES payment_plans
);

CREATE TABLE payments (
    payment_id   text PRIMARY KEY,
    case_id      text NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0),
    paid_at      timestamptz NOT NULL,
    channel      text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_case ON payments (case_id);

-- Every reminder, keyed by case, plan, installment and reminder: sent exactly once.
CREATE TABLE outbox (
    message_key   text PRIMARY KEY,
    case_id       text NOT NULL,
    account_id    text NOT NULL,
    phone_id      text,
    channel       text NOT NULL CHECK (channel IN ('sms', 'phone')),
    installment   integer NOT NULL,
    due_date      date NOT NULL,
    amount        bigint NOT NULL,
    currency      text NOT NULL,
    scheduled_at  timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    attempts      integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_case ON outbox (case_id);

CREATE TABLE surveys (
    case_id       text PRIMARY KEY,
    agent_id      text NOT NULL,
    reached       boolean NOT NULL,
    satisfaction  integer CHECK (satisfaction BETWEEN 1 AND 5),
    complaint     boolean NOT NULL,
    comments      text NOT NULL DEFAULT '',
    recorded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE case_summaries (
    case_id         text PRIMARY KEY,
    account_id      text NOT NULL,
    outcome         text NOT NULL,
    started_at      timestamptz NOT NULL,
    closed_at       timestamptz NOT NULL,
    stage_seconds   jsonb NOT NULL,
    contacts        integer NOT NULL,
    anomalies       jsonb NOT NULL,
    amount_due      bigint NOT NULL,
    amount_paid     bigint NOT NULL,
    currency        text NOT NULL,
    region          text NOT NULL,
    renegotiations  integer NOT NULL,
    violations      integer NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
    alert_key        text PRIMARY KEY,
    case_id          text NOT NULL,
    kind             text NOT NULL,
    message          text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz
);

-- The audit log: every contact attempt and its outcome, every action accepted or rejected,
-- every guardrail violation. Append-only, enforced below; kept at least three years.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    record_key    text NOT NULL UNIQUE,
    case_id       text NOT NULL,
    at            timestamptz NOT NULL,
    kind          text NOT NULL,
    actor         text NOT NULL,
    accepted      boolean NOT NULL,
    reason        text NOT NULL DEFAULT '',
    violation     text NOT NULL DEFAULT '',
    contact       boolean NOT NULL DEFAULT false,
    detail        jsonb,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    retain_until  timestamptz NOT NULL DEFAULT now() + interval '3 years'
);
CREATE INDEX audit_log_case ON audit_log (case_id, at);
CREATE INDEX audit_log_violations ON audit_log (at) WHERE violation <> '';

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
