"""Two people opening the same term at once (or a school's credits twice): one plan per school,
one credit batch per school and term, whoever gets there first. Runs on separate connections from
separate threads, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.credits.services import start_batch
from app.errors import Conflict
from app.extensions import db
from app.models import CreditBatch, OrgUnit, ResearchPlan, Term, User
from app.plans.opening import open_term
from app.plans.services import plan_already_open, start_term_plan
from tests.planning.helpers import term_id


def _in_thread(app, fn, results, name, barrier):
    def run():
        with app.app_context():
            try:
                barrier.wait(10)   # both commands start together
                results[name] = fn()
                db.session.commit()
            except Conflict as err:
                db.session.rollback()
                results[name] = f"409 {err.message}"
            except Exception as err:  # reported by the assertions, not lost in the thread
                db.session.rollback()
                results[name] = f"error {type(err).__name__}: {err}"
            finally:
                db.session.remove()
    return threading.Thread(target=run)


def test_two_centre_users_opening_a_term_at_once_make_one_plan_per_school(app, regions):
    term = term_id(regions, "YY")
    results: dict = {}

    def opener(username):
        def go():
            actor = db.session.scalars(select(User).where(User.username == username)).one()
            return open_term(term, actor=actor, already=plan_already_open, start=start_term_plan,
                             action="plan.open_term")
        return go

    barrier = threading.Barrier(2)
    threads = [_in_thread(app, opener(name), results, name, barrier) for name in ("admin", "city")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(hasattr(r, "started") for r in results.values()), results
    started = results["admin"].started + results["city"].started
    assert sorted(started) == sorted(set(started)) and len(started) == 6
    with app.app_context():
        counts = dict(db.session.execute(select(ResearchPlan.school_id, func.count())
                                         .group_by(ResearchPlan.school_id)).all())
        assert len(counts) == 6 and set(counts.values()) == {1}


def test_a_schools_credits_cannot_be_opened_twice_at_once(app, regions):
    term = term_id(regions, "YY")
    results: dict = {}

    def starter(username):
        def go():
            actor = db.session.scalars(select(User).where(User.username == username)).one()
            school = db.session.get(OrgUnit, regions.orgs["YY-S1"])
            return start_batch(school, db.session.get(Term, term), actor=actor).id
        return go

    barrier = threading.Barrier(2)
    threads = [_in_thread(app, starter(name), results, name, barrier) for name in ("s1_admin", "city")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    outcomes = sorted(str(v).startswith("409") for v in results.values())
    assert outcomes == [False, True], results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CreditBatch)) == 1
