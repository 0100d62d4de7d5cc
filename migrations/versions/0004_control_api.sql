-- The control API's records, append-only like the rest of the ledger: API tokens (a row
-- when made, a row when revoked; only a hash of the secret), every webhook delivery (taken
-- or refused, and why), and the items each reconcile run left unmatched.

CREATE TABLE ledger.api_token (
    token_row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    action       text NOT NULL CHECK (action IN ('create', 'revoke')),
    scope        text CHECK (scope IN ('read', 'review', 'admin')),
    token_hash   text,                                -- SHA-256 (hex) of the token; never the token
    made_by      text NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((action = 'create') = (token_hash IS NOT NULL AND scope IS NOT NULL))
);
CREATE UNIQUE INDEX api_token_by_hash ON ledger.api_token (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX api_token_by_name ON ledger.api_token (name, token_row_id DESC);

-- Every webhook delivery, refused ones too. An event id is taken once per source: the
-- partial unique index is the replay protection, whatever the number of API processes.
CREATE TABLE ledger.webhook_event (
    webhook_event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           text NOT NULL,
    event_id         text,                            -- null when the body did not say
    event_type       text,
    outcome          text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    status_code      integer NOT NULL,
    reason           text,                            -- why it was refused
    body_sha256      text,
    body_bytes       integer NOT NULL,
    record_system    text,
    record_entity    text,
    record_key       text,
    run_id           bigint REFERENCES ledger.sync_run (run_id),
    received_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX webhook_event_once ON ledger.webhook_event (source, event_id)
    WHERE outcome = 'accepted';
CREATE INDEX webhook_event_by_time ON ledger.webhook_event (webhook_event_id DESC);

-- What a reconcile run left open: invoices with an amount still open and payments with an
-- amount not allocated after the run's automatic matches. One row per item and run; the
-- newest run's rows are "unmatched now", read a page at a time in key order.
CREATE TABLE ledger.unmatched_item (
    run_id           bigint NOT NULL REFERENCES ledger.sync_run (run_id),
    system           text NOT NULL,
    entity           text NOT NULL CHECK (entity IN ('sales_invoice', 'purchase_invoice', 'payment')),
    native_key       text COLLATE "C" NOT NULL,
    counterparty_key text,
    currency         text NOT NULL,
    amount           numeric NOT NULL,                -- the whole document's amount
    amount_open      numeric NOT NULL,                -- what no match accounts for
    item_date        date NOT NULL,                   -- issue date, or payment date
    reference        text,
    PRIMARY KEY (run_id, system, entity, native_key)
);
CREATE INDEX unmatched_item_by_counterparty ON ledger.unmatched_item (run_id, counterparty_key);

-- Records a person matched (a confirmed suggestion or a manual match) that no later decision
-- about the same match took back: no longer unmatched, whatever the run said.
CREATE VIEW ledger.matched_by_person AS
WITH newest AS (
    SELECT DISTINCT ON (subject->>'match') outcome, subject
    FROM ledger.decision
    WHERE kind = 'match'
    ORDER BY subject->>'match', decision_id DESC
)
SELECT record->>'system' AS system, record->>'entity' AS entity, record->>'key' AS native_key
FROM newest, jsonb_array_elements(newest.subject->'records') AS record
WHERE newest.outcome = 'confirmed';

-- Lookups the API makes: a run's results of one kind in id order; decisions about one subject
-- (a result, an intent, a dead letter, a record); the newest run of a kind.
CREATE INDEX match_result_by_kind ON ledger.match_result (run_id, kind, result_id);
CREATE INDEX decision_by_subject ON ledger.decision USING gin (subject jsonb_path_ops);
CREATE INDEX sync_run_by_kind ON ledger.sync_run (kind, run_id DESC);
CREATE INDEX write_intent_by_source ON ledger.write_intent (source_system, source_key);
CREATE INDEX write_intent_by_target ON ledger.write_intent (target_system, entity, target_key);
CREATE INDEX write_intent_needing_approval ON ledger.write_intent (intent_id)
    WHERE requires_approval;
CREATE INDEX dead_letter_by_record ON ledger.dead_letter (system, entity, native_key);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['api_token', 'webhook_event', 'unmatched_item']
    LOOP
        EXECUTE format('CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.%I '
                       'FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change()', t);
        EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON ledger.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()', t);
    END LOOP;
END;
$$;

-- The systems around KashFlow whose webhooks the API takes: an eCommerce platform (orders)
-- and a payment gateway (payments). Their events are records of their own system.
ALTER TYPE ledger.system ADD VALUE IF NOT EXISTS 'ecommerce';
ALTER TYPE ledger.system ADD VALUE IF NOT EXISTS 'gateway';
ALTER TABLE ledger.sync_run DROP CONSTRAINT sync_run_system_check,
    ADD CONSTRAINT sync_run_system_check
        CHECK (system IN ('kashflow', 'sage100', 'ecommerce', 'gateway'));
ALTER TABLE ledger.write_intent DROP CONSTRAINT write_intent_source_system_check,
    ADD CONSTRAINT write_intent_source_system_check
        CHECK (source_system IN ('kashflow', 'sage100', 'ecommerce', 'gateway'));

-- Tokens and webhook deliveries are evidence: chained like the ledger's other tables
-- (migration 0002). Unmatched items are not: each run's are derived from the versions and
-- results it read, and a chain trigger per row would cost a 100,000-item run seconds.
SELECT ledger.add_chain(chained.table_name, chained.order_by)
FROM (VALUES ('api_token', 'token_row_id'), ('webhook_event', 'webhook_event_id'))
     AS chained (table_name, order_by);
