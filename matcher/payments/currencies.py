"""Receipts in another currency than the invoices they pay: a customer whose open
invoices are all in one currency, paying in another, is converted at the day's rate
(the latest on or before the payment date) before anything is matched; so is a payer
not identified whose reference names invoices in one other currency, unless its own
currency holds the invoice it more likely meant.
"""

from __future__ import annotations

import polars as pl

from matcher.payments.config import MatchConfig
from matcher.payments.inputs import named_invoices
from matcher.payments.slips import exact_amount_slips


def in_invoice_currency(
    pays: pl.DataFrame, invs: pl.DataFrame, rates: pl.DataFrame | None, cfg: MatchConfig
) -> pl.DataFrame:
    """``pays`` with foreign receipts converted: ``cents`` and ``p_cur`` in the currency
    of the payer's open invoices (its own, or its subsidiaries' when it is their parent),
    ``p_fx`` true and the cents received kept in ``paid_cents``. A payment is converted
    only when its payer holds no open invoice in the payment's currency, all of them
    are in one other currency, and both currencies have a rate (the home currency's is
    1); an unidentified payer, when all the invoices its reference names are in one other
    currency. Anything else is left as it is."""
    if rates is None or rates.height == 0 or pays.height == 0:
        return pays
    owed_in = (
        pl.concat(
            [
                invs.select(pl.col("i_cp").alias("p_cp"), "i_cur"),
                invs.select(pl.col("i_parent").alias("p_cp"), "i_cur").drop_nulls("p_cp"),
            ]
        )
        .unique()
        .group_by("p_cp")
        .agg(pl.col("i_cur").first().alias("owed_cur"), pl.len().alias("n_cur"))
        .filter(pl.col("n_cur") == 1)
        .drop("n_cur")
    )
    day_rates = rates.select(
        pl.col("currency").cast(pl.String).str.to_uppercase(),
        pl.col("date").cast(pl.Date).cast(pl.Int32).alias("day"),
        pl.col("rate").cast(pl.Float64),
    )
    # Of two rates for one currency and day, the first row's stands (as of two rows of
    # one id), whatever order a sort leaves equal days in.
    day_rates = day_rates.unique(["currency", "day"], keep="first", maintain_order=True).sort("day")
    # An unidentified payer owes in the one currency of the invoices its reference names.
    # Joined on ``inv``, not gathered: `nearest_candidates` passes invoices filtered.
    named_in = (
        named_invoices(pays.filter(pl.col("p_cp").is_null()), invs)
        .join(invs.select("inv", "i_cur"), on="inv")
        .select("pay", "i_cur")
        .unique()
        .group_by("pay")
        .agg(pl.col("i_cur").first().alias("owed_cur"), pl.len().alias("n_cur"))
        .filter(pl.col("n_cur") == 1)
        .drop("n_cur")
    )
    named_in = named_in.join(_meant_at_home(pays, invs, named_in), on="pay", how="anti")
    columns = ["pay", "p_cp", "p_cur", "p_day", "cents"]
    foreign = pl.concat(
        [
            pays.filter(pl.col("p_cp").is_not_null()).select(columns).join(owed_in, on="p_cp"),
            pays.select(columns).join(named_in, on="pay"),
        ]
    ).filter(pl.col("owed_cur") != pl.col("p_cur"))
    if foreign.height == 0:
        return pays
    foreign = _rate_of(foreign, day_rates, "p_cur", "paid_rate", cfg)
    foreign = _rate_of(foreign, day_rates, "owed_cur", "owed_rate", cfg)
    converted = foreign.drop_nulls(["paid_rate", "owed_rate"]).select(
        "pay",
        (pl.col("cents") * pl.col("owed_rate") / pl.col("paid_rate"))
        .round(0)
        .cast(pl.Int64)
        .alias("fx_cents"),
        pl.col("owed_cur").alias("fx_cur"),
    )
    return (
        pays.join(converted, on="pay", how="left", maintain_order="left")
        .with_columns(
            pl.col("fx_cents").fill_null(pl.col("cents")).alias("cents"),
            pl.col("fx_cur").fill_null(pl.col("p_cur")).alias("p_cur"),
            pl.col("fx_cents").is_not_null().alias("p_fx"),
        )
        .drop("fx_cents", "fx_cur")
        .sort("pay")
    )


def _meant_at_home(pays: pl.DataFrame, invs: pl.DataFrame, named_in: pl.DataFrame) -> pl.DataFrame:
    """``pay`` of each unidentified payer whose reference names invoices only in another
    currency (``named_in``'s ``owed_cur``) while an invoice in the payment's own
    currency, of exactly its amount, is one slip from the reference's longest number
    (`exact_amount_slips`). At a million invoices almost every 7-digit number is some
    customer's, in some currency: a mistyped number lands on one as often as not, and
    converting the payment into that currency would take from it the invoice it meant,
    which the exact amount and the one slip tell."""
    elsewhere = pays.join(named_in, on="pay").filter(pl.col("owed_cur") != pl.col("p_cur"))
    if elsewhere.height == 0:
        return elsewhere.select("pay")
    return exact_amount_slips(elsewhere, invs).select("pay").unique()


def _rate_of(
    frame: pl.DataFrame, day_rates: pl.DataFrame, currency: str, name: str, cfg: MatchConfig
) -> pl.DataFrame:
    """``frame`` with the rate of its ``currency`` column on its payment day as ``name``."""
    home = pl.col(currency) == cfg.home_currency.upper()
    joined = frame.sort("p_day").join_asof(
        day_rates.rename({"currency": currency, "day": "p_day", "rate": name}),
        on="p_day",
        by=currency,
        strategy="backward",
        check_sortedness=False,
    )
    return joined.with_columns(pl.when(home).then(1.0).otherwise(pl.col(name)).alias(name))
