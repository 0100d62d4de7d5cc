"""Ranking and output of the payment matcher: candidates best first with their ambiguity,
allocation pass by pass (`matcher.allocation`), and the one row per allocation that
`match_payments` returns.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from matcher.allocation import Allocations, Candidates, allocate
from matcher.payments.candidates import CANDIDATE_SCHEMA, RULE_BITS, rule_names
from matcher.payments.config import MatchConfig
from matcher.payments.counting import occurrences
from matcher.payments.delays import PaymentDelays

OUTPUT_SCHEMA = pl.Schema(
    {
        "match_id": pl.String(),
        "payment_id": pl.String(),
        "invoice_id": pl.String(),
        "allocated_amount": pl.Decimal(38, 2),
        "write_off_amount": pl.Decimal(38, 2),
        "score": pl.Float64(),
        "status": pl.String(),
        "rules": pl.List(pl.String()),
    }
)


REFERENCE_RULES = ("reference_exact", "reference_in_text", "reference_fuzzy")
"""The rules of a reference naming the invoice."""

_NAMED = sum(RULE_BITS[rule] for rule in REFERENCE_RULES)  # distinct bits: their union
_EXPLAINED_NEAR = RULE_BITS["fee_deducted"] | RULE_BITS["bank_fee"] | RULE_BITS["amount_rounding"]

SCORE_DECIMALS = 6
"""Scores are compared to this many decimals, below any weight's precision."""

ROUNDED_KEYS = frozenset({"score", "rival_score"})
"""The float columns `rank` rounds to `SCORE_DECIMALS`."""

RANK_ORDER: tuple[tuple[str, bool], ...] = (
    ("score", True),
    ("fits", True),
    ("tb_pay_day", False),
    ("n_members", False),
    ("tb_contested", False),
    ("tb_lateness", False),
    ("tb_newest", False),
    ("tb_sum", False),
    ("first_pay", False),
    ("first_inv", False),
)
"""How candidates are ranked (column, descending), before their members' lists."""


def rank(
    candidates: pl.DataFrame,
    cfg: MatchConfig,
    offset: int,
    delays: PaymentDelays | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Best first (on equal scores: amounts that fit first, then the earliest payment, as
    a clerk working down the bank statement settles each invoice once; then the fewest
    members; of groups, the fewest invoices another payment's candidate wants too (of
    two groups alike but for a twin, the one that leaves the other payment its invoice:
    `_contested`); of one-pair candidates, the lateness likelier by ``delays`` where they were
    learned (`matcher.payments.delays`: how twins are told apart); then the oldest
    invoices, then by members), numbered from ``offset``; with each candidate's
    ``ambiguous`` flag: a rival for one of its payments or invoices scores (as a rival:
    ``rival_score``) within ``ambiguity_margin`` of it. Returns (candidates, members)."""
    keyed = (
        candidates.cast(CANDIDATE_SCHEMA)
        # Scores are sums of weights: equal evidence must give equal scores, whatever
        # the order of the additions (0.4 + 0.25 + 0.05 + 0.05 is not 0.75 in floats).
        .with_columns(pl.col("score", "rival_score").round(SCORE_DECIMALS))
        .filter(pl.col("score") >= cfg.suggest_threshold)
        .with_columns(
            pl.col("m_pay").list.len().alias("n_members"),
            # Rows are numbered in id order, so the smallest number is the smallest id.
            pl.col("m_pay").list.min().alias("first_pay"),
            pl.col("m_inv").list.min().alias("first_inv"),
        )
    )
    keyed = keyed.with_columns(_lateness(keyed, delays), _contested(keyed))
    # A candidate of one pair is told apart by first_pay and first_inv already: only
    # groups need their members' lists compared, and they are few, so they are put in
    # order among themselves first and carry their place as one more key.
    columns = [column for column, _ in RANK_ORDER]
    descending = [down for _, down in RANK_ORDER]
    several = pl.col("n_members") > 1
    groups = keyed.filter(several).sort(
        [*columns, "m_pay", "m_inv"], descending=[*descending, False, False], maintain_order=True
    )
    ranked = pl.concat(
        [
            keyed.filter(~several).with_columns(pl.lit(0, pl.UInt32).alias("tb_members")),
            groups.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("tb_members")),
        ]
    )
    # Stable: a candidate the joins found and an equal one a search found (the same
    # pair, the same evidence) tie on every key; the first found goes first, every run.
    ranked = (
        _sorted_stably(ranked, [*columns, "tb_members"], [*descending, False])
        .drop("tb_members")
        .with_row_index("cand", offset=offset)
    )
    members = ranked.select("cand", "score", "rival_score", "m_pay", "m_inv").explode(
        "m_pay", "m_inv"
    )
    margin = cfg.ambiguity_margin
    ambiguous = _rivalled(members, "m_pay", margin) | _rivalled(members, "m_inv", margin)
    # Candidates are numbered consecutively from ``offset`` and every one has members: the
    # rivalled members counted per number give one flag per candidate, in order, without
    # a group-by or a join.
    held = _places(ranked, members["cand"].to_numpy())
    rivals = np.bincount(held, weights=ambiguous.to_numpy(), minlength=ranked.height)
    ranked = ranked.with_columns(pl.Series("ambiguous", rivals > 0))
    return ranked, members.select(
        "cand", pl.col("m_pay").alias("pay"), pl.col("m_inv").alias("inv")
    )


def sure_pairs(
    ranked: pl.DataFrame, done: Allocations, auto_threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(payments, invoices), as row numbers, of the one-pair candidates of ``ranked`` that
    ``done`` allocated and that are automatic by score and without rival: the matches
    whose invoices are known, which `delays.learned_delays` learns lateness from."""
    place = _places(ranked, np.asarray(done.candidate, dtype=np.int64))
    sure = (
        (ranked["score"].to_numpy()[place] >= auto_threshold)
        & ~ranked["ambiguous"].to_numpy()[place]
        & (ranked["n_members"].to_numpy()[place] == 1)
    )
    return np.asarray(done.payment)[sure], np.asarray(done.invoice)[sure]


