-- The rows a case changes over its life (the case row, its tasks, its plan's installments)
-- keep the values of the newest record that wrote them: rev_attempt and rev_seq are that
-- record's attempt (its place in the case's whole history, runs before a continue-as-new
-- included) and sequence number. A write of an older record, such as a retry of a write
-- that timed out but reached PostgreSQL after a newer one, changes nothing. Rows written
-- before this migration are older than any record (0, 0).
ALTER TABLE cases ADD COLUMN rev_attempt bigint NOT NULL DEFAULT 0, ADD COLUMN rev_seq integer NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN rev_attempt bigint NOT NULL DEFAULT 0, ADD COLUMN rev_seq integer NOT NULL DEFAULT 0;
ALTER TABLE installments ADD COLUMN rev_attempt bigint NOT NULL DEFAULT 0, ADD COLUMN rev_seq integer NOT NULL DEFAULT 0;
