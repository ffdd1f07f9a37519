-- The runtime role's privileges (DESIGN.md "Who may do what"). The database has two roles:
-- the owner, which runs the migrations and owns every table, and the runtime role of the
-- programs, which reads and writes rows and nothing more. store.Migrate runs this file as
-- the owner after the migrations, every time, in one transaction (inside the migration
-- lock), with the runtime role's name in the setting casework.runtime_role. It starts from
-- nothing: whatever is not granted here is revoked. By hand, in psql, as the owner:
--
--   BEGIN;
--   SET LOCAL casework.runtime_role = 'casework_app';
--   \i store/grants.sql
--   COMMIT;
--
-- The schema is the migrations' own (current_schema(): public).
DO $grants$
DECLARE
    app text := quote_ident(current_setting('casework.runtime_role'));
    s   text := quote_ident(current_schema());
    r   record;
BEGIN
    -- Only the owner creates objects in the schema (no trigger function of the runtime
    -- role's own, no table that would shadow one of ours).
    EXECUTE format('REVOKE CREATE ON SCHEMA %s FROM PUBLIC, %s', s, app);
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %s', s, app);

    -- From nothing.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %s FROM PUBLIC, %s', s, app);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %s FROM PUBLIC, %s', s, app);

    -- Rows of every table: read, add, change, remove (never TRUNCATE, REFERENCES, TRIGGER).
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s', s, app);
    -- Views are read only: a simple view is updatable, and writes its table with the
    -- rights of the view's owner (audit_trail would reach audit_log).
    FOR r IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm') LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %s.%I FROM %s', s, r.relname, app);
    END LOOP;
    -- The audit log and the voided-records list are append-only for the runtime role.
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s.audit_log, %s.voided_records FROM %s', s, s, app);
    -- The migrations' ledger is the owner's.
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s.schema_migrations FROM %s', s, app);

    -- Sequences (address_seq, phone_seq, the bigserial ids): nextval and currval, no setval.
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO %s', s, app);
END
$grants$;
