-- Production data: predictions (partitioned by day), feedback, and the registry's aliases and
-- history. Columns are the records' JSON fields, so rows and records convert with
-- jsonb_to_recordset and row_to_json.
CREATE TABLE predictions (
    schema integer NOT NULL,
    prediction_id text NOT NULL,
    at timestamptz NOT NULL,
    instance text NOT NULL,
    model_version text NOT NULL,
    text text NOT NULL,
    client_id text,
    channel text,
    meta jsonb,
    risk_score double precision NOT NULL,
    predicted_label text NOT NULL,
    threshold double precision NOT NULL,
    risk_level text NOT NULL,
    descriptors jsonb NOT NULL,
    latency_us bigint NOT NULL
) PARTITION BY RANGE (at);
-- Rows of a day whose partition could not be created land here instead of failing.
CREATE TABLE predictions_default PARTITION OF predictions DEFAULT;
-- Lookups by id (feedback, GET /predictions/{id}); time is the partition key, and a BRIN index
-- (a few pages per partition) serves the monitor's window.
CREATE INDEX predictions_id ON predictions (prediction_id);
CREATE INDEX predictions_at ON predictions USING brin (at);

CREATE TABLE feedback (
    schema integer NOT NULL,
    feedback_id text PRIMARY KEY,
    at timestamptz NOT NULL,
    instance text NOT NULL,
    prediction_id text,
    text text NOT NULL,
    label text NOT NULL,
    source text NOT NULL,
    contact text,
    comment text,
    model_version text,
    risk_score double precision
);
CREATE INDEX feedback_at ON feedback (at);
CREATE INDEX feedback_prediction ON feedback (prediction_id);

CREATE TABLE registry_aliases (
    id integer PRIMARY KEY CHECK (id = 1),
    production text,
    previous text
);
INSERT INTO registry_aliases (id) VALUES (1);

CREATE TABLE registry_history (
    seq bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    version text NOT NULL,
    replaced text,
    actor text NOT NULL,
    reason text NOT NULL
);
