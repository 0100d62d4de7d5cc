"""Payment matcher speed: `match_payments` on generated data vs naive Python loops.

The data set (payments and their open invoices, about 1.15 invoices per payment) is
generated in a child process and handed over as Parquet, so the peak RSS printed is that
of the matching process: the frames plus the matcher, not the generator.

Baselines, both pure Python (pandas is not a dependency):
- naive: for each payment, scan every open invoice and keep the best (reference digits
  in the text, same counterparty, equal amount). Work is payments x invoices, so its
  time on a 20k-payment subset is scaled *quadratically* to the full size; only a
  sample of the subset's payments is timed, scaled linearly to the subset first.
- indexed loop: the same simple one-to-one rules with dict look-ups (number key,
  counterparty and amount), timed on the whole 20k subset and scaled *linearly*. It
  does far less than the matcher (no tolerances, fees, discounts, subsets, splits,
  fuzzy references, ties or scores), so it is a floor for a loop, not a rival.

    python bench/matcher_speed.py [--quick] [--payments N] [--subset N] [--sample N]
                                  [--large N] [--rounds N]

Without --quick, a large run follows (5M payments x ~6.7M invoices by default, in
processes of its own; ``--large 0`` skips it), with its time per payment, wall and CPU,
beside the main run's, and the CPU split into user and system time (the kernel's, mostly
page faults) with the page faults per payment: the two grow apart with the data. The
main size is then matched again, and the large run's ratio is also printed against the
mean of the two main runs (``_bracketed``): the machine's speed may drift between runs.
One bracketed ratio is still as noisy as the machine (x0.92 and x1.13 in two runs of one
code, back to back): ``--rounds N`` repeats the large run and the main size's match after
it N times, and prints each large run against the main runs on either side of it, and
the medians (``large_per_payment_ratio_bracketed_median``, and of user CPU).
Wall seconds depend on what else the machine runs: CPU seconds and the load averages are
printed beside them, and how each run was split (`matcher.payments.batch_sizes`: how
many batches, and the largest one's payments). The nearest candidates of the payments
the main run leaves unmatched are timed apart (they are not part of ``match_payments``).

The last line is name=value pairs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.allocator import keep_freed_memory

keep_freed_memory()  # as the `ledgerbridge` command does, before polars loads
# ruff: noqa: E402 (the imports below load polars, so they come after)

import numpy as np
import polars as pl

from matcher.evaluation import evaluate_payments
from matcher.payments import batch_sizes, match_payments, nearest_candidates
from sandbox.datagen.payments import (
    PaymentDataset,
    generate_payment_dataset,
    read_payment_dataset,
)

DIGITS = re.compile(r"\d+")
PaymentRow = tuple[str, str | None, int, str]
InvoiceRow = tuple[str, str, str, int]


def _generate(n_payments: int, seed: int, directory: str) -> None:
    generate_payment_dataset(n_payments, seed=seed).write(Path(directory))


@dataclass(frozen=True)
class Usage:
    """What one `match_payments` call cost its process: wall seconds, CPU seconds in user
    and in system mode (the kernel's share: mostly page faults, as polars returns freed
    memory to the system within a second and touches fresh pages again), minor page
    faults, and the process's peak RSS (MB) after it."""

    seconds: float
    user: float
    system: float
    faults: int
    peak_mb: float

    @property
    def cpu(self) -> float:
        return self.user + self.system

    def per_payment(self, payments: int) -> str:
        """Microseconds per payment: wall, user and system CPU, and faults per payment."""
        return (
            f"{self.seconds / payments * 1e6:.1f} us per payment "
            f"({self.user / payments * 1e6:.1f} us user CPU, "
            f"{self.system / payments * 1e6:.1f} us system CPU, "
            f"{self.faults / payments:.2f} page faults)"
        )


