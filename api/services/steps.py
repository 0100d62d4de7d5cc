"""Services written once for sync and async connections: a service's reading is a generator
that yields each query (its text and parameters) and is sent the rows, then returns its
answer; `run_steps` drives it on a connection, `run_steps_async` on an async one (the JSON
API's hot reads, on the event loop)."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    params: Mapping[str, Any]


Steps = Generator[Query, list[Any], T]
"""Yields the queries one after the other, is sent each one's rows, returns the answer."""


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    answer: T


def _advance(steps: Steps[T], rows: list[Any] | None) -> Query | Done[T]:
    """The next query of `steps` once sent `rows` (None to start), or its answer."""
    try:
        return steps.send(rows) if rows is not None else next(steps)
    except StopIteration as done:
        return Done(done.value)


def run_steps(conn: psycopg.Connection[Any], steps: Steps[T]) -> T:
    step = _advance(steps, None)
    while isinstance(step, Query):
        step = _advance(steps, conn.execute(step.text, step.params).fetchall())
    return step.answer


async def run_steps_async(conn: psycopg.AsyncConnection[Any], steps: Steps[T]) -> T:
    step = _advance(steps, None)
    while isinstance(step, Query):
        step = _advance(steps, await (await conn.execute(step.text, step.params)).fetchall())
    return step.answer
