-- CDC state kept with the data, append-only like the rest of the ledger.

-- How often each (system, entity) stream is polled: the newest row per stream wins;
-- a NULL interval means "off". Rows are only ever added (`ledgerbridge schedule set`).
CREATE TABLE ledger.schedule (
    schedule_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system           text NOT NULL CHECK (system IN ('kashflow', 'sage100')),
    entity           text NOT NULL,
    interval_seconds integer CHECK (interval_seconds IS NULL OR interval_seconds > 0),
    set_by           text NOT NULL DEFAULT current_user,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX schedule_by_stream ON ledger.schedule (system, entity, schedule_id DESC);

-- The hash of each KashFlow list summary as last seen (NULL digest: gone from the list).
-- A row is added only when a summary changes, so an idle sweep adds nothing.
CREATE TABLE ledger.scan_digest (
    digest_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system     text NOT NULL CHECK (system IN ('kashflow', 'sage100')),
    entity     text NOT NULL,
    native_key text COLLATE "C" NOT NULL,
    digest     text,
    run_id     bigint REFERENCES ledger.sync_run (run_id),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX scan_digest_by_key ON ledger.scan_digest (system, entity, native_key, digest_id DESC);

-- Which poll runs a stream has had, newest first: the scheduler asks "when did this
-- stream last start?" and orphaned runs are found by stream.
CREATE INDEX sync_run_by_stream ON ledger.sync_run (kind, system, entity, run_id DESC);

-- Append-only and hash-chained like every ledger table (migration 0002).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['schedule', 'scan_digest']
    LOOP
        EXECUTE format('CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.%I '
                       'FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change()', t);
        EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ledger.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()', t);
    END LOOP;
END;
$$;
SELECT ledger.add_chain('schedule', 'schedule_id');
SELECT ledger.add_chain('scan_digest', 'digest_id');
