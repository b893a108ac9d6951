-- The closed loop's records (trainer serve): its state, the audit log of decisions, revoked
-- labels and retraining jobs, each a JSON document the trainer service owns.
CREATE TABLE loop_state (
    id integer PRIMARY KEY CHECK (id = 1),
    state jsonb NOT NULL
);
CREATE TABLE loop_decisions (
    seq bigserial PRIMARY KEY,
    line jsonb NOT NULL
);
CREATE TABLE loop_revocations (
    seq bigserial PRIMARY KEY,
    line jsonb NOT NULL
);
CREATE TABLE loop_jobs (
    id text PRIMARY KEY,
    seq bigint NOT NULL,
    job jsonb NOT NULL
);
CREATE INDEX loop_jobs_seq ON loop_jobs (seq);
