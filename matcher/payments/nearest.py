"""What stands between an unmatched payment and the invoices nearest to it.

`nearest_candidates` reads the same frames as `match_payments`, and its result, and for
each payment left unmatched lists up to ``k`` open invoices nearest to it (those its
reference names, exactly or one slip away, and its payer's invoices nearest in amount
above and below), each with one line saying what differs: "2.0% under invoice 10431,
inside its terms 01's discount", "1.6% under invoice 0004431, its terms' discount taken
6 days after the discount date", "27.50 under invoice INV-0001203: a bank fee?".
"""

from __future__ import annotations

import polars as pl

from matcher.payments.amount_pairs import known_payer_amounts, payer_invoices
from matcher.payments.config import MatchConfig
from matcher.payments.currencies import in_invoice_currency
from matcher.payments.inputs import (
    check_inputs,
    named_invoices,
    prepare_invoices,
    prepare_payments,
)
from matcher.references import one_slip_apart

NEAREST_SCHEMA = pl.Schema(
    {
        "payment_id": pl.String(),
        "rank": pl.UInt32(),
        "invoice_id": pl.String(),
        "difference": pl.Decimal(38, 2),
        "difference_pct": pl.Float64(),
        "explanation": pl.String(),
    }
)
"""One row per (unmatched payment, nearby invoice): ``difference`` is payment less open
amount (in the invoice's currency), ``difference_pct`` its share of the open amount."""


def nearest_candidates(
    payments: pl.DataFrame,
    invoices: pl.DataFrame,
    result: pl.DataFrame,
    config: MatchConfig | None = None,
    rates: pl.DataFrame | None = None,
    k: int = 3,
) -> pl.DataFrame:
    """For each payment absent from ``result`` (what `match_payments` returned), its ``k``
    nearest open invoices, best first: named by the reference, then one slip from it,
    then the rest, each by the size of the difference. Invoices already fully allocated
    in ``result`` are not offered; a partly allocated one is offered with what is left."""
    cfg = config or MatchConfig()
    check_inputs(payments, invoices, rates)
    invs = prepare_invoices(invoices).join(
        invoices.select(pl.col("invoice_id").cast(pl.String), pl.col("number").cast(pl.String)),
        on="invoice_id",
        how="left",
        maintain_order="left",
    )
    used = result.group_by("invoice_id").agg(
        (pl.col("allocated_amount").cast(pl.Float64).sum() * 100).round(0).cast(pl.Int64)
    )
    invs = (
        invs.join(
            used.rename({"allocated_amount": "used"}),
            on="invoice_id",
            how="left",
            maintain_order="left",
        )
        .with_columns((pl.col("cents") - pl.col("used").fill_null(0)).alias("cents"))
        .filter(pl.col("cents") > 0)
        .drop("used")
    )
    pays = in_invoice_currency(prepare_payments(payments), invs, rates, cfg)
    pays = pays.join(result.select("payment_id").unique(), on="payment_id", how="anti")
    if pays.height == 0 or invs.height == 0:
        return pl.DataFrame(schema=NEAREST_SCHEMA)
    pairs = _nearby(pays, invs, cfg)
    ranked = (
        pairs.with_columns(
            (pl.col("paid") - pl.col("owed")).alias("diff"),
        )
        .sort("payment_id", "how", "diff_abs", "invoice_id")
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("payment_id").cast(pl.UInt32).alias("rank")
        )
        .filter(pl.col("rank") <= k)
    )
    return ranked.select(
        "payment_id",
        "rank",
        "invoice_id",
        (pl.col("diff").cast(pl.Decimal(38, 2)) / 100).alias("difference"),
        (pl.col("diff") / pl.col("owed") * 100).round(2).alias("difference_pct"),
        _explanation(cfg).alias("explanation"),
    ).cast(NEAREST_SCHEMA)


