-- A workflow task whose worker died before finishing it is run again, and may decide
-- differently (a later clock, an update that arrived meanwhile). Local activities of the
-- lost attempt had already written its records. Every record now carries the workflow's
-- sequence number and the attempt that made it (the history length when that workflow
-- task began, which replay sees the same); a batch of a later attempt voids the records of
-- earlier attempts from its first sequence number on: tasks become 'void', visits and
-- alerts are removed, and audit rows (append-only) are listed in voided_records. The audit
-- trail is audit_log without the voided rows.
ALTER TABLE audit_log ADD COLUMN seq integer NOT NULL DEFAULT 0, ADD COLUMN attempt bigint NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN seq integer NOT NULL DEFAULT 0, ADD COLUMN attempt bigint NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN seq integer NOT NULL DEFAULT 0, ADD COLUMN attempt bigint NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN seq integer NOT NULL DEFAULT 0, ADD COLUMN attempt bigint NOT NULL DEFAULT 0;
ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'done', 'cancelled', 'expired', 'void'));
CREATE INDEX audit_log_case_seq ON audit_log (case_id, seq);

CREATE TABLE voided_records (
    record_key  text PRIMARY KEY,
    case_id     text NOT NULL,
    voided_at   timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW audit_trail AS
    SELECT a.* FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM voided_records v WHERE v.record_key = a.record_key);
