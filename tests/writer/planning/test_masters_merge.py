"""The two-way merge of master records over a real ledger: a field changed on one side
flows, changed on both is settled by its system of record and recorded, our own write
coming back changes nothing, and random edits on both sides converge."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from writer_outbox import apply_in_ledger, mark_succeeded

from canonical import Customer
from ledger import IdentityLink, NewVersion, append_links, append_versions, current
from writer.intents import WriteIntent
from writer.outbox import record_intents
from writer.plan import Plan, plan_all, record_conflicts
from writer.rules import Rules, load_rules

RULES = load_rules()


def _rec(intent: WriteIntent) -> Any:
    """The record an intent writes, any type (the tests know which)."""
    return intent.record


THRESHOLD = Decimal(5000)
_numbers = itertools.count(1)


def _pair(conn: psycopg.Connection[Any], **fields: Any) -> tuple[str, str]:
    """A linked customer pair holding the same `fields` on both sides."""
    code = f"C{next(_numbers):05d}"
    kashflow = Customer(system="kashflow", key=code, party_number=code, name="Acme", **fields)
    sage100 = Customer(system="sage100", key=f"01-{code}", party_number=code, name="Acme", **fields)
    append_versions(conn, [NewVersion.of(kashflow), NewVersion.of(sage100)])
    append_links(conn, None, [IdentityLink("customer", code, f"01-{code}", "confirmed")])
    return code, f"01-{code}"


def _edit(conn: psycopg.Connection[Any], system: str, key: str, **changes: Any) -> None:
    record = next(v for v in current(conn, system, "customer") if v.native_key == key).record()
    append_versions(conn, [NewVersion.of(record.model_copy(update=changes))])


def _customer(conn: psycopg.Connection[Any], system: str, key: str) -> Customer:
    record = next(v for v in current(conn, system, "customer") if v.native_key == key).record()
    assert isinstance(record, Customer)
    return record


def _plan(conn: psycopg.Connection[Any], rules: Rules = RULES) -> Plan:
    return plan_all(conn, rules, approval_threshold=THRESHOLD, flows=["customers"])


def _mine(plan: Plan, *keys: str) -> Plan:
    """The part of a plan about these records (the ledger may hold others)."""
    return Plan(
        [i for i in plan.intents if i.target_key in keys],
        [c for c in plan.conflicts if c.kashflow_key in keys],
        [r for r in plan.rejections if r.key in keys],
    )


def test_a_field_changed_on_one_side_flows_once_and_its_echo_plans_nothing(
    conn: psycopg.Connection[Any],
) -> None:
    kashflow_key, sage100_key = _pair(conn, email="a@acme.test", city="Leeds")
    assert not _mine(_plan(conn), kashflow_key, sage100_key).intents

    _edit(conn, "kashflow", kashflow_key, email="accounts@acme.test")
    plan = _mine(_plan(conn), kashflow_key, sage100_key)
    [intent] = plan.intents
    assert (intent.flow, intent.operation, intent.target_key) == (
        "customer_to_sage100",
        "update",
        sage100_key,
    )
    assert _rec(intent).email == "accounts@acme.test"
    assert _rec(intent).city == "Leeds"
    assert intent.source_version == 2 and not plan.conflicts

    record_intents(conn, plan.intents)
    assert not _mine(_plan(conn), kashflow_key, sage100_key).intents, "planned twice"

    mark_succeeded(conn, plan.intents)  # applied; now our write comes back from Sage:
    append_versions(conn, [NewVersion.of(intent.record)])
    assert not _mine(_plan(conn), kashflow_key, sage100_key).intents, "echo written back"

    _edit(conn, "sage100", sage100_key, city="York")
    [back] = _mine(_plan(conn), kashflow_key, sage100_key).intents
    assert (back.flow, back.target_key, _rec(back).city) == (
        "customer_to_kashflow",
        kashflow_key,
        "York",
    )
    assert _rec(back).email == "accounts@acme.test"


def test_a_field_changed_on_both_sides_goes_to_its_system_of_record_and_is_recorded(
    conn: psycopg.Connection[Any],
) -> None:
    kashflow_key, sage100_key = _pair(conn, credit_limit=Decimal(1000))
    # A first write between them sets the merge base.
    _edit(conn, "kashflow", kashflow_key, city="Leeds")
    apply_in_ledger(conn, _mine(_plan(conn), kashflow_key, sage100_key).intents)

    _edit(conn, "kashflow", kashflow_key, credit_limit=Decimal(2000), name="Acme Ltd")
    _edit(conn, "sage100", sage100_key, credit_limit=Decimal(3000), name="ACME Limited")
    plan = _mine(_plan(conn), kashflow_key, sage100_key)
    by_target = {i.target_system: i for i in plan.intents}
    # credit_limit belongs to Sage 100, the name to KashFlow (defaults.toml).
    assert _rec(by_target["kashflow"]).credit_limit == Decimal(3000)
    assert _rec(by_target["sage100"]).name == "Acme Ltd"
    assert {(c.field, c.winner) for c in plan.conflicts} == {
        ("credit_limit", "sage100"),
        ("name", "kashflow"),
    }
    assert record_conflicts(conn, plan) == 2
    assert record_conflicts(conn, plan) == 0, "a conflict is recorded once"
    subjects = conn.execute(
        "SELECT subject, outcome FROM ledger.decision WHERE kind = 'merge_conflict'"
        " AND subject ->> 'kashflow_key' = %s ORDER BY subject ->> 'field'",
        (kashflow_key,),
    ).fetchall()
    assert [(s["field"], s["base_value"], outcome) for s, outcome in subjects] == [
        ("credit_limit", "1000", "sage100"),
        ("name", "Acme", "kashflow"),
    ]


def test_unpaired_records_are_created_on_the_other_side_once(
    conn: psycopg.Connection[Any],
) -> None:
    new = Customer(
        system="kashflow",
        key="NEWCO1",
        party_number="NEWCO1",
        name="New Co",
        phone="01632 960123",
        region="West Yorkshire",
        address_lines=("Unit 4", "Mill Lane"),
    )
    append_versions(conn, [NewVersion.of(new)])
    [intent] = [i for i in _plan(conn).intents if i.source_key == "NEWCO1"]
    assert (intent.operation, intent.target_system, intent.target_key) == (
        "create",
        "sage100",
        "01-NEWCO1",
    )
    assert _rec(intent).phone == "+44 1632 960123"
    assert _rec(intent).region == "We"
    assert any("region 'West Yorkshire' cut to 2 characters" in w for w in intent.warnings)
    record_intents(conn, [intent])
    assert not [i for i in _plan(conn).intents if i.source_key == "NEWCO1"]

    # A Sage record already holding that key but not linked: never a second customer.
    clash = new.model_copy(update={"key": "CLASH1", "party_number": "CLASH1"})
    append_versions(
        conn,
        [
            NewVersion.of(clash),
            NewVersion.of(clash.model_copy(update={"system": "sage100", "key": "01-CLASH1"})),
        ],
    )
    plan = _plan(conn)
    assert not [i for i in plan.intents if "CLASH1" in i.target_key]
    assert any(r.key == "CLASH1" and "link them" in r.message for r in plan.rejections)


EDITS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["Acme", "Acme Ltd", "ACME Trading"]),
        "email": st.sampled_from(["a@acme.test", "b@acme.test", None]),
        "city": st.sampled_from(["Leeds", "York", None]),
        "credit_limit": st.sampled_from([Decimal(1000), Decimal(2500), None]),
    },
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=st.lists(st.tuples(EDITS, EDITS), min_size=1, max_size=4))
def test_random_edits_on_both_sides_converge_with_every_conflict_recorded(
    conn: psycopg.Connection[Any],
    rounds: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    kashflow_key, sage100_key = _pair(conn, email="a@acme.test", city="Leeds")
    _edit(conn, "kashflow", kashflow_key, phone="01632 960000")  # a first sync: the base
    apply_in_ledger(conn, _mine(_plan(conn), kashflow_key, sage100_key).intents)
    rules = RULES.masters.customer
    agreed: dict[str, Any] = {
        "name": "Acme",
        "email": "a@acme.test",
        "city": "Leeds",
        "credit_limit": None,
    }
    conflicts = 0
    for kashflow_edits, sage100_edits in rounds:
        if kashflow_edits:
            _edit(conn, "kashflow", kashflow_key, **kashflow_edits)
        if sage100_edits:
            _edit(conn, "sage100", sage100_key, **sage100_edits)
        expected_conflicts = set()
        for name, before in list(agreed.items()):
            left = kashflow_edits.get(name, before)
            right = sage100_edits.get(name, before)
            if left != before and right != before and left != right:
                expected_conflicts.add(name)
                agreed[name] = left if rules.owner(name) == "kashflow" else right
            else:
                agreed[name] = left if left != before else right

        plan = _mine(_plan(conn), kashflow_key, sage100_key)
        assert {c.field for c in plan.conflicts} == expected_conflicts
        assert not any(c.first_sync for c in plan.conflicts)
        conflicts += record_conflicts(conn, plan)
        apply_in_ledger(conn, plan.intents)

        assert not _mine(_plan(conn), kashflow_key, sage100_key).intents, "did not settle"
        for system, key in (("kashflow", kashflow_key), ("sage100", sage100_key)):
            held = _customer(conn, system, key)
            assert {name: getattr(held, name) for name in agreed} == agreed, system
    recorded = conn.execute(
        "SELECT count(*) FROM ledger.decision WHERE kind = 'merge_conflict'"
        " AND subject ->> 'kashflow_key' = %s",
        (kashflow_key,),
    ).fetchone()
    assert recorded == (conflicts,)
