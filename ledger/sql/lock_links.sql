-- Serialises appends to ledger.link until the end of the transaction, so the check
-- "is this pair linked already?" and the append that follows it are one step.
SELECT pg_advisory_xact_lock(hashtext('ledger.link'))