def timed_match(data: PaymentDataset) -> tuple[pl.DataFrame, Usage]:
    """`match_payments` on ``data``, with what it cost this process."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = match_payments(data.payments, data.invoices, rates=data.rates)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return result, Usage(
        seconds,
        after.ru_utime - before.ru_utime,
        after.ru_stime - before.ru_stime,
        after.ru_minflt - before.ru_minflt,
        after.ru_maxrss / 1024,
    )


def _match_from(directory: str, report: Any) -> None:
    """In a process of its own: read the data set, match it, report what it cost."""
    data = read_payment_dataset(Path(directory))
    result, usage = timed_match(data)
    quality = evaluate_payments(result, data.truth)
    spread = customer_spread(data.invoices)
    split = split_of(data)
    report.put((data.payments.height, data.invoices.height, usage, quality, spread, split))


def split_of(data: PaymentDataset) -> tuple[int, int]:
    """How many batches `match_payments` matched, and the payments of the largest (the
    part of the book no candidate crosses that holds the biggest customers, when it is
    larger than a batch). Read after the timed match: it prepares the frames again."""
    sizes = batch_sizes(data.payments, data.invoices, rates=data.rates)
    return sizes.height, max(sizes["payments"].to_list(), default=0)


def _split_text(split: tuple[int, int]) -> str:
    return f"{split[0]} batch(es), the largest {split[1]:,} payments"


def customer_spread(invoices: pl.DataFrame) -> tuple[int, float]:
    """How concentrated the invoices are: the largest counterparty's count, and the count
    of an average invoice's counterparty (what a per-counterparty search reads). The
    generator's customers follow a heavy tail, so both grow faster than the data."""
    sizes = invoices.group_by("counterparty_id").len()["len"].to_numpy().astype(np.float64)
    if sizes.size == 0:
        return 0, 0.0
    return int(sizes.max()), float((sizes * sizes).sum() / sizes.sum())


def _spread_text(spread: tuple[int, float]) -> str:
    return (
        f"largest customer {spread[0]:,} invoices, an invoice's customer {spread[1]:,.0f} "
        "on average"
    )


Outcome = tuple[int, int, Usage, dict[str, Any], tuple[int, float], tuple[int, int]]
"""What a match in a child reports: payments, invoices, its cost, quality, the customers'
spread and how it was split."""


def generate_in_child(n_payments: int, seed: int, directory: str) -> None:
    """Write a data set of ``n_payments`` into ``directory``, in a process of its own."""
    child = multiprocessing.get_context("spawn").Process(
        target=_generate, args=(n_payments, seed, directory)
    )
    child.start()
    child.join()


def match_in_child(directory: str) -> Outcome:
    """Match the data set in ``directory`` in a process of its own: the peak RSS is the
    matching process's own."""
    context = multiprocessing.get_context("spawn")
    report = context.Queue()
    matcher = context.Process(target=_match_from, args=(directory, report))
    matcher.start()
    outcome: Outcome = report.get()
    matcher.join()
    return outcome


def scale_rounds(
    n_payments: int, seed: int, main_directory: str, rounds: int
) -> list[tuple[Outcome, Usage]]:
    """Generate ``n_payments`` (one child), then ``rounds`` times: match them, and match
    the main data set in ``main_directory`` again (each in a child of its own)."""
    done: list[tuple[Outcome, Usage]] = []
    with tempfile.TemporaryDirectory() as directory:
        generate_in_child(n_payments, seed, directory)
        for _ in range(rounds):
            large = match_in_child(directory)
            done.append((large, match_in_child(main_directory)[2]))
    return done


def bracketed_ratios(
    main: Usage, main_payments: int, rounds: list[tuple[Outcome, Usage]]
) -> list[tuple[float, float]]:
    """Per round, the large run's wall and user CPU per payment against the mean of the
    main runs on either side of it (the first round's before it is the first main run)."""
    ratios = []
    before = main
    for (n_pay, _, large, _, _, _), after in rounds:
        wall = (large.seconds / n_pay) / ((before.seconds + after.seconds) / 2 / main_payments)
        user = (large.user / n_pay) / ((before.user + after.user) / 2 / main_payments)
        ratios.append((wall, user))
        before = after
    return ratios


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes (the machine may be shared)."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _cents(values: pl.Series) -> list[int]:
    return (values.cast(pl.Decimal(38, 2)) * 100).cast(pl.Int64).to_list()


