-- The append-only ledger: every observed version of every record of both systems,
-- identity links, the write outbox, dead letters, human decisions and matcher results.
-- Nothing here is ever updated or deleted: triggers refuse it, whatever the role.

CREATE SCHEMA IF NOT EXISTS ledger;

CREATE FUNCTION ledger.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only: % on %.% is refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'append a new version (or a delete version) instead';
END;
$$;

CREATE TYPE ledger.system AS ENUM ('kashflow', 'sage100');
CREATE TYPE ledger.entity AS ENUM (
    'customer', 'supplier', 'product', 'stock_level', 'gl_account', 'sales_invoice',
    'purchase_invoice', 'payment', 'journal_entry', 'order_status');
CREATE TYPE ledger.operation AS ENUM ('upsert', 'delete');

CREATE TABLE ledger.sync_run (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,                       -- ledger.runs.RunKind: poll, webhook, reconcile
    system      text CHECK (system IN ('kashflow', 'sage100')),
    entity      text,
    parameters  jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- How a run ended: a second row, since the first is never updated.
CREATE TABLE ledger.sync_run_end (
    run_id      bigint PRIMARY KEY REFERENCES ledger.sync_run (run_id),
    status      text NOT NULL CHECK (status IN ('succeeded', 'failed', 'partial')),
    counts      jsonb NOT NULL DEFAULT '{}'::jsonb,
    error       text,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE ledger.record_version (
    system            ledger.system NOT NULL,
    entity            ledger.entity NOT NULL,
    native_key        text COLLATE "C" NOT NULL CHECK (native_key <> ''),  -- byte order: cheaper keys
    version           integer NOT NULL CHECK (version >= 1),
    operation         ledger.operation NOT NULL,
    payload           jsonb,                         -- canonical record, null for a delete
    raw               jsonb,                         -- the system's native row, as read
    content_hash      text NOT NULL,
    source_updated_at timestamptz,
    observed_at       timestamptz NOT NULL,
    run_id            bigint,                        -- ledger.sync_run; no FK: a per-row check
                                                     -- on the hottest path, and runs are never
                                                     -- deleted
    PRIMARY KEY (system, entity, native_key, version),
    CHECK ((operation = 'delete') = (payload IS NULL))
);

-- Newest version per record: the current state, deletes included (callers filter them).
CREATE VIEW ledger.newest_version AS
SELECT DISTINCT ON (system, entity, native_key) *
FROM ledger.record_version
ORDER BY system, entity, native_key, version DESC;

-- Current state: the newest version of every record that is not deleted.
CREATE VIEW ledger.current_record AS
SELECT * FROM ledger.newest_version WHERE operation = 'upsert';

-- State as of any instant: what the ledger had observed by then.
CREATE FUNCTION ledger.records_as_of(at_time timestamptz)
RETURNS SETOF ledger.record_version
LANGUAGE sql STABLE AS $$
    SELECT newest.* FROM (
        SELECT DISTINCT ON (system, entity, native_key) *
        FROM ledger.record_version
        WHERE observed_at <= at_time
        ORDER BY system, entity, native_key, version DESC
    ) AS newest
    WHERE newest.operation = 'upsert'
$$;

-- Identity links between a KashFlow record and its Sage 100 counterpart.
CREATE TABLE ledger.link (
    link_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity        text NOT NULL,
    kashflow_key  text NOT NULL,
    sage100_key   text NOT NULL,
    action        text NOT NULL DEFAULT 'link' CHECK (action IN ('link', 'unlink')),
    method        text NOT NULL CHECK (method IN ('created_by_us', 'matched', 'confirmed')),
    score         double precision,
    decided_by    text,
    run_id        bigint REFERENCES ledger.sync_run (run_id),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX link_kashflow ON ledger.link (entity, kashflow_key, link_id);
CREATE INDEX link_sage100 ON ledger.link (entity, sage100_key, link_id);

CREATE VIEW ledger.current_link AS
SELECT * FROM (
    SELECT DISTINCT ON (entity, kashflow_key, sage100_key) *
    FROM ledger.link
    ORDER BY entity, kashflow_key, sage100_key, link_id DESC
) AS newest
WHERE action = 'link';

-- The outbox: what we mean to write, keyed by an idempotency key, recorded before the call.
CREATE TABLE ledger.write_intent (
    intent_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key   text NOT NULL UNIQUE,
    target_system     text NOT NULL CHECK (target_system IN ('kashflow', 'sage100')),
    entity            text NOT NULL,
    operation         text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    source_system     text CHECK (source_system IN ('kashflow', 'sage100')),
    source_key        text,
    target_key        text,
    payload           jsonb NOT NULL,
    depends_on        text[] NOT NULL DEFAULT '{}',
    requires_approval boolean NOT NULL DEFAULT false,
    run_id            bigint REFERENCES ledger.sync_run (run_id),
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Every step of applying an intent: recovery points and the final result, one row each.
CREATE TABLE ledger.write_outcome (
    outcome_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL REFERENCES ledger.write_intent (idempotency_key),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    recovery_point  text NOT NULL,
    status          text NOT NULL CHECK (status IN (
                        'started', 'in_progress', 'succeeded', 'failed_transient',
                        'failed_permanent')),
    target_key      text,
    error           jsonb,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX write_outcome_by_key ON ledger.write_outcome (idempotency_key, outcome_id);

CREATE TABLE ledger.dead_letter (
    dead_letter_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stage           text NOT NULL,                   -- cdc, writer, matcher
    system          text,
    entity          text,
    native_key      text,
    idempotency_key text,
    error_type      text NOT NULL,
    field           text,
    message         text NOT NULL,
    payload         jsonb,
    run_id          bigint REFERENCES ledger.sync_run (run_id),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Who decided what, and when: confirmations, acceptances, approvals, retries.
CREATE TABLE ledger.decision (
    decision_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    subject     jsonb NOT NULL,
    outcome     text NOT NULL,
    actor       text NOT NULL,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX decision_by_kind ON ledger.decision (kind, decision_id);

-- What the matcher found in a reconcile run: payment groups, master links, anomalies,
-- GL suggestions, each with its score, status and the rules that fired.
CREATE TABLE ledger.match_result (
    result_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES ledger.sync_run (run_id),
    kind        text NOT NULL CHECK (kind IN ('payment', 'master', 'anomaly', 'gl_suggestion')),
    group_id    text NOT NULL,
    left_system text,
    left_entity text,
    left_key    text,
    right_system text,
    right_entity text,
    right_key   text,
    amount      numeric,
    score       double precision NOT NULL CHECK (score >= 0 AND score <= 1),
    status      text NOT NULL,
    rules       text[] NOT NULL DEFAULT '{}',
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX match_result_by_run ON ledger.match_result (run_id, kind);

-- Where each change stream stands (cursor, watermark, scan state), kept with the data.
CREATE TABLE ledger.checkpoint (
    checkpoint_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream        text NOT NULL,
    position      jsonb NOT NULL,
    run_id        bigint REFERENCES ledger.sync_run (run_id),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX checkpoint_by_stream ON ledger.checkpoint (stream, checkpoint_id DESC);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sync_run', 'sync_run_end', 'record_version', 'link',
                             'write_intent', 'write_outcome', 'dead_letter', 'decision',
                             'match_result', 'checkpoint']
    LOOP
        EXECUTE format('CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.%I '
                       'FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change()', t);
        EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ledger.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()', t);
    END LOOP;
END;
$$;