def _contested(keyed: pl.DataFrame) -> pl.Series:
    """``tb_contested``: of a group, how many of its invoices a candidate of a payment
    outside the group wants too (0 for a payment for one invoice). Of two groups alike
    but for which of two twins they hold, the one no other payment could use goes first,
    so the other payment keeps its own: a remittance-less payment for several invoices
    takes the newer of two 1,200.00 twins when the older one is the only invoice an
    earlier discounted payment fits. A payment for one invoice keeps the older of two
    lookalikes (or the one its learned lateness prefers), as a payment before a
    statement pays the older twin and the statement the rest. The score and every
    earlier key decide first."""
    pairs = keyed.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("cand"), "n_members", "m_pay", "m_inv"
    ).explode("m_pay", "m_inv")
    contested = np.zeros(keyed.height, dtype=np.int64)
    if pairs.height == 0:
        return pl.Series("tb_contested", contested)
    # How many payments want each invoice, each counted once however many candidates.
    wanting = pairs.select("m_pay", "m_inv").unique()["m_inv"].to_numpy()
    payments_wanting = np.bincount(wanting)
    # A group's own payments (several paying one invoice) do not contest it.
    per_group = (
        pairs.filter(pl.col("n_members") > 1)
        .unique(["cand", "m_pay", "m_inv"])
        .group_by("cand", "m_inv")
        .agg(pl.len().alias("own"))
    )
    outside = payments_wanting[per_group["m_inv"].to_numpy()] > per_group["own"].to_numpy()
    np.add.at(contested, per_group["cand"].to_numpy(), outside)
    return pl.Series("tb_contested", contested)


def _lateness(keyed: pl.DataFrame, delays: PaymentDelays | None) -> pl.Series:
    """``tb_lateness``: a one-pair candidate's cost by ``delays``; 0 for a group, and for
    every candidate where nothing was learned."""
    if delays is None or keyed.height == 0:
        return pl.Series("tb_lateness", np.zeros(keyed.height, dtype=np.int64))
    single = (keyed["n_members"] == 1).to_numpy()
    cost = delays.cost(keyed["first_pay"].to_numpy(), keyed["first_inv"].to_numpy())
    return pl.Series("tb_lateness", np.where(single, cost, 0), dtype=pl.Int64)