def _rows(
    payments: pl.DataFrame, invoices: pl.DataFrame
) -> tuple[list[PaymentRow], list[InvoiceRow]]:
    pay_rows: list[PaymentRow] = list(
        zip(
            payments["payment_id"].to_list(),
            payments["counterparty_id"].to_list(),
            _cents(payments["amount"]),
            payments["reference"].fill_null("").to_list(),
            strict=True,
        )
    )
    keys = invoices["number"].str.replace_all(r"\D", "").str.strip_chars_start("0").to_list()
    inv_rows: list[InvoiceRow] = list(
        zip(
            invoices["invoice_id"].to_list(),
            invoices["counterparty_id"].to_list(),
            keys,
            _cents(invoices["amount_open"]),
            strict=True,
        )
    )
    return pay_rows, inv_rows


def _best_open(
    rows: list[InvoiceRow], taken: set[str], numbers: set[str], counterparty: str | None, cents: int
) -> str | None:
    """The open invoice among `rows` that scores best by the baselines' simple rules
    (2 for a number in the reference, 1 each for the counterparty and the amount), if
    any scores more than 1."""
    best, best_score = None, 1
    for invoice_id, inv_counterparty, key, inv_cents in rows:
        if invoice_id in taken:
            continue
        score = 2 if key in numbers else 0
        if counterparty is not None and counterparty == inv_counterparty:
            score += 1
        if cents == inv_cents:
            score += 1
        if score > best_score:
            best, best_score = invoice_id, score
    return best


def naive_scan(pay_rows: list[PaymentRow], inv_rows: list[InvoiceRow]) -> list[tuple[str, str]]:
    """For each payment, look at every invoice still open; keep the best by simple rules."""
    taken: set[str] = set()
    matched = []
    for payment_id, counterparty, cents, reference in pay_rows:
        numbers = {n.lstrip("0") for n in DIGITS.findall(reference)}
        best = _best_open(inv_rows, taken, numbers, counterparty, cents)
        if best is not None:
            taken.add(best)
            matched.append((payment_id, best))
    return matched


def indexed_loop(pay_rows: list[PaymentRow], inv_rows: list[InvoiceRow]) -> list[tuple[str, str]]:
    """The same rules with dictionaries instead of a scan: what a careful loop would do."""
    by_key: dict[str, list[InvoiceRow]] = {}
    by_amount: dict[tuple[str | None, int], list[InvoiceRow]] = {}
    for row in inv_rows:
        by_key.setdefault(row[2], []).append(row)
        by_amount.setdefault((row[1], row[3]), []).append(row)
    taken: set[str] = set()
    matched = []
    for payment_id, counterparty, cents, reference in pay_rows:
        numbers = {n.lstrip("0") for n in DIGITS.findall(reference)}
        candidates = [row for n in numbers for row in by_key.get(n, ())]
        candidates += by_amount.get((counterparty, cents), [])
        best = _best_open(candidates, taken, numbers, counterparty, cents)
        if best is not None:
            taken.add(best)
            matched.append((payment_id, best))
    return matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k payments (under a minute)")
    parser.add_argument("--payments", type=int, default=None)
    parser.add_argument("--subset", type=int, default=20_000, help="payments in the baseline")
    parser.add_argument("--sample", type=int, default=None, help="payments timed by the scan")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--large", type=int, default=5_000_000, help="payments of the large run (0: none)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="large runs, each followed by the main size again (medians of the ratios)",
    )
    args = parser.parse_args()
    # The main data set is kept for the main size's second match, after the large run.
    with tempfile.TemporaryDirectory() as directory:
        run(args, directory)


