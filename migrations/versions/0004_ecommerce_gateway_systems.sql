-- The eCommerce platform and the payment gateway around KashFlow: systems of their own.
ALTER TYPE ledger.system ADD VALUE IF NOT EXISTS 'ecommerce';
ALTER TYPE ledger.system ADD VALUE IF NOT EXISTS 'gateway';

ALTER TABLE ledger.sync_run
    DROP CONSTRAINT sync_run_system_check,
    ADD CONSTRAINT sync_run_system_check
        CHECK (system IN ('kashflow', 'sage100', 'ecommerce', 'gateway'));

-- Writes still go to KashFlow or Sage 100 only; they may come from any system.
ALTER TABLE ledger.write_intent
    DROP CONSTRAINT write_intent_source_system_check,
    ADD CONSTRAINT write_intent_source_system_check
        CHECK (source_system IN ('kashflow', 'sage100', 'ecommerce', 'gateway'));
