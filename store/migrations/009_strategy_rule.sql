-- A strategy's screening rule: which of its arm's accounts start first when the capacity
-- binds: the score's expected recovery, or the plain order (most overdue, largest first).
ALTER TABLE strategies ADD COLUMN rule text NOT NULL DEFAULT 'expected-recovery'
    CHECK (rule IN ('expected-recovery', 'plain'));