def _sorted_stably(
    frame: pl.DataFrame,
    columns: list[str],
    descending: list[bool],
) -> pl.DataFrame:
    """``frame.sort(columns, descending=..., maintain_order=True)``, with the keys packed
    into as few UInt64 words as their ranges allow: a sort on two integer columns is
    several times faster than one comparing nine columns row by row, and as the keys
    are packed in order, most significant first, the order and its ties are the same.
    Integer, boolean and date keys are packed as they are; a float key only when it is
    one of `ROUNDED_KEYS` (already rounded to `SCORE_DECIMALS`, as `rank` rounds them)
    and finite, compared as an integer at that precision. Any other key, a null, a NaN
    or keys too wide to pack: the frame is sorted as it is."""
    schema = frame.schema
    packable = all(
        schema[c].is_integer() or schema[c] in (pl.Boolean, pl.Date) or c in ROUNDED_KEYS
        for c in columns
    )
    floats = [c for c in columns if schema[c].is_float()]
    if (
        frame.height == 0
        or not packable
        or frame.select(pl.any_horizontal(pl.col(columns).is_null().any())).item()
        or (floats and not frame.select(pl.all_horizontal(pl.col(floats).is_finite().all())).item())
    ):
        return frame.sort(columns, descending=descending, maintain_order=True)
    as_int = [
        (pl.col(c) * 10**SCORE_DECIMALS).round().cast(pl.Int64)
        if frame.schema[c].is_float()
        else pl.col(c).cast(pl.Int64)
        for c in columns
    ]
    bounds = frame.select(
        *[key.min().alias(f"low{k}") for k, key in enumerate(as_int)],
        *[key.max().alias(f"high{k}") for k, key in enumerate(as_int)],
    ).row(0)
    lows, highs = bounds[: len(columns)], bounds[len(columns) :]
    widths = [(high - low).bit_length() for low, high in zip(lows, highs, strict=True)]
    if max(widths) >= 63:
        return frame.sort(columns, descending=descending, maintain_order=True)
    words: list[pl.Expr] = []
    word: pl.Expr | None = None
    used = 0
    for key, low, high, width, down in zip(as_int, lows, highs, widths, descending, strict=True):
        part = ((high - key) if down else (key - low)).cast(pl.UInt64)
        if word is not None and used + width > 64:
            words.append(word)
            word, used = None, 0
        word = part if word is None else word * pl.lit(1 << width, dtype=pl.UInt64) + part
        used += width
    if word is not None:
        words.append(word)
    names = [f"_word{k}" for k in range(len(words))]
    return (
        frame.with_columns(w.alias(n) for w, n in zip(words, names, strict=True))
        .sort(names, maintain_order=True)
        .drop(names)
    )


def weakest_readings() -> pl.Expr:
    """Candidates that wait until every subset round has run: no reference, and an amount
    near the invoice's that nothing explains (``amount_within_tolerance``), or that a fee
    or rounding would explain but outside the date window. An exact group of several
    invoices, even one only the deeper later rounds find, is likelier than either."""
    rules = pl.col("rules")
    near = (rules & RULE_BITS["amount_within_tolerance"] > 0) | (
        (rules & _EXPLAINED_NEAR > 0) & (rules & RULE_BITS["date_window"] == 0)
    )
    return near & (rules & _NAMED == 0)


