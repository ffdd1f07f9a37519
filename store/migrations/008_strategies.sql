-- Champion and challenger strategies: a screening rule (the score's ranking), a contact path
-- and policy overrides within the deployment's bounds. Each new case joins an arm by a
-- stable hash of its account id, with the arms' shares; the champion is what the agency
-- does by default, promoted by the back office; running cases keep theirs.
CREATE TABLE strategies (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    path         text NOT NULL CHECK (path IN ('visit-first', 'phone-first')),
    share        integer NOT NULL CHECK (share BETWEEN 0 AND 100),
    policy       jsonb NOT NULL DEFAULT '{}',
    champion     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    promoted_at  timestamptz
);
CREATE UNIQUE INDEX strategies_one_champion ON strategies (champion) WHERE champion;
INSERT INTO strategies (name, path, share, champion, promoted_at) VALUES ('visit-first', 'visit-first', 100, true, now());

-- A closed case's arm, the model that ranked it and its visits, for report --by strategy.
ALTER TABLE case_summaries
    ADD COLUMN strategy       text NOT NULL DEFAULT '',
    ADD COLUMN model_version  integer NOT NULL DEFAULT 0,
    ADD COLUMN visits         integer NOT NULL DEFAULT 0;
