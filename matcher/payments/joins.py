"""First pass of the payment matcher: candidates found by joins, scored.

Invoice numbers read from a payment's reference (exactly, inside free text, or one slip
away: `matcher.payments.slips`), and same-counterparty amounts that fit (equal, after a
discount or fee, within rounding or tolerance: `matcher.payments.amount_pairs`); each pair
is scored from the evidence that fired. A payment whose reference names several invoices
that together fit its amount is a group (`matcher.payments.reference_groups`).
"""

from __future__ import annotations

from functools import partial

import polars as pl

from matcher.payments.amount_pairs import counterparty_amount_pairs, unknown_payer_amount_pairs
from matcher.payments.amounts import TermsDiscount, amount_relation, amount_weight
from matcher.payments.candidates import (
    CANDIDATE_SCHEMA,
    pair_key,
    pair_members,
    rule_if,
    rule_named,
    rules_mask,
)
from matcher.payments.config import FITTING_RELATIONS, MatchConfig, ScoreWeights
from matcher.payments.inputs import named_invoices
from matcher.payments.reference_groups import reference_groups
from matcher.payments.side_by_side import side_by_side
from matcher.payments.slips import (
    common_amount_slips,
    fuzzy_reference,
    mistyped_reference_pairs,
)


def first_pass_candidates(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """Every join candidate, single pairs and reference groups, in `CANDIDATE_SCHEMA`."""
    pairs = _scored(_evidence(_candidate_pairs(pays, invs, cfg), cfg), cfg.weights)
    singles = _singles(pairs.filter(_kept()), cfg.weights)
    # Invoices named outside the date window, or numbers read as slips only as part of a
    # group, are too weak alone; several that sum to the amount are a group.
    groups = reference_groups(pairs, cfg)
    return pl.concat(
        [
            singles.select(
                pl.concat_list("pay").alias("m_pay"),
                pl.concat_list("inv").alias("m_inv"),
                *[c for c in CANDIDATE_SCHEMA if c not in ("m_pay", "m_inv")],
            ),
            groups.select(CANDIDATE_SCHEMA.names()),
        ],
        how="vertical_relaxed",
    )


def _candidate_pairs(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """(pay, inv) pairs worth a look, in one currency, with both sides' columns and
    ``via_ref`` (the payment's reference names the invoice's number)."""
    by_amount, others = side_by_side(
        partial(counterparty_amount_pairs, pays, invs, cfg), partial(_other_pairs, pays, invs)
    )
    by_amount = by_amount.with_columns(pl.lit(False).alias("via_ref"), pl.lit(False).alias("slip"))
    pairs = (
        # In any order: the pairs are sorted, and their flags aggregated, below.
        pl.concat([by_amount, *others], how="diagonal")
        # Grouped in pair order: over millions of pairs, a sort and one pass over its
        # runs costs less than hashing every pair into a table that outgrows the caches.
        .with_columns(pair_key())
        .sort("pair")
        .group_by("pair", maintain_order=True)
        .agg(
            pl.col("via_ref").any(),
            (pl.col("slip") & pl.col("alone").fill_null(True)).any().alias("slip"),
            pl.col("slip").any().alias("group_slip"),
            pl.col("typed").min(),
        )
        .select(*pair_members(), pl.exclude("pair"))
    )
    # ``pay`` and ``inv`` are row numbers: both sides' columns are gathered, not joined.
    return pl.concat(
        [
            pairs,
            pays.drop("pay", "payment_id", "ref_numbers").gather(pairs["pay"]),
            invs.drop("inv", "invoice_id", "amount_peers")
            .rename({"cents": "cents_right"})
            .gather(pairs["inv"]),
        ],
        how="horizontal",
    ).filter(pl.col("p_cur") == pl.col("i_cur"))


def _other_pairs(pays: pl.DataFrame, invs: pl.DataFrame) -> list[pl.DataFrame]:
    """The pairs `_candidate_pairs` finds besides those by counterparty and amount: the
    invoices references name (``via_ref``), and the pairs by amount of unidentified
    payers, by a mistyped reference, and by an amount one slip from the reference."""
    by_reference = named_invoices(pays, invs).with_columns(pl.lit(True).alias("via_ref"))
    no_slip = pl.lit(False).alias("slip")
    return [
        by_reference.with_columns(no_slip),
        unknown_payer_amount_pairs(pays, invs).with_columns(no_slip),
        mistyped_reference_pairs(pays, invs, by_reference),
        common_amount_slips(pays, invs),
    ]


def _evidence(pairs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """Pairs with what speaks for them: reference exact or fuzzy, same or unknown
    counterparty, in the date window, and how the amounts relate (``fits`` when they do)."""
    pairs = fuzzy_reference(pairs)
    window = pl.col("p_day").is_between(
        pl.col("issue_day") - cfg.days_before_issue, pl.col("due_day") + cfg.days_after_due
    )
    via_parent = (pl.col("p_cp") == pl.col("i_parent")) & (pl.col("p_cp") != pl.col("i_cp"))
    same_cp = ((pl.col("p_cp") == pl.col("i_cp")) | via_parent).fill_null(False)
    pairs = pairs.with_columns(
        (pl.col("via_ref") & (pl.col("ref_norm") == pl.col("num_norm"))).alias("ref_exact"),
        same_cp.alias("same_cp"),
        via_parent.fill_null(False).alias("via_parent"),
        pl.col("p_cp").is_null().alias("cp_unknown"),
        window.alias("in_window"),
        (pl.col("p_day") >= pl.col("issue_day") - cfg.days_before_issue).alias("issued"),
        amount_relation(
            pl.col("cents"),
            pl.col("cents_right"),
            pl.col("p_day"),
            pl.col("issue_day"),
            cfg,
            TermsDiscount(pl.col("disc_cents"), pl.col("disc_day")),
            pl.col("p_fx"),
        ).alias("relation"),
    )
    return _named_parts(pairs).with_columns(
        pl.col("relation").is_in(FITTING_RELATIONS).alias("fits")
    )


def _named_parts(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` where the payments of one payer naming one invoice are several and sum to
    exactly its open amount: those are its parts, and none of them settles it alone short
    of its amount (a fee, a discount or a tolerance written off); each is a part payment.
    Three payments of 15.00, 11.00 and 14.00 naming a 40.00 invoice pay it in three, not
    the first of them with a charge of 25.00."""
    naming = pl.col("via_ref") & pl.col("same_cp")
    parts = (
        pairs.filter(naming)
        .group_by("inv")
        .agg(
            pl.col("pay").n_unique().alias("parts"),
            pl.col("cents").sum(),
            pl.col("cents_right").first(),
        )
        .filter((pl.col("parts") >= 2) & (pl.col("cents") == pl.col("cents_right")))
        .get_column("inv")
    )
    if parts.is_empty():
        return pairs
    # Any reading of the difference as something (a fee, a discount, on time or late, a
    # tolerance) that the parts' own sum says it is not.
    short = ~pl.col("relation").is_in(["amount_exact", "partial_payment", "over_payment"])
    # A mask on the pairs as they are (sorted), not a join, which need not keep their order.
    part = naming & pl.col("inv").is_in(parts.implode()) & short
    return pairs.with_columns(
        pl.when(part)
        .then(pl.lit("partial_payment"))
        .otherwise(pl.col("relation"))
        .alias("relation")
    )


def _kept() -> pl.Expr:
    """Which pairs have enough evidence to be candidates at all. A pair found by its
    amount alone needs an invoice issued by the payment's date (``issued``: up to
    ``days_before_issue`` after it): nothing else says the payment was meant for it. And
    it needs a reference that names none of the payer's invoices (``names_own``), or one
    slip from this one: a payment that says which invoice it is for is not for another
    one that happens to be of the same amount (a bank line seen twice, the second time
    after its invoice was settled, is no payment of the payer's next invoice)."""
    compatible = pl.col("same_cp") | pl.col("cp_unknown")
    keep = (
        (
            pl.col("via_ref")
            & compatible
            & (pl.col("fits") | pl.col("same_cp") | pl.col("in_window"))
        )
        | (
            ~pl.col("via_ref")
            & pl.col("fits")
            & (
                (
                    pl.col("same_cp")
                    & pl.col("issued")
                    & (~pl.col("names_own") | pl.col("ref_fuzzy"))
                )
                | (pl.col("cp_unknown") & pl.col("ref_fuzzy") & pl.col("in_window"))
            )
        )
        | (~pl.col("via_ref") & pl.col("same_cp") & pl.col("ref_fuzzy") & pl.col("in_window"))
        | (pl.col("same_cp") & (pl.col("relation") == "discount_after_date") & pl.col("in_window"))
    )
    return keep


def _scored(pairs: pl.DataFrame, w: ScoreWeights) -> pl.DataFrame:
    """Pairs with their ``score`` (the weights of the evidence that fired) and ``rules``."""
    ref_weight = (
        pl.when(pl.col("ref_exact"))
        .then(w.reference_exact)
        .when(pl.col("via_ref"))
        .then(w.reference_in_text)
        .when(pl.col("ref_fuzzy"))
        .then(w.reference_fuzzy)
        .otherwise(0.0)
    )
    cp_weight = (
        pl.when(pl.col("same_cp"))
        .then(w.same_counterparty)
        .when(pl.col("cp_unknown"))
        .then(w.counterparty_unknown)
        .otherwise(0.0)
    )
    score = (
        ref_weight
        + cp_weight
        + amount_weight(pl.col("relation"), w)
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = rules_mask(
        rule_if(pl.col("ref_exact"), "reference_exact"),
        rule_if(pl.col("via_ref") & ~pl.col("ref_exact"), "reference_in_text"),
        rule_if(pl.col("ref_fuzzy"), "reference_fuzzy"),
        rule_if(pl.col("same_cp") & ~pl.col("via_parent"), "same_counterparty"),
        rule_if(pl.col("via_parent"), "parent_counterparty"),
        rule_if(pl.col("cp_unknown"), "counterparty_unknown"),
        rule_named(pl.col("relation")),
        rule_if(pl.col("in_window"), "date_window"),
    )
    return pairs.with_columns(score=score, rules=rules)


def _singles(pairs: pl.DataFrame, w: ScoreWeights) -> pl.DataFrame:
    """Scored pairs as one-to-one candidates, with their score as a rival and tie-breakers.

    As a rival, a reference one slip from the number, with an amount that fits, counts
    as much as an exact reference: the slip may as well be in the other reference.
    """
    rival_score = (
        pl.when(pl.col("ref_fuzzy") & pl.col("fits"))
        .then(pl.col("score") + (w.reference_exact - w.reference_fuzzy))
        .otherwise(pl.col("score"))
    )
    return pairs.select(
        "pay",
        "inv",
        "score",
        rival_score.alias("rival_score"),
        "fits",
        "rules",
        pl.col("issue_day").alias("tb_newest"),
        pl.col("issue_day").cast(pl.Int64).alias("tb_sum"),
        pl.col("p_day").alias("tb_pay_day"),
    )