def set_aside_twins(
    ranked: pl.DataFrame, members: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`rank`'s candidates and members without its twins (renumbered from the same
    offset), and the twins in `CANDIDATE_SCHEMA`, to compete later. A twin is a pair
    found by amount alone (no reference names the invoice) that fits and is ambiguous:
    the payer has another open invoice, or another payment, of that amount."""
    if ranked.height == 0:
        return ranked, members, ranked.select(CANDIDATE_SCHEMA.names())
    offset = int(ranked["cand"][0])
    twin = ranked.select(
        pl.col("ambiguous")
        & pl.col("fits")
        & (pl.col("n_members") == 1)
        & ((pl.col("rules") & _NAMED) == 0)
    )
    keep = ~twin.to_series().to_numpy()
    renumbered = np.cumsum(keep) - 1 + offset
    old = _places(ranked, members["cand"].to_numpy())
    clear = ranked.filter(pl.Series(keep)).with_columns(
        pl.Series("cand", renumbered[keep], dtype=ranked["cand"].dtype)
    )
    clear_members = members.filter(pl.Series(keep[old])).with_columns(
        pl.Series("cand", renumbered[old[keep[old]]], dtype=members["cand"].dtype)
    )
    aside = ranked.filter(~pl.Series(keep)).select(CANDIDATE_SCHEMA.names())
    return clear, clear_members, aside.cast(CANDIDATE_SCHEMA)


def _rivalled(members: pl.DataFrame, side: str, margin: float) -> pl.Series:
    """Per member row: whether another candidate holding its ``side`` (payment or
    invoice) scores as a rival within ``margin`` of its candidate's score."""
    # A group may hold one payment (or invoice) several times: count each candidate once.
    # Only a group can: the member rows of one-pair candidates are distinct as they are.
    alone = pl.Series(_once(members["cand"]))
    columns = ["cand", "rival_score", side]
    distinct = pl.concat(
        [
            members.filter(alone).select(columns),
            members.filter(~alone).select(columns).unique(["cand", side]),
        ]
    )
    # ``side`` holds row numbers: the best, how many share it, the second best and the
    # count per payment (or invoice) are arrays indexed by them, not a group-by and a join.
    held = distinct[side].to_numpy()
    scores = distinct["rival_score"].to_numpy()
    size = int(held.max()) + 1 if held.size else 0
    best = np.full(size, -np.inf)
    np.maximum.at(best, held, scores)
    is_best = scores == best[held]
    n_best = np.bincount(held[is_best], minlength=size)
    second = np.full(size, -np.inf)
    np.maximum.at(second, held[~is_best], scores[~is_best])
    n = np.bincount(held, minlength=size)
    own = members[side].to_numpy()
    rival_score = members["rival_score"].to_numpy()
    # The best rival of the one candidate that alone scores best is the second best (none
    # when all others hold it with the same score); a candidate alone has no rival.
    rival = np.where((rival_score == best[own]) & (n_best[own] == 1), second[own], best[own])
    rivalled = (n[own] > 1) & (rival >= members["score"].to_numpy() - margin)
    return pl.Series(rivalled, dtype=pl.Boolean)


def allocate_ranked(
    ranked: pl.DataFrame,
    members: pl.DataFrame,
    payment_left: list[int],
    invoice_left: list[int],
    payment_amount: list[int],
    invoice_amount: list[int],
) -> Allocations:
    """Allocate one pass. A one-to-one candidate whose payment and invoice appear in no
    other candidate cannot conflict with anything: those are settled at once, the rest
    go through `allocate` best first."""
    # A candidate of one member whose payment and invoice each appear in one member row.
    alone = members.filter(
        pl.Series(_once(members["pay"]) & _once(members["inv"]) & _once(members["cand"]))
    )
    alone = alone.hstack(_candidate_rows(ranked, ["fits"], alone["cand"]))
    amounts = alone.with_columns(
        pl.Series(payment_amount, dtype=pl.Int64).gather(alone["pay"]).alias("paid"),
        pl.Series(invoice_amount, dtype=pl.Int64).gather(alone["inv"]).alias("owed"),
    ).with_columns(
        pl.min_horizontal("paid", "owed").alias("cents"),
        pl.when("fits").then(pl.col("owed") - pl.col("paid")).otherwise(0).alias("write_off"),
    )
    pays, invs, cents = amounts["pay"].to_list(), amounts["inv"].to_list(), amounts["cents"]
    pay_after = pl.when("fits").then(0).otherwise(pl.col("paid") - pl.col("cents"))
    inv_after = pl.when("fits").then(0).otherwise(pl.col("owed") - pl.col("cents"))
    after = amounts.select(pay_after.alias("pay_after"), inv_after.alias("inv_after"))
    for pay, left in zip(pays, after["pay_after"].to_list(), strict=True):
        payment_left[pay] = left
    for inv, left in zip(invs, after["inv_after"].to_list(), strict=True):
        invoice_left[inv] = left
    done = Allocations(
        candidate=amounts["cand"].to_list(),
        payment=pays,
        invoice=invs,
        cents=cents.to_list(),
        write_off_cents=amounts["write_off"].to_list(),
        complete=[True] * amounts.height,
    )
    # `rank` numbers candidates consecutively: the settled ones are a mask indexed by them.
    settled = np.zeros(ranked.height, dtype=bool)
    settled[_places(ranked, alone["cand"].to_numpy())] = True
    contested = ranked.filter(pl.Series(~settled))
    contested_members = members.filter(
        pl.Series(~settled[_places(ranked, members["cand"].to_numpy())])
    )
    start = [0]
    for size in contested["n_members"].to_list():
        start.append(start[-1] + size)
    rest = allocate(
        Candidates(
            candidate=contested["cand"].to_list(),
            fits=contested["fits"].to_list(),
            start=start,
            member_payment=contested_members["pay"].to_list(),
            member_invoice=contested_members["inv"].to_list(),
        ),
        payment_left,
        invoice_left,
        payment_amount,
        invoice_amount,
    )
    for column in ("candidate", "payment", "invoice", "cents", "write_off_cents", "complete"):
        getattr(done, column).extend(getattr(rest, column))
    return done


