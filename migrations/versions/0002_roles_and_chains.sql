-- Trust, part one: the application's role may only read and append.
-- Runs as the ledger's owner (`ledgerbridge db upgrade` with LEDGERBRIDGE_OWNER_DATABASE_URL).
-- ledgerbridge_app is a group role without login: the application's login is made a member
-- of it. Roles are cluster-wide, and migrations of several databases may run at once on one
-- server (tests do), so the role is created only when missing and a concurrent creation is
-- not an error.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledgerbridge_app') THEN
        BEGIN
            CREATE ROLE ledgerbridge_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by a migration of another database
        END;
    END IF;
END;
$$;

REVOKE ALL ON SCHEMA ledger FROM PUBLIC;
GRANT USAGE ON SCHEMA ledger TO ledgerbridge_app;
-- Tables (and views) made by later migrations get the same, as long as the owner makes them.
ALTER DEFAULT PRIVILEGES IN SCHEMA ledger GRANT SELECT, INSERT ON TABLES TO ledgerbridge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledger GRANT USAGE ON SEQUENCES TO ledgerbridge_app;

-- The hook for schemas that are not append-only, such as procrastinate's job queue: a later
-- migration, run by the owner once it has made the schema, calls
-- SELECT ledger.grant_app_read_write('procrastinate'), and the application's role may read,
-- change and delete its rows and call its functions.
CREATE FUNCTION ledger.grant_app_read_write(schema_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ledgerbridge_app', schema_name);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I'
                   ' TO ledgerbridge_app', schema_name);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I'
                   ' TO ledgerbridge_app', schema_name);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO ledgerbridge_app',
                   schema_name);
END;
$$;
REVOKE EXECUTE ON FUNCTION ledger.grant_app_read_write(text) FROM PUBLIC;

-- Trust, part two: every row carries a chain hash over its stream's previous chain hash and
-- its own content, at a gap-free position (chain_seq) in its stream.
-- record_version: a stream per (system, entity), chained by the appender itself (COPY path,
-- under the stream's advisory lock; ledger/chain.py). Every other table is one stream,
-- chained by the trigger below, whoever inserts.

-- The content a row's chain hash covers: the row as JSON without its chain hash and without
-- null fields (so that a nullable column added later leaves old rows' content unchanged),
-- with timestamps in UTC and floats in shortest exact form, whatever the session's settings.
CREATE FUNCTION ledger.chain_content(row_value anyelement) RETURNS text
LANGUAGE sql STABLE
SET timezone TO 'UTC' SET extra_float_digits TO 1
AS $$ SELECT (jsonb_strip_nulls(to_jsonb(row_value)) - 'chain_hash')::text $$;

-- SHA-256 (hex) over the previous chain hash ('' at the start of a stream) and the content.
CREATE FUNCTION ledger.next_chain_hash(previous text, content text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT encode(sha256(convert_to(coalesce(previous, '') || content, 'UTF8')), 'hex') $$;

-- Chains a row inserted into a one-stream table. The stream's advisory lock, held until the
-- end of the transaction, makes positions follow commit order; each statement in here takes
-- a fresh snapshot, so it sees the head committed by whoever held the lock before.
CREATE FUNCTION ledger.chain_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('ledger.' || TG_TABLE_NAME || ' chain', 0));
    EXECUTE format('SELECT chain_seq, chain_hash FROM ledger.%I WHERE chain_seq IS NOT NULL '
                   'ORDER BY chain_seq DESC LIMIT 1', TG_TABLE_NAME)
        INTO head_seq, head_hash;
    NEW.chain_seq := coalesce(head_seq, 0) + 1;
    NEW.chain_hash := NULL;
    NEW.chain_hash := ledger.next_chain_hash(head_hash, ledger.chain_content(NEW));
    RETURN NEW;
END;
$$;

-- Makes a one-stream table chained: columns, a unique position index, the trigger, and the
-- rows already there chained in the order of `order_by`. Later migrations that add a ledger
-- table call it too: SELECT ledger.add_chain('my_table', 'my_table_id').
CREATE FUNCTION ledger.add_chain(table_name text, order_by text) RETURNS void
LANGUAGE plpgsql
SET timezone TO 'UTC' SET extra_float_digits TO 1
AS $$
DECLARE
    existing record;
    seq bigint := 0;
    previous text;
BEGIN
    EXECUTE format('ALTER TABLE ledger.%I ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash text',
                   table_name);
    EXECUTE format('CREATE UNIQUE INDEX %I ON ledger.%I (chain_seq)', table_name || '_chain',
                   table_name);
    -- Rows from before chaining: the only UPDATE the ledger ever sees, by its owner, here.
    EXECUTE format('ALTER TABLE ledger.%I DISABLE TRIGGER refuse_update_delete', table_name);
    FOR existing IN EXECUTE format('SELECT ctid, to_jsonb(t) AS content FROM ledger.%I AS t '
                                   'ORDER BY %s', table_name, order_by)
    LOOP
        seq := seq + 1;
        previous := ledger.next_chain_hash(
            previous,
            (jsonb_strip_nulls(existing.content || jsonb_build_object('chain_seq', seq))
             - 'chain_hash')::text);
        EXECUTE format('UPDATE ledger.%I SET chain_seq = $1, chain_hash = $2 WHERE ctid = $3',
                       table_name)
            USING seq, previous, existing.ctid;
    END LOOP;
    EXECUTE format('ALTER TABLE ledger.%I ENABLE TRIGGER refuse_update_delete', table_name);
    EXECUTE format('CREATE TRIGGER chain BEFORE INSERT ON ledger.%I '
                   'FOR EACH ROW EXECUTE FUNCTION ledger.chain_row()', table_name);
END;
$$;
REVOKE EXECUTE ON FUNCTION ledger.add_chain(text, text) FROM PUBLIC;

-- Seals: the chain heads of every stream at one instant, signed with HMAC-SHA256 under a
-- key kept outside the database (`ledgerbridge ledger seal`).
CREATE TABLE ledger.seal (
    seal_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sealed_at  timestamptz NOT NULL,
    heads      jsonb NOT NULL,                       -- {"stream": [chain_seq, chain_hash]}
    signature  text NOT NULL,                        -- hex HMAC-SHA256 of sealed_at and heads
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.seal
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ledger.seal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

SELECT ledger.add_chain(chained.table_name, chained.order_by)
FROM (VALUES ('sync_run', 'run_id'), ('sync_run_end', 'run_id'), ('link', 'link_id'),
             ('write_intent', 'intent_id'), ('write_outcome', 'outcome_id'),
             ('dead_letter', 'dead_letter_id'), ('decision', 'decision_id'),
             ('match_result', 'result_id'), ('checkpoint', 'checkpoint_id'),
             ('seal', 'seal_id')) AS chained (table_name, order_by);

-- record_version: its existing rows are chained by the migration's Python side (0002_*.py),
-- which then makes the columns NOT NULL.
ALTER TABLE ledger.record_version ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash text;

-- Where each (system, entity) chain of record versions stood after each append: the next
-- append starts from the newest, found with one index descent. (An index on record_version's
-- chain_seq would cost every version an index entry; this costs every append one row.)
-- `verify` checks every one against the versions, as it checks seals.
CREATE TABLE ledger.version_chain_head (
    system      ledger.system NOT NULL,
    entity      ledger.entity NOT NULL,
    head_seq    bigint NOT NULL,
    head_hash   text NOT NULL,
    appended_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (system, entity, head_seq)
);
CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.version_chain_head
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ledger.version_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- Everything above exists now: the application's role may read it and append to it.
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ledger TO ledgerbridge_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA ledger TO ledgerbridge_app;
