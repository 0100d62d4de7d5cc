-- Serialises one kind of append until the end of the transaction, so "is this one
-- recorded already?" and the append that follows it are one step (an advisory lock: the
-- application role may insert into the ledger's tables, not lock them).
SELECT pg_advisory_xact_lock(hashtext(%(name)s))