def _candidate_rows(ranked: pl.DataFrame, columns: list[str], cands: pl.Series) -> pl.DataFrame:
    """``columns`` of ``ranked`` (as `rank` returned it) for the candidates numbered
    ``cands``: `rank` numbers its rows consecutively, so they are gathered, not joined."""
    return ranked.select(columns).gather(_places(ranked, cands.to_numpy()))


def _places(ranked: pl.DataFrame, cands: np.ndarray) -> np.ndarray:
    """Row positions in ``ranked`` of the candidates numbered ``cands``. `rank` numbers
    its rows consecutively, and `set_aside_twins` renumbers them so; this checks it, so
    that a numbering with a gap fails here instead of marking the wrong candidate."""
    if ranked.height == 0:
        return cands.astype(np.int64)
    first, last = int(ranked["cand"][0]), int(ranked["cand"][-1])
    if last - first + 1 != ranked.height:
        raise ValueError(f"candidates {first}..{last} are not numbered consecutively")
    return cands.astype(np.int64) - first


def _once(numbers: pl.Series) -> np.ndarray:
    """Whether each of ``numbers`` (integers in a narrow range) occurs once in them."""
    return np.asarray(occurrences(numbers.to_numpy()) == 1)


def untouched_only(
    candidates: pl.DataFrame, untouched_pay: pl.Series, untouched_inv: pl.Series
) -> pl.DataFrame:
    """The candidates none of whose payments or invoices has been allocated yet."""
    numbered = candidates.cast(CANDIDATE_SCHEMA).with_row_index("row")
    members = numbered.select("row", "m_pay", "m_inv").explode("m_pay", "m_inv")
    # Members are row numbers of payments and invoices: their flags are gathered.
    touched = members.filter(
        ~(untouched_pay.gather(members["m_pay"]) & untouched_inv.gather(members["m_inv"]))
    )
    return numbered.filter(~pl.col("row").is_in(touched["row"].implode())).drop("row")


def _decimal(cents: pl.Expr) -> pl.Expr:
    return cents.cast(pl.Decimal(38, 2)) / 100