def _nearby(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """(payment, invoice) pairs worth showing: named by the reference, exactly or one
    slip away (same payer), and the payer's nearest invoices above and below in amount."""
    payer = payer_invoices(invs)
    named = named_invoices(pays, invs).with_columns(pl.lit(0).alias("how"))
    known = known_payer_amounts(pays)
    # Ties broken by row, so which of a payer's invoices of one amount is met is the same
    # whatever order an unstable sort leaves them in.
    right = payer.select("inv", "cp", "cur", pl.col("cents").alias("key")).sort("key", "inv")
    near = [
        known.join_asof(
            right, on="key", by=["cp", "cur"], strategy=strategy, check_sortedness=False
        )
        .drop_nulls("inv")
        .select("pay", "inv", pl.lit(2).alias("how"))
        for strategy in ("forward", "backward")
    ]
    slips = (
        known.join(pays.select("pay", "ref_longest"), on="pay")
        .drop_nulls("ref_longest")
        .join(payer.select("inv", "cp", "num_key"), on="cp")
    )
    slips = slips.filter(one_slip_apart(slips["ref_longest"], slips["num_key"])).select(
        "pay", "inv", pl.lit(1).alias("how")
    )
    found = pl.concat([named, *near, slips]).group_by("pay", "inv").agg(pl.col("how").min())
    return (
        found.join(pays, on="pay")
        .join(invs.rename({"cents": "owed"}), on="inv")
        .filter(pl.col("p_cur") == pl.col("i_cur"))
        .with_columns(
            pl.col("cents").alias("paid"),
            (pl.col("cents") - pl.col("owed")).abs().alias("diff_abs"),
            ((pl.col("p_cp") == pl.col("i_parent")) & (pl.col("p_cp") != pl.col("i_cp")))
            .fill_null(False)
            .alias("via_parent"),
        )
    )


def _explanation(cfg: MatchConfig) -> pl.Expr:
    """One line: how far from the invoice, and what would explain (or not) the gap."""
    diff, owed = pl.col("diff"), pl.col("owed")
    pct = (diff.abs() / owed * 100).round(1).cast(pl.String)
    money = (diff.abs().cast(pl.Decimal(38, 2)) / 100).cast(pl.String)
    gap = (
        pl.when(diff == 0)
        .then(pl.format("equal to invoice {}", "number"))
        .when(diff < 0)
        .then(pl.format("{}% ({}) under invoice {}", pct, money, "number"))
        .otherwise(pl.format("{}% ({}) over invoice {}", pct, money, "number"))
    )
    late_by = pl.col("p_day") - pl.col("disc_day")
    at_terms = ((pl.col("owed") - pl.col("disc_cents") - pl.col("paid")).abs() <= 1).fill_null(
        False
    )
    discounted = at_terms
    reasons = [
        pl.when(at_terms & (late_by <= cfg.discount_grace_days)).then(
            pl.lit("inside the discount of its terms")
        ),
        pl.when(at_terms & (late_by > cfg.discount_grace_days)).then(
            pl.format("its terms' discount taken {} days after the discount date", late_by)
        ),
    ]
    for rate, days in cfg.early_payment_discounts:
        cents = (owed * float(rate)).round(0)
        at_rate = ((owed - pl.col("paid")) - cents).abs() <= 1
        discounted = discounted | at_rate
        terms = f"{float(rate) * 100:g}/{days}"
        after = pl.col("p_day") - pl.col("issue_day")
        reasons += [
            pl.when(at_rate & (after <= days)).then(pl.lit(f"inside {terms} terms")),
            pl.when(at_rate & (after > days)).then(
                pl.format(f"a {terms} discount taken {{}} days after issue", after)
            ),
        ]
    shortfall = owed - pl.col("paid")
    reasons += [
        pl.when((shortfall > 0) & (shortfall <= int(cfg.max_bank_fee * 100)) & ~discounted).then(
            pl.lit("a bank fee?")
        ),
        pl.when(pl.col("p_fx")).then(pl.lit("converted at the day's rate")),
        pl.when(pl.col("via_parent")).then(pl.format("an invoice of subsidiary {}", "i_cp")),
        pl.when(pl.col("how") == 0).then(pl.lit("named in the reference")),
        pl.when(pl.col("how") == 1).then(pl.lit("one slip from the reference")),
        pl.when(pl.col("how") == 2).then(pl.lit("not named in the reference")),
        pl.when(pl.col("p_day") > pl.col("due_day") + cfg.days_after_due).then(
            pl.format("paid {} days after it fell due", pl.col("p_day") - pl.col("due_day"))
        ),
        pl.when(pl.col("p_day") < pl.col("issue_day") - cfg.days_before_issue).then(
            pl.lit("paid before it was issued")
        ),
    ]
    return pl.concat_str(
        [gap, pl.concat_list(reasons).list.drop_nulls().list.join(", ")], separator=", "
    ).str.strip_chars_end(", ")
