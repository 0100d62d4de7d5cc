"""A large match in batches: the payments and invoices split into parts no candidate
crosses, each part matched on its own. A payment then costs what it costs in a batch,
whatever the size of the book, and the memory held is a batch's (two, matched side by
side: `MatchConfig.batches_side_by_side`).

A candidate only ever pairs a payment with an invoice it can reach:

- a known payer reaches its own invoices and those whose parent it is (it may pay for
  its subsidiaries: ``parent_counterparty_id``);
- a payer not identified reaches the invoices its reference names exactly (and, through
  the slips, the other invoices of their customer groups), and the invoices of exactly
  its amount whose number is one slip from its reference's longest number.

So the counterparties are joined by their parents, and each unidentified payment joins
the counterparties of the invoices it reaches; every connected part (a customer group
with the bank lines naming it) is matched with all it can reach. Parts are packed, in
order, into batches of up to ``max_payments`` payments (a part larger than that is a
batch of its own). Payments that reach no invoice, and invoices no payment reaches,
have no candidate: they are left out of every batch.

The one thing a batch learns from its own data is how late payers pay
(`matcher.payments.delays`, from the batch's surest matches, which at a batch's size
are thousands); everything else a batch reads is the same as in one run. The number of
open invoices sharing an amount, which decides whether an unidentified payer's amount
is too common to mean anything, is counted over the whole book before the split
(``amount_peers``, `matcher.payments.inputs.prepare_invoices`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher.payments.amount_pairs import unknown_payer_amount_pairs
from matcher.payments.inputs import named_invoices
from matcher.payments.slips import common_amount_slips, fuzzy_reference


def batches(
    pays: pl.DataFrame, invs: pl.DataFrame, max_payments: int
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """``pays`` and ``invs`` (prepared, with codes) in batches of at most ``max_payments``
    payments each (but a part that no candidate crosses is never split), their ``pay``
    and ``inv`` row numbers counted again from zero, in the order they had. One batch at
    a time: only the batches being matched are held beside the whole."""
    batch_of_pay, batch_of_inv = assignment(pays, invs, max_payments)
    count = _count(batch_of_pay, batch_of_inv)
    pay_rows, inv_rows = _rows_by_batch(batch_of_pay, count), _rows_by_batch(batch_of_inv, count)
    for batch_pays, batch_invs in zip(pay_rows, inv_rows, strict=True):
        if batch_pays.size and batch_invs.size:
            yield _renumbered(pays, batch_pays, "pay"), _renumbered(invs, batch_invs, "inv")


def batch_counts(
    pays: pl.DataFrame, invs: pl.DataFrame, max_payments: int
) -> tuple[np.ndarray, np.ndarray]:
    """The payments and the invoices of each batch `batches` makes, in its order (a batch
    may have none of one side: `batches` skips it)."""
    batch_of_pay, batch_of_inv = assignment(pays, invs, max_payments)
    count = _count(batch_of_pay, batch_of_inv)
    return (
        np.bincount(batch_of_pay[batch_of_pay >= 0], minlength=count),
        np.bincount(batch_of_inv[batch_of_inv >= 0], minlength=count),
    )


def assignment(
    pays: pl.DataFrame, invs: pl.DataFrame, max_payments: int
) -> tuple[np.ndarray, np.ndarray]:
    """The batch of each payment and each invoice (by row; -1: in none)."""
    part_of_pay, part_of_inv = parts(pays, invs)
    sizes = np.bincount(part_of_pay[part_of_pay >= 0], minlength=_count(part_of_pay, part_of_inv))
    batch_of_part = _packed(sizes, max_payments)
    batch_of_pay = np.where(part_of_pay >= 0, batch_of_part[np.maximum(part_of_pay, 0)], -1)
    # A part with no payment gets no batch: its invoices are left out with it.
    batch_of_inv = np.where(sizes[part_of_inv] > 0, batch_of_part[part_of_inv], -1)
    return batch_of_pay, batch_of_inv


def parts(pays: pl.DataFrame, invs: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The part of each payment and each invoice (by row): equal numbers for rows a
    candidate may join, -1 for a payment that reaches no invoice.

    The graph's nodes are the counterparties, each unidentified payment, and each invoice
    with no counterparty (no payer's own: only a bank line naming it reaches it)."""
    parties = _party_count(pays, invs)
    unknown = pays.filter(pl.col("p_cp").is_null()).select("pay")
    node = np.full(pays.height, -1, dtype=np.int64)
    known = pays["p_cp"].is_not_null().to_numpy()
    node[known] = pays["p_cp"].fill_null(0).to_numpy()[known]
    node[unknown["pay"].to_numpy()] = parties + np.arange(unknown.height)
    inv_node = _invoice_nodes(invs, parties + unknown.height)
    reached = _reached(pays, invs)
    has_parent = invs["i_parent"].is_not_null().to_numpy()
    edges_from = np.concatenate([inv_node[has_parent], node[reached["pay"].to_numpy()]])
    edges_to = np.concatenate(
        [
            invs["i_parent"].fill_null(0).to_numpy().astype(np.int64)[has_parent],
            inv_node[reached["inv"].to_numpy()],
        ]
    )
    size = int(max(inv_node.max(initial=-1) + 1, parties + unknown.height))
    graph = coo_matrix(
        (np.ones(edges_from.size, dtype=np.int8), (edges_from, edges_to)), shape=(size, size)
    )
    _, label = connected_components(graph, directed=False)
    reaches = np.zeros(pays.height, dtype=bool)
    reaches[known] = True
    reaches[reached["pay"].to_numpy()] = True
    part_of_pay = np.where(reaches, label[np.maximum(node, 0)], -1)
    return part_of_pay, label[inv_node].astype(np.int64)