def match_rows(
    pays: pl.DataFrame,
    invs: pl.DataFrame,
    cfg: MatchConfig,
    passes: list[tuple[pl.DataFrame, Allocations]],
) -> pl.DataFrame:
    frames = []
    for ranked, done in passes:
        rows = pl.DataFrame(
            {
                "cand": pl.Series(done.candidate, dtype=pl.UInt32),
                "pay": pl.Series(done.payment, dtype=pl.UInt32),
                "inv": pl.Series(done.invoice, dtype=pl.UInt32),
                "cents": pl.Series(done.cents, dtype=pl.Int64),
                "write_off": pl.Series(done.write_off_cents, dtype=pl.Int64),
                "complete": pl.Series(done.complete, dtype=pl.Boolean),
            }
        )
        columns = ["score", "rules", "ambiguous", "first_pay", "first_inv"]
        frames.append(rows.hstack(_candidate_rows(ranked, columns, rows["cand"])))
    rows = pl.concat(frames)
    if rows.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    payment_ids, invoice_ids = pays["payment_id"], invs["invoice_id"]
    # ``cand``, ``pay`` and ``inv`` are row numbers: what their groups share is read from
    # arrays indexed by them, not from windows hashing every row.
    cand, pay, inv = (rows[column].to_numpy() for column in ("cand", "pay", "inv"))
    incomplete = np.zeros(int(cand.max()) + 1, dtype=bool)
    incomplete[cand[~rows["complete"].to_numpy()]] = True
    rows = _sorted_stably(
        rows.with_columns(
            pl.Series("complete", ~incomplete[cand]),
            pl.Series("split", _several(inv, pay)),
            pl.Series("combined", _several(pay, inv)),
        ),
        ["first_pay", "first_inv", "pay", "inv"],
        [False] * 4,
    )
    # ``pay`` and ``inv`` are row numbers: the ids are gathered, not joined.
    rows = rows.with_columns(
        payment_ids.gather(rows["pay"]).alias("payment_id"),
        invoice_ids.gather(rows["inv"]).alias("invoice_id"),
        payment_ids.gather(rows["first_pay"]).alias("first_pid"),
        invoice_ids.gather(rows["first_inv"]).alias("first_iid"),
    )
    auto = (pl.col("score") >= cfg.auto_threshold) & ~pl.col("ambiguous") & pl.col("complete")
    # The rule mask and the three flags as one integer: there are few distinct ones, and
    # each row's list of names is gathered from theirs, not joined on four columns.
    flag_code = (
        pl.col("rules").cast(pl.Int64) * 8
        + pl.col("split").cast(pl.Int64) * 4
        + pl.col("combined").cast(pl.Int64) * 2
        + pl.col("ambiguous").cast(pl.Int64)
    )
    codes = rows.select(flag_code.alias("code")).to_series()
    distinct = codes.unique().sort()
    flags = pl.DataFrame(
        {
            "rules": (distinct // 8).cast(pl.UInt32),
            "split": (distinct // 4) % 2 == 1,
            "combined": (distinct // 2) % 2 == 1,
            "ambiguous": distinct % 2 == 1,
        }
    )
    rows = rows.with_columns(_rule_lists(flags)["names"].gather(distinct.search_sorted(codes)))
    return rows.select(
        pl.format("{}~{}", "first_pid", "first_iid").alias("match_id"),
        "payment_id",
        "invoice_id",
        _decimal(pl.col("cents")).alias("allocated_amount"),
        _decimal(pl.col("write_off")).alias("write_off_amount"),
        pl.col("score").round(4),
        pl.when(auto).then(pl.lit("auto")).otherwise(pl.lit("suggested")).alias("status"),
        pl.col("names").alias("rules"),
    ).cast(OUTPUT_SCHEMA)


def _several(group: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per row: whether its ``group`` (row numbers) holds more than one distinct
    ``member`` among the rows."""
    size = int(group.max()) + 1
    low = np.full(size, np.iinfo(member.dtype).max, dtype=member.dtype)
    high = np.zeros(size, dtype=member.dtype)
    np.minimum.at(low, group, member)
    np.maximum.at(high, group, member)
    return np.asarray(low[group] != high[group])


def _rule_lists(flags: pl.DataFrame) -> pl.DataFrame:
    """``names``: the rules of each mask, then what the allocations showed beside them
    (several payments for an invoice, several invoices for a payment) and ``ambiguous``.
    There are few distinct masks, so each is read once."""
    names = []
    for mask, split, combined, ambiguous in flags.iter_rows():
        listed = rule_names(mask)
        for shown, rule in ((split, "split_payment"), (combined, "combined_payment")):
            if shown and rule not in listed:
                listed.append(rule)
        if ambiguous:
            listed.append("ambiguous")
        names.append(listed)
    return flags.with_columns(pl.Series("names", names, dtype=pl.List(pl.String)))
