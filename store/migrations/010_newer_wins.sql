-- The rows a case changes over its life (the case row, its tasks, its plan's installments)
-- keep the values of the newest record that wrote them: rev_at and rev_seq are that
-- record's time (the workflow task's, which a later task, a retried attempt of a lost one
-- and a reset run all see later) and its sequence number within the task. A write of an
-- older record, such as a try that timed out but reached PostgreSQL after a newer one,
-- changes nothing. Rows written before this migration are older than any record.
-- Adding a column with a constant default rewrites no row (PostgreSQL 11 and later); the
-- locks are short, and not waited for long behind a busy table.
SET LOCAL lock_timeout = '10s';
ALTER TABLE tasks ADD COLUMN rev_at timestamptz NOT NULL DEFAULT '-infinity', ADD COLUMN rev_seq integer NOT NULL DEFAULT 0;
ALTER TABLE installments ADD COLUMN rev_at timestamptz NOT NULL DEFAULT '-infinity', ADD COLUMN rev_seq integer NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN rev_at timestamptz NOT NULL DEFAULT '-infinity', ADD COLUMN rev_seq integer NOT NULL DEFAULT 0;
