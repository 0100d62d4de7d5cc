"""Anomaly flags: every rule on its own, the forest, the combined score and the contract."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.anomalies import RULE_NAMES, AnomalyConfig, score_transactions
from matcher.evaluation import evaluate_anomalies
from sandbox.datagen.anomalies import CONTEXTUAL_KINDS, generate_anomaly_dataset

MONDAY = date(2026, 3, 2)


def _history(n: int = 30, counterparty: str = "CP1", net: float = 100.0) -> list[dict[str, Any]]:
    """`n` ordinary weekday invoices of one counterparty, all in their own month."""
    rows = []
    for i in range(n):
        day = MONDAY + timedelta(days=7 * i)
        amount = round(net * (1 + 0.1 * ((i % 5) - 2) / 2), 2)
        rows.append(
            {
                "transaction_id": f"{counterparty}-T{i}",
                "counterparty_id": counterparty,
                "number": f"{counterparty}-{1000 + i}",
                "date": day,
                "due_date": day + timedelta(days=30),
                "net_amount": amount,
                "tax_rate": 20.0,
                "tax_amount": round(amount * 0.2, 2),
                "line_count": 1,
                "min_quantity": 1.0,
                "period_start": day.replace(day=1),
                "period_end": (day.replace(day=28) + timedelta(days=4)).replace(day=1)
                - timedelta(days=1),
            }
        )
    return rows


def _score(rows: list[dict[str, Any]], **config: Any) -> pl.DataFrame:
    return score_transactions(pl.DataFrame(rows), AnomalyConfig(**config))


def _flags(scored: pl.DataFrame, transaction_id: str) -> dict[str, Any]:
    transaction_id = "CP1-T99" if transaction_id == "ODD" else transaction_id
    return scored.filter(pl.col("transaction_id") == transaction_id).row(0, named=True)


def _odd(**changes: Any) -> list[dict[str, Any]]:
    """The history plus one invoice "ODD" like the 11th, entered after it, with `changes`.

    It is dated the next day unless `date` is given; the due date and posting period follow
    the date unless they are given too.
    """
    rows = _history()
    odd = {**rows[10], "transaction_id": "ODD", "number": "CP1-9999"}
    changes.setdefault("date", rows[10]["date"] + timedelta(days=1))
    day = changes["date"]
    odd["due_date"] = day + timedelta(days=30)
    odd["period_start"] = day.replace(day=1)
    odd["period_end"] = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
    rows.append({**odd, **changes, "transaction_id": "CP1-T99"})  # entered last
    return rows


def test_ordinary_history_is_not_flagged() -> None:
    scored = _score(_history())
    assert not scored["is_anomaly"].any()
    assert scored["reasons"].list.len().sum() == 0


@pytest.mark.parametrize(
    "column", ["date", "due_date", "number", "nominal_code", "tax_amount", "line_count"]
)
def test_a_column_of_nulls_only_is_read_as_unknown(column: str) -> None:
    """A column with no value at all has no type (dtype Null): it is scored as if each
    value were unknown, as when the column is absent, and the frame keeps its rows."""
    rows = [{**row, column: None} for row in _history()]
    frame = pl.DataFrame(rows)
    assert frame.schema[column] == pl.Null
    scored = score_transactions(frame)
    absent = score_transactions(frame.drop(column)) if column != "date" else scored
    assert scored.height == len(rows)
    assert scored["anomaly_score"].to_list() == absent["anomaly_score"].to_list()


def test_duplicate_invoice_number_flags_the_later_entry_only() -> None:
    rows = _history()
    rows.append({**rows[3], "transaction_id": "CP1-T99", "date": rows[3]["date"] + timedelta(2)})
    scored = _score(rows)
    copy = _flags(scored, "CP1-T99")
    assert copy["is_anomaly"] and copy["rules"][0] == "duplicate_number"
    assert "Duplicate invoice number CP1-1003" in copy["reasons"][0]
    assert "CP1-T3" in copy["reasons"][0]
    assert not _flags(scored, "CP1-T3")["is_anomaly"]


def test_same_number_at_another_counterparty_is_not_a_duplicate() -> None:
    rows = _history() + _history(counterparty="CP2")
    rows.append({**rows[0], "transaction_id": "X", "counterparty_id": "CP3", "number": "CP1-1000"})
    assert not _flags(_score(rows), "X")["is_anomaly"]


def test_same_counterparty_amount_and_date_under_another_number() -> None:
    scored = _score(_odd(date=_history()[10]["date"]))
    odd = _flags(scored, "ODD")
    assert odd["is_anomaly"] and "duplicate_content" in odd["rules"]
    assert "as CP1-T10" in odd["reasons"][0]


def test_recurring_amount_on_another_day_is_not_duplicate_content() -> None:
    scored = _score(_odd(date=MONDAY + timedelta(days=400)))
    assert "duplicate_content" not in _flags(scored, "ODD")["rules"]


def test_vat_not_equal_to_net_times_rate() -> None:
    odd = _flags(_score(_odd(tax_amount=5.0)), "ODD")
    assert odd["is_anomaly"] and odd["rules"] == ["vat_mismatch"]
    assert odd["reasons"][0].startswith("VAT 5.0 is not net")


def test_vat_within_per_line_rounding_is_accepted() -> None:
    base = _history()[10]
    odd = _flags(_score(_odd(tax_amount=base["tax_amount"] + 0.02, line_count=3)), "ODD")
    assert "vat_mismatch" not in odd["rules"]


def test_negative_quantity() -> None:
    odd = _flags(_score(_odd(min_quantity=-2.0)), "ODD")
    assert odd["is_anomaly"] and odd["rules"] == ["negative_quantity"]
    assert "Negative quantity -2.0" in odd["reasons"][0]


def test_posting_outside_the_period() -> None:
    base = _history()[10]
    moved = base["period_start"] - timedelta(days=3)
    rows = _odd(date=moved, period_start=base["period_start"], period_end=base["period_end"])
    odd = _flags(_score(rows), "ODD")
    assert odd["is_anomaly"] and "outside_period" in odd["rules"]


def test_due_date_before_invoice_date() -> None:
    base = _history()[10]
    odd = _flags(_score(_odd(due_date=base["date"] - timedelta(days=5))), "ODD")
    assert odd["is_anomaly"] and "due_before_issue" in odd["rules"]


def test_amount_far_from_the_counterparty_history() -> None:
    odd = _flags(_score(_odd(net_amount=10_012.34, tax_amount=2002.47)), "ODD")
    assert odd["is_anomaly"] and "amount_outlier" in odd["rules"]
    assert "this counterparty's median" in " ".join(odd["reasons"])


def test_amount_history_needs_enough_transactions() -> None:
    rows = _history(n=3)
    rows.append({**rows[0], "transaction_id": "ODD", "number": "N", "net_amount": 9_000.0,
                 "tax_amount": 1_800.0, "date": MONDAY + timedelta(days=1)})  # fmt: skip
    odd = _score(rows).filter(pl.col("transaction_id") == "ODD").row(0, named=True)
    assert "amount_outlier" not in odd["rules"]


def test_weekend_posting_is_a_weak_signal_alone() -> None:
    saturday = MONDAY + timedelta(days=5)
    odd = _flags(_score(_odd(date=saturday, due_date=saturday + timedelta(30))), "ODD")
    assert odd["rules"] == ["weekend"] and not odd["is_anomaly"]
    assert odd["reasons"] == ["Dated on a Saturday"]


def test_round_amount_is_a_weak_signal_alone() -> None:
    rows = _history(net=1_234.56)
    rows.append({**rows[10], "transaction_id": "ODD", "number": "N", "net_amount": 1_300.0,
                 "tax_amount": 260.0, "date": rows[10]["date"] + timedelta(days=1)})  # fmt: skip
    odd = _score(rows).filter(pl.col("transaction_id") == "ODD").row(0, named=True)
    assert "round_amount" in odd["rules"] and not odd["is_anomaly"]


def test_isolation_forest_explains_what_is_unusual() -> None:
    dataset = generate_anomaly_dataset(3_000, seed=2)
    scored = score_transactions(dataset.transactions)
    forest = scored.filter(pl.col("rules").list.contains("isolation_forest"))
    assert forest.height > 0
    assert forest["reasons"].list.join(" ").str.contains("isolation score").all()


def test_signals_combine_as_independent_evidence() -> None:
    config = AnomalyConfig()
    saturday = MONDAY + timedelta(days=5)
    odd = _flags(_score(_odd(date=saturday, due_date=saturday + timedelta(30), min_quantity=-1.0)),
                 "ODD")  # fmt: skip
    expected = 1 - (1 - config.negative_quantity) * (1 - config.weekend)
    assert odd["anomaly_score"] == pytest.approx(expected, abs=1e-9)
    assert odd["rules"] == ["negative_quantity", "weekend"]  # strongest first


def test_contract_keeps_rows_order_and_extra_columns() -> None:
    rows = [{**row, "memo": f"m{i}"} for i, row in enumerate(_history())]
    scored = _score(rows)
    assert scored["transaction_id"].to_list() == [row["transaction_id"] for row in rows]
    assert scored.columns[-4:] == ["anomaly_score", "is_anomaly", "reasons", "rules"]
    assert "memo" in scored.columns
    assert scored.schema["reasons"] == pl.List(pl.Utf8)
    assert set(RULE_NAMES) >= {r for rules in scored["rules"] for r in rules}


def test_only_required_columns_are_needed() -> None:
    frame = pl.DataFrame(
        {
            "transaction_id": ["A", "B"],
            "counterparty_id": ["C", "C"],
            "date": [MONDAY, MONDAY],
            "net_amount": [10.0, 10.0],
        }
    )
    scored = score_transactions(frame)
    assert scored["rules"].to_list() == [[], ["duplicate_content"]]
    with pytest.raises(ValueError, match="net_amount"):
        score_transactions(frame.drop("net_amount"))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2"]),
            st.floats(-1e6, 1e6, allow_nan=False),
            st.floats(0, 1e5, allow_nan=False),
            st.integers(0, 60),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_score_is_in_unit_interval_and_flag_follows_threshold(
    rows: list[tuple[str, float, float, int]],
) -> None:
    frame = pl.DataFrame(
        {
            "transaction_id": [f"T{i}" for i in range(len(rows))],
            "counterparty_id": [r[0] for r in rows],
            "date": [MONDAY + timedelta(days=r[3]) for r in rows],
            "net_amount": [r[1] for r in rows],
            "tax_amount": [r[2] for r in rows],
            "tax_rate": [20.0] * len(rows),
        }
    )
    scored = score_transactions(frame)
    assert scored["anomaly_score"].is_between(0.0, 1.0).all()
    assert (scored["is_anomaly"] == (scored["anomaly_score"] >= 0.5)).all()
    assert (scored["reasons"].list.len() == scored["rules"].list.len()).all()


def test_generated_anomalies_found_with_precision_and_recall() -> None:
    dataset = generate_anomaly_dataset(10_000, seed=4)
    metrics = evaluate_anomalies(score_transactions(dataset.transactions), dataset.truth)
    assert metrics["precision"] >= 0.8 and metrics["recall"] >= 0.8


def test_context_signals_explain_but_do_not_flag_alone() -> None:
    changed = MONDAY + timedelta(days=7 * 10 + 1)
    rows = _odd(bank_details_changed=changed - timedelta(days=3), nominal_code="7100")
    rows = [{"nominal_code": "5000", **row} for row in rows]
    rows.append({**rows[5], "transaction_id": "NEW", "counterparty_id": "CP2",
                 "number": "N1", "net_amount": 6_000.0, "tax_amount": 1_200.0})  # fmt: skip
    rows.append({**rows[6], "transaction_id": "UNDER", "number": "U1", "net_amount": 4_100.0,
                 "tax_amount": 820.0, "gross_amount": 4_920.0})  # fmt: skip
    scored = _score(rows)
    odd = _flags(scored, "ODD")
    assert set(odd["rules"]) == {"recent_bank_change", "unusual_nominal"}
    assert "changed 3 days before" in " ".join(odd["reasons"])
    assert "first_invoice_large" in _flags(scored, "NEW")["rules"]
    assert "under_approval_threshold" in _flags(scored, "UNDER")["rules"]
    assert not scored.filter(pl.col("transaction_id").is_in(["ODD", "NEW"]))["is_anomaly"].any()


def test_model_alone_uses_the_forest_only() -> None:
    dataset = generate_anomaly_dataset(3_000, seed=2)
    scored = score_transactions(dataset.transactions, AnomalyConfig(use_rules=False))
    assert {r for rules in scored["rules"] for r in rules} == {"isolation_forest"}
    assert scored["is_anomaly"].any()


def test_forest_finds_the_combinations_no_single_rule_describes() -> None:
    dataset = generate_anomaly_dataset(10_000, seed=5)
    contextual = dataset.truth.with_columns(
        pl.col("kind").is_in(CONTEXTUAL_KINDS).alias("is_anomaly")
    ).filter(pl.col("kind").is_null() | pl.col("is_anomaly"))
    rules = score_transactions(dataset.transactions, AnomalyConfig(isolation_weight=0.0))
    both = score_transactions(dataset.transactions)
    rules_recall = evaluate_anomalies(rules, contextual)["recall"]
    both_recall = evaluate_anomalies(both, contextual)["recall"]
    assert rules_recall < 0.3 and both_recall >= rules_recall + 0.4
    assert evaluate_anomalies(both, dataset.truth)["precision"] >= 0.9