def _invoice_nodes(invs: pl.DataFrame, first_free: int) -> np.ndarray:
    """The node of each invoice (by row): its counterparty's code, or, for an invoice with
    none, a node of its own numbered from ``first_free``."""
    orphan = invs["i_cp"].is_null().to_numpy()
    nodes = invs["i_cp"].fill_null(0).to_numpy().astype(np.int64)
    nodes[orphan] = first_free + np.arange(int(orphan.sum()))
    return nodes


def _reached(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """``pay``, ``inv``: the invoices each unidentified payment reaches (module doc)."""
    unknown = pays.filter(pl.col("p_cp").is_null())
    named = named_invoices(unknown, invs)
    equal = unknown_payer_amount_pairs(unknown, invs)
    equal = pl.concat(
        [
            equal.select("pay", "inv", "via_ref", pl.lit(False).alias("slip")),
            pays.select("ref_longest").gather(equal["pay"]),
            invs.select("num_key").gather(equal["inv"]),
        ],
        how="horizontal",
    )
    slipped = fuzzy_reference(equal).filter(pl.col("ref_fuzzy")).select("pay", "inv")
    return pl.concat([named, slipped, common_amount_slips(unknown, invs).select("pay", "inv")])


def _party_count(pays: pl.DataFrame, invs: pl.DataFrame) -> int:
    """One more than the largest counterparty code (`matcher.payments.inputs.with_codes`)."""
    codes = pl.concat([pays["p_cp"], invs["i_cp"], invs["i_parent"]]).drop_nulls()
    return int(codes.to_numpy().max()) + 1 if codes.len() else 0


def _count(of_pay: np.ndarray, of_inv: np.ndarray) -> int:
    """How many parts (or batches) the numbers of either side count: one more than the
    largest."""
    return int(max(of_pay.max(initial=-1), of_inv.max(initial=-1))) + 1


def _packed(sizes: np.ndarray, max_payments: int) -> np.ndarray:
    """The batch of each part: parts in order, a batch closed when the next part would
    take it past ``max_payments`` payments; a part of that many or more is a batch of its
    own, and a part with none joins no batch's count."""
    batch = np.zeros(sizes.size, dtype=np.int64)
    filled, current, opened = 0, 0, 1
    # One pass in Python over the parts holding payments: a few hundred thousand at most.
    for part in np.flatnonzero(sizes):
        size = int(sizes[part])
        if size >= max_payments:
            batch[part] = opened
            opened += 1
            continue
        if filled + size > max_payments:
            current, filled = opened, 0
            opened += 1
        filled += size
        batch[part] = current
    return batch


def _rows_by_batch(batch_of_row: np.ndarray, count: int) -> list[np.ndarray]:
    """The rows of each batch ``0 .. count - 1``, in order (rows of batch -1 in none): one
    stable sort, then a slice per batch, not a scan of every row per batch."""
    order = np.argsort(batch_of_row, kind="stable")
    bounds = np.searchsorted(batch_of_row[order], np.arange(count + 1))
    return [order[bounds[b] : bounds[b + 1]] for b in range(count)]


def _renumbered(frame: pl.DataFrame, rows: np.ndarray, index: str) -> pl.DataFrame:
    """``rows`` of ``frame``, their ``index`` column counted from zero."""
    return frame[rows].drop(index).with_row_index(index)
