"""How SQLite transactions begin.

pysqlite, left to itself, opens transactions implicitly and late: a SAVEPOINT starts one behind
SQLAlchemy's back, and a transaction that has read and then writes fails at once with
"database is locked" (SQLITE_BUSY_SNAPSHOT) when another writer committed in between — the busy
timeout does not apply to that case. So on SQLite the application emits BEGIN itself:
``BEGIN IMMEDIATE`` (take the write lock up front, waiting up to the busy timeout) for every
transaction that may write, and a plain deferred ``BEGIN`` for requests that only read.

A request only reads when its method is GET/HEAD/OPTIONS and its view is not marked
:func:`writes`. Everything outside a request (CLI commands, the worker, tests) may write.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Engine, event

F = TypeVar("F", bound=Callable[..., Any])

read_only: ContextVar[bool] = ContextVar("read_only_transactions", default=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(view: F) -> F:
    """Mark a GET view that writes (e.g. a read receipt), so that it gets a write transaction."""
    view._writes = True  # type: ignore[attr-defined]
    return view


def view_only_reads(method: str, view: Callable[..., Any] | None) -> bool:
    return method in SAFE_METHODS and not getattr(view, "_writes", False)


def configure_sqlite(engine: Engine) -> None:
    """Install the connection pragmas and explicit BEGINs on a SQLite engine."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record) -> None:
        # SQLAlchemy's "begin" event below decides when a transaction starts, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Foreign keys are off by default in SQLite; WAL lets readers proceed while one writer commits.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN" if read_only.get() else "BEGIN IMMEDIATE")