def run(args: argparse.Namespace, directory: str) -> None:
    """The bench, with ``directory`` for the main data set."""
    n_payments = args.payments or (100_000 if args.quick else 1_000_000)
    sample = args.sample or (500 if args.quick else 1_000)
    started = time.perf_counter()
    generate_in_child(n_payments, args.seed, directory)
    generated = time.perf_counter() - started
    data = read_payment_dataset(Path(directory))
    payments, invoices = data.payments, data.invoices
    print(
        f"generated {payments.height:,} payments and {invoices.height:,} invoices "
        f"in {generated:.1f} s (child process)"
    )

    load_before = _load()
    result, usage = timed_match(data)
    seconds, cpu_seconds, peak_rss_mb = usage.seconds, usage.cpu, usage.peak_mb
    quality = evaluate_payments(result, data.truth)
    print(
        f"match_payments: {seconds:.2f} s ({cpu_seconds:.1f} s CPU: {usage.user:.1f} user, "
        f"{usage.system:.1f} system; {usage.per_payment(payments.height)}), "
        f"peak RSS {peak_rss_mb:,.0f} MB, "
        f"{result.height:,} allocations; " + " ".join(f"{k}={v}" for k, v in quality.items())
    )
    print(f"load average before the match: {load_before}, after: {_load()}")
    spread = customer_spread(invoices)
    split = split_of(data)
    print(f"data: {_spread_text(spread)}; matched in {_split_text(split)}")
    cpu = time.process_time()
    started = time.perf_counter()
    nearby = nearest_candidates(payments, invoices, result, rates=data.rates)
    print(
        f"nearest_candidates for the payments left unmatched: "
        f"{time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.1f} s CPU), "
        f"{nearby['payment_id'].n_unique():,} payments, {nearby.height:,} rows"
    )

    subset = generate_payment_dataset(args.subset, seed=args.seed)
    pay_rows, inv_rows = _rows(subset.payments, subset.invoices)
    started = time.perf_counter()
    naive_scan(pay_rows[:sample], inv_rows)
    sampled = time.perf_counter() - started
    subset_seconds = sampled * len(pay_rows) / sample
    scale = (payments.height / len(pay_rows)) * (invoices.height / len(inv_rows))
    baseline_scaled = subset_seconds * scale
    print(
        f"naive scan: {sampled:.2f} s for {sample:,} of {len(pay_rows):,} payments x "
        f"{len(inv_rows):,} invoices -> {subset_seconds:.1f} s for the subset -> "
        f"{baseline_scaled:,.0f} s scaled quadratically to the full size"
    )
    started = time.perf_counter()
    indexed_loop(pay_rows, inv_rows)
    indexed = time.perf_counter() - started
    indexed_scaled = indexed * payments.height / len(pay_rows)
    print(
        f"indexed loop (exact rules only): {indexed:.2f} s for {len(pay_rows):,} payments -> "
        f"{indexed_scaled:.1f} s scaled linearly"
    )
    large = ""
    if args.large and not args.quick:
        rounds = scale_rounds(args.large, args.seed, directory, max(args.rounds, 1))
        (n_pay, n_inv, l_usage, l_quality, l_spread, l_split), again = rounds[0]
        l_seconds, l_cpu, l_peak = l_usage.seconds, l_usage.cpu, l_usage.peak_mb
        per_payment = l_seconds / n_pay * 1e6
        cpu_per_payment = l_cpu / n_pay * 1e6
        # The scale goal: a payment costs no more in the large run than in the main one.
        # This machine's speed drifts within minutes, so the main size is matched again
        # after the large run (in a process of its own, as the large run is), and the large
        # run is also held against the mean of the two: a drift then shows as two main runs
        # apart, instead of as a ratio.
        main_mean = (usage.seconds + again.seconds) / 2
        ratio = per_payment / (seconds / payments.height * 1e6)
        bracketed = per_payment / (main_mean / payments.height * 1e6)
        cpu_ratio = cpu_per_payment / (cpu_seconds / payments.height * 1e6)
        cpu_bracketed = cpu_per_payment / ((usage.cpu + again.cpu) / 2 / payments.height * 1e6)
        # The user and system shares are apart, as the system's (page faults) grows faster.
        user_ratio = (l_usage.user / n_pay) / (usage.user / payments.height)
        system_ratio = (l_usage.system / n_pay) / (usage.system / payments.height)
        print(
            f"large run: {n_pay:,} payments x {n_inv:,} invoices: {l_seconds:.1f} s "
            f"({l_cpu:.1f} s CPU: {l_usage.user:.1f} user, {l_usage.system:.1f} system), "
            f"peak RSS {l_peak:,.0f} MB, {l_usage.per_payment(n_pay)}; "
            f"against {payments.height:,}: x{ratio:.2f} a payment in wall time, x{cpu_ratio:.2f} "
            f"in CPU (x{user_ratio:.2f} user, x{system_ratio:.2f} system), target x1.00 or "
            f"less; f1={l_quality['f1']} wrong_auto={l_quality['wrong_auto']}; "
            f"data: {_spread_text(l_spread)}; matched in {_split_text(l_split)}"
        )
        print(
            f"main size again, after the large run: {again.seconds:.2f} s ({again.cpu:.1f} s "
            f"CPU; first {seconds:.2f} s, {cpu_seconds:.1f} s CPU); the large run against the "
            f"mean of the two: x{bracketed:.2f} a payment in wall time, x{cpu_bracketed:.2f} "
            "in CPU"
        )
        large = (
            f" large_payments={n_pay} large_seconds={l_seconds:.1f} "
            f"large_cpu_seconds={l_cpu:.1f} large_peak_rss_mb={l_peak:.0f} "
            f"large_us_per_payment={per_payment:.1f} "
            f"large_cpu_us_per_payment={cpu_per_payment:.1f} "
            f"large_per_payment_ratio={ratio:.2f} large_cpu_per_payment_ratio={cpu_ratio:.2f} "
            f"main_again_seconds={again.seconds:.2f} main_again_cpu_seconds={again.cpu:.1f} "
            f"large_per_payment_ratio_bracketed={bracketed:.2f} "
            f"large_cpu_per_payment_ratio_bracketed={cpu_bracketed:.2f} "
            f"large_user_cpu_per_payment_ratio={user_ratio:.2f} "
            f"large_system_cpu_per_payment_ratio={system_ratio:.2f} "
            f"large_page_faults_per_payment={l_usage.faults / n_pay:.2f} "
            f"large_customer_invoices_max={l_spread[0]} "
            f"large_customer_invoices_mean={l_spread[1]:.0f} "
            f"large_batches={l_split[0]} large_batch_payments_max={l_split[1]}"
        )
        if len(rounds) > 1:
            ratios = bracketed_ratios(usage, payments.height, rounds)
            walls = [wall for wall, _ in ratios]
            users = [user for _, user in ratios]
            print(
                f"{len(rounds)} rounds (large run, then main size again): large runs "
                + ", ".join(f"{r[0][2].seconds:.1f}" for r in rounds)
                + " s; main size again "
                + ", ".join(f"{r[1].seconds:.2f}" for r in rounds)
                + " s; bracketed a payment, wall "
                + ", ".join(f"x{w:.2f}" for w in walls)
                + ", user CPU "
                + ", ".join(f"x{u:.2f}" for u in users)
                + f"; medians x{float(np.median(walls)):.2f} and x{float(np.median(users)):.2f}"
            )
            large += (
                f" rounds={len(rounds)} "
                f"large_per_payment_ratio_bracketed_median={float(np.median(walls)):.2f} "
                f"large_user_cpu_per_payment_ratio_bracketed_median={float(np.median(users)):.2f}"
            )
    print(f"load average at the end: {_load()} on {os.cpu_count()} CPUs")
    print(
        f"payments={payments.height} invoices={invoices.height} seconds={seconds:.2f} "
        f"customer_invoices_max={spread[0]} customer_invoices_mean={spread[1]:.0f} "
        f"batches={split[0]} batch_payments_max={split[1]} "
        f"cpu_seconds={cpu_seconds:.1f} us_per_payment={seconds / payments.height * 1e6:.1f} "
        f"cpu_us_per_payment={cpu_seconds / payments.height * 1e6:.1f} "
        f"user_cpu_seconds={usage.user:.1f} system_cpu_seconds={usage.system:.1f} "
        f"page_faults_per_payment={usage.faults / payments.height:.2f} "
        f"peak_rss_mb={peak_rss_mb:.0f} baseline=naive_scan_quadratic "
        f"baseline_scaled_seconds={baseline_scaled:.0f} "
        f"speedup_vs_naive={baseline_scaled / seconds:.0f} "
        f"indexed_loop_scaled_seconds={indexed_scaled:.1f} "
        f"speedup_vs_indexed_loop={indexed_scaled / seconds:.1f} "
        f"f1={quality['f1']} wrong_auto={quality['wrong_auto']}{large}"
    )


if __name__ == "__main__":
    main()
