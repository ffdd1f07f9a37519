-- A case of a deployment that declares itself a simulation (short case days: the demo,
-- tests, benchmarks) says so in its summary, and the report says how many it counts.
ALTER TABLE case_summaries ADD COLUMN simulation boolean NOT NULL DEFAULT false;
