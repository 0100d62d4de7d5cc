-- Where the ledger stands for planning: the newest row of everything a plan reads. Each
-- value only grows; each is one index descent (record versions: the chain head of each
-- stream, one row per append).
SELECT
    (SELECT coalesce(sum(head), 0)
       FROM (SELECT max(head_seq) AS head FROM ledger.version_chain_head
             GROUP BY system, entity) AS heads) AS versions,
    (SELECT coalesce(max(link_id), 0) FROM ledger.link) AS links,
    (SELECT coalesce(max(intent_id), 0) FROM ledger.write_intent) AS intents,
    (SELECT coalesce(max(outcome_id), 0) FROM ledger.write_outcome) AS outcomes,
    (SELECT coalesce(max(dead_letter_id), 0) FROM ledger.dead_letter) AS dead_letters,
    (SELECT coalesce(max(decision_id), 0) FROM ledger.decision) AS decisions
