"""Concurrent writers never see "database is locked": SQLite write transactions begin IMMEDIATE."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessInstance, ProjectApplication, User
from app.projects.services import create_application
from app.transactions import view_only_reads, writes


def test_parallel_writers_all_succeed_with_distinct_numbers(app, world):
    errors: list[BaseException] = []
    per_thread, threads = 8, 4

    def work():
        with app.app_context():
            try:
                for _ in range(per_thread):
                    admin = db.session.get(User, world.users["s1_admin"])
                    create_application(actor=admin, school_id=world.orgs["YY-S1"])
                    db.session.commit()
            except BaseException as err:  # any error fails the test below, with its message
                db.session.rollback()
                errors.append(err)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProjectApplication)) == per_thread * threads
        keys = list(db.session.scalars(select(ProcessInstance.business_key)))
        assert len(set(keys)) == len(keys) == per_thread * threads


def test_only_safe_methods_of_unmarked_views_read_only():
    def view():
        return None

    @writes
    def receipt():
        return None

    assert view_only_reads("GET", view) and view_only_reads("HEAD", view)
    assert not view_only_reads("POST", view)
    assert not view_only_reads("GET", receipt)
