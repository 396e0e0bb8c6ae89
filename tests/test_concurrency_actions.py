"""Actions racing a completion: exactly one takes effect, on SQLite (write transactions begin
IMMEDIATE; version columns behind that) and on PostgreSQL (row locks). Two threads, two
connections, a barrier just before the instance lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.demo import create_user
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.models import HumanTask, Opinion, OrgUnit, Role, TaskStatus, User
from app.processes import runtime as runtime_module
from app.processes.registry import Completion
from app.processes.runtime import complete_task
from app.tasks.actions import common as common_module
from app.tasks.actions.handover import transfer
from app.tasks.actions.rewind import withdraw
from tests.conftest import FAST_HASH
from tests.helpers import open_task, start_application, valid_application


def _gate(app, monkeypatch, parties: int = 2) -> None:
    """On PostgreSQL, hold both commands just before the instance lock, after their reads.

    On SQLite there is no such point: a command takes the database's write lock with its first
    statement (BEGIN IMMEDIATE), so both are started together instead (see :func:`_race`).
    """
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
    barrier = threading.Barrier(parties, timeout=15)
    original = runtime_module.lock_task

    def gated(task_id):
        barrier.wait()  # both commands have read the state before either takes the lock
        return original(task_id)

    monkeypatch.setattr(runtime_module, "lock_task", gated)
    monkeypatch.setattr(common_module, "lock_task", gated)


def _run(app, username: str, results: dict, command, start: threading.Barrier) -> None:
    with app.app_context():
        start.wait()
        user = db.session.scalars(select(User).where(User.username == username)).one()
        # End that read, so the command's transaction begins inside the command (at the barrier).
        db.session.commit()
        try:
            command(user)
            db.session.commit()
            results[username] = "won"
        except (Conflict, Forbidden) as err:
            db.session.rollback()
            results[username] = f"refused {err.message}"
        except StaleDataError:
            db.session.rollback()
            results[username] = "refused stale"
        finally:
            db.session.remove()


def _race(app, commands: dict) -> dict:
    results: dict[str, str] = {}
    start = threading.Barrier(len(commands), timeout=15)
    threads = [threading.Thread(target=_run, args=(app, name, results, cmd, start))
               for name, cmd in commands.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2, results
    assert sorted(r == "won" for r in results.values()) == [False, True], results
    return results


@pytest.fixture
def at_township(app, world, make_browser):
    with app.app_context():
        t1 = db.session.get(OrgUnit, world.orgs["YY-T1"])
        for name in ("town1b", "town1c"):
            create_user(name, name, [(Role.TOWNSHIP_REVIEWER, t1)], password_method=FAST_HASH)
        db.session.commit()
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    make_browser("s1_principal").post(f"/tasks/{open_task(app, pid).id}", data={"decision": "approve", "action": "submit"})
    return open_task(app, pid)


def test_transfer_racing_a_completion(app, at_township, monkeypatch):
    _gate(app, monkeypatch)
    task_id = at_township.id
    with app.app_context():
        town1c = db.session.scalars(select(User.id).where(User.username == "town1c")).one()
    results = _race(app, {
        "town1": lambda u: transfer(task_id, actor=u, to_user_id=town1c),
        "town1b": lambda u: complete_task(task_id, actor=u, apply=lambda t, r: Completion(
            {"township_decision": "approve"}, "approve")),
    })
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        transfers = db.session.scalars(select(Opinion).where(Opinion.action == "transfer")).all()
        if results["town1"] == "won":
            assert task.status == TaskStatus.OPEN and task.assignee_id == town1c and len(transfers) == 1
        else:
            assert task.status == TaskStatus.COMPLETED and transfers == []
            assert [t.bpmn_id for t in db.session.scalars(select(HumanTask).where(
                HumanTask.instance_id == task.instance_id, HumanTask.status == TaskStatus.OPEN))] == ["Task_city"]


def test_withdraw_racing_the_next_steps_approval(app, world, make_browser, monkeypatch):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    next_task = open_task(app, pid)
    _gate(app, monkeypatch)
    results = _race(app, {
        "s1_admin": lambda u: withdraw(next_task.instance_id, actor=u),
        "s1_principal": lambda u: complete_task(next_task.id, actor=u, apply=lambda t, r: Completion(
            {"principal_decision": "approve"}, "approve")),
    })
    with app.app_context():
        live = [t.bpmn_id for t in db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == next_task.instance_id, HumanTask.status == TaskStatus.OPEN))]
        withdrawn = db.session.scalars(select(Opinion).where(Opinion.action == "withdraw")).all()
        if results["s1_admin"] == "won":
            assert live == ["Task_draft"] and len(withdrawn) == 1
            assert db.session.get(HumanTask, next_task.id).status == TaskStatus.CANCELLED
        else:
            assert live == ["Task_township"] and withdrawn == []
