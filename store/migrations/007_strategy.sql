-- Strategy (DESIGN.md "Strategy: scores, champion and challenger, lessons learned"): the
-- accounts' monthly history and outcomes the score learns from, the accounts' sex kept
-- apart for the fairness report only, and the models, versioned.
CREATE TABLE account_history (
    account_id     text NOT NULL REFERENCES accounts,
    month          date NOT NULL CHECK (extract(day FROM month) = 1),
    days_past_due  integer NOT NULL CHECK (days_past_due >= 0),
    bill_amount    bigint NOT NULL,
    paid_amount    bigint NOT NULL CHECK (paid_amount >= 0),
    credit_limit   bigint CHECK (credit_limit >= 0),
    imported_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, month)
);

-- What happened next: the label. source: the file it came from, or 'cases' (the agency's
-- own closed cases, train --from-outcomes).
CREATE TABLE account_outcomes (
    account_id   text PRIMARY KEY REFERENCES accounts,
    paid         boolean NOT NULL,
    source       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Read by the fairness report only (the four-fifths ratio); no feature reads this table.
CREATE TABLE fairness_attributes (
    account_id  text PRIMARY KEY REFERENCES accounts,
    sex         text NOT NULL CHECK (sex IN ('male', 'female', 'other', 'unknown'))
);

-- A model: its features, parameters, trees, the digest of the data it learnt from and its
-- own, and the training report. One is the champion: the screening scores with it.
CREATE TABLE models (
    version       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trained_at    timestamptz NOT NULL DEFAULT now(),
    source        text NOT NULL,
    features      jsonb NOT NULL,
    params        jsonb NOT NULL,
    model         jsonb NOT NULL,
    data_digest   text NOT NULL,
    model_digest  text NOT NULL,
    report        jsonb NOT NULL,
    champion      boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX models_one_champion ON models (champion) WHERE champion;
