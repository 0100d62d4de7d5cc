"""The streams CDC polls: one per (system, entity), in dependency order (masters before
the documents that name them), with the poller that reads each and its default interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from canonical import PermanentError
from cdc.kashflow import DocumentPoller, NominalPoller, PartyPoller
from cdc.outcome import PollOutcome, PollSettings, PollStart
from cdc.sage100 import Sage100Poller
from connectors.kashflow import KashFlowClient
from connectors.sage100.odbc import Sage100Reader


class Poller(Protocol):
    entity: str

    @property
    def system(self) -> str: ...

    def chunks(self, start: PollStart) -> Iterator[PollOutcome]:
        """The poll from `start.position`, in chunks to commit one by one in order; the
        last is `final`."""
        ...


class Sources:
    """The systems the configuration names, opened on first use and kept open."""

    def __init__(
        self,
        sage100: Callable[[], Sage100Reader],
        kashflow: Callable[[], KashFlowClient],
        settings: PollSettings | None = None,
    ) -> None:
        self._open_sage100 = sage100
        self._open_kashflow = kashflow
        self._reader: Sage100Reader | None = None
        self._client: KashFlowClient | None = None
        self.settings = settings or PollSettings()

    def sage100(self) -> Sage100Reader:
        if self._reader is None:
            self._reader = self._open_sage100()
        return self._reader

    def kashflow(self) -> KashFlowClient:
        if self._client is None:
            self._client = self._open_kashflow()
        return self._client

    def poller(self, stream: Stream) -> Poller:
        if stream.system == "sage100":
            return Sage100Poller(stream.entity, self.sage100(), self.settings)
        client = self.kashflow()
        if stream.entity in ("gl_account", "product"):
            return NominalPoller(stream.entity, client, self.settings)
        if stream.entity in ("customer", "supplier"):
            return PartyPoller(stream.entity, client, self.settings)
        return DocumentPoller(stream.entity, client, self.settings)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Stream:
    system: str
    entity: str
    interval_seconds: int
    """How often it is polled unless `ledgerbridge schedule set` says otherwise."""

    @property
    def name(self) -> str:
        return f"{self.system}:{self.entity}"


STREAMS: tuple[Stream, ...] = (
    # masters first: the documents below name them
    Stream("sage100", "gl_account", 300),
    Stream("sage100", "customer", 30),
    Stream("sage100", "supplier", 30),
    Stream("sage100", "product", 60),
    Stream("sage100", "stock_level", 60),
    Stream("kashflow", "gl_account", 900),
    Stream("kashflow", "customer", 300),
    Stream("kashflow", "supplier", 300),
    Stream("kashflow", "product", 900),
    # documents, then what settles them
    Stream("sage100", "sales_invoice", 30),
    Stream("sage100", "purchase_invoice", 30),
    Stream("sage100", "payment", 30),
    Stream("sage100", "supplier_payment", 30),
    Stream("sage100", "journal_entry", 60),
    Stream("sage100", "order_status", 60),
    Stream("kashflow", "sales_invoice", 120),
    Stream("kashflow", "purchase_invoice", 120),
)
"""Every stream, in the order `sync --once` polls them. KashFlow payments are read with
the invoices and purchases they are lines of, so they have no stream of their own. Sage
100's `supplier_payment` stream reads A/P check history (after vendors and purchase
invoices, which checks name) into the `payment` ledger stream beside cash receipts."""


def stream(system: str, entity: str) -> Stream:
    for known in STREAMS:
        if (known.system, known.entity) == (system, entity):
            return known
    names = ", ".join(s.name for s in STREAMS)
    raise PermanentError(
        f"no CDC stream {system}:{entity}; streams: {names}", system=system, entity=entity
    )
