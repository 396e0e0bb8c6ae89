"""Gap-tolerant, concurrency-safe counters for document numbers (project codes, business keys)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import SequenceCounter


def next_value(name: str) -> int:
    """Increment and return the counter ``name``.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite) that is held until the
    command commits, so two concurrent commands never get the same number.
    """
    result = db.session.execute(update(SequenceCounter).where(SequenceCounter.name == name)
                                .values(value=SequenceCounter.value + 1))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        try:
            with db.session.begin_nested():
                db.session.add(SequenceCounter(name=name, value=1))
            return 1
        except IntegrityError:
            # Someone created it between our UPDATE and INSERT: increment theirs.
            db.session.execute(update(SequenceCounter).where(SequenceCounter.name == name)
                               .values(value=SequenceCounter.value + 1))
    return db.session.scalars(select(SequenceCounter.value).where(SequenceCounter.name == name)).one()
