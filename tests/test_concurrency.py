"""Two reviewers completing the same task at once: exactly one wins, the state advances once.

These tests commit on separate connections from separate threads. On PostgreSQL
``SELECT … FOR UPDATE`` makes the second command wait for the first, then see the task already
completed; on SQLite every write transaction begins IMMEDIATE (app/transactions.py), so the second
waits for the first at its first statement, and the instance's version column remains as a
second line of defence.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.demo import create_user
from app.errors import Conflict
from app.extensions import db
from app.models import HumanTask, Opinion, OrgUnit, ProcessInstance, Role, TaskStatus, User
from app.processes import runtime as runtime_module
from app.processes.registry import Completion
from app.processes.runtime import complete_task
from app.tasks.services import claim
from tests.conftest import FAST_HASH
from tests.helpers import open_task, start_application, valid_application


@pytest.fixture
def township_task(app, world, make_browser):
    """An application waiting at 乡镇审核 for township T1, which now has two reviewers."""
    with app.app_context():
        t1 = db.session.get(OrgUnit, world.orgs["YY-T1"])
        create_user("town1b", "孙阳明", [(Role.TOWNSHIP_REVIEWER, t1)], password_method=FAST_HASH)
        db.session.commit()
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    make_browser("s1_principal").post(f"/tasks/{open_task(app, pid).id}",
                                      data={"decision": "approve", "action": "submit"})
    task = open_task(app, pid)
    assert task.bpmn_id == "Task_township" and task.assignee_id is None
    return task


def _approve(task: HumanTask, record) -> Completion:
    return Completion({"township_decision": "approve"}, "approve", None)


def _user(username: str) -> User:
    """Load the actor, then end that read, so the command's transaction starts inside the command."""
    user = db.session.scalars(select(User).where(User.username == username)).one()
    db.session.commit()
    return user


def _run(app, username: str, task_id: int, results: dict, apply=_approve) -> None:
    with app.app_context():
        user = _user(username)
        try:
            complete_task(task_id, actor=user, apply=apply)
            db.session.commit()
            results[username] = "won"
        except Conflict as err:
            db.session.rollback()
            results[username] = f"409 {err.message}"
        except StaleDataError:
            db.session.rollback()
            results[username] = "409 stale"
        finally:
            db.session.remove()


def _assert_advanced_once(app, task_id: int, results: dict) -> None:
    assert sorted(r == "won" for r in results.values()) == [False, True], results
    loser = next(r for r in results.values() if r != "won")
    assert loser.startswith("409")
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        assert task.status == TaskStatus.COMPLETED
        assert db.session.scalar(select(func.count()).select_from(Opinion).where(
            Opinion.human_task_id == task_id)) == 1
        open_rows = list(db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == task.instance_id, HumanTask.status == TaskStatus.OPEN)))
        assert [t.bpmn_id for t in open_rows] == ["Task_city"]
        instance = db.session.get(ProcessInstance, task.instance_id)
        completions = db.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.COMPLETED))
        assert completions == 3  # draft, principal, township — the township step only once


def test_simultaneous_completions_exactly_one_wins(app, township_task, monkeypatch):
    barrier = threading.Barrier(2, timeout=15)
    original = runtime_module.lock_task

    def gated(task_id):
        barrier.wait()  # both commands have loaded the task as open before either locks
        return original(task_id)

    monkeypatch.setattr(runtime_module, "lock_task", gated)
    results: dict[str, str] = {}
    threads = [threading.Thread(target=_run, args=(app, name, township_task.id, results))
               for name in ("town1", "town1b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    _assert_advanced_once(app, township_task.id, results)


def test_second_completion_during_the_first_one_loses(app, township_task):
    """The first command is paused inside its transaction; the second runs meanwhile."""
    inside = threading.Event()
    release = threading.Event()

    def slow_apply(task, record):
        inside.set()
        assert release.wait(15)
        return _approve(task, record)

    results: dict[str, str] = {}
    first = threading.Thread(target=_run, args=(app, "town1", township_task.id, results, slow_apply))
    first.start()
    assert inside.wait(15)
    second = threading.Thread(target=_run, args=(app, "town1b", township_task.id, results))
    second.start()
    # The instance row lock (PostgreSQL) or the write lock (SQLite) holds the second command
    # until the first commits.
    second.join(1.0)
    assert second.is_alive(), "the second completion did not wait for the first"
    release.set()
    first.join(30)
    second.join(30)
    _assert_advanced_once(app, township_task.id, results)
    assert results == {"town1": "won", "town1b": results["town1b"]}
    assert "已由 赵阳明" in results["town1b"]


def test_concurrent_claims_one_wins(app, township_task):
    barrier = threading.Barrier(2, timeout=15)
    results: dict[str, str] = {}

    def run(username):
        with app.app_context():
            user = _user(username)
            barrier.wait()
            try:
                claim(township_task.id, actor=user)
                db.session.commit()
                results[username] = "won"
            except Conflict as err:
                db.session.rollback()
                results[username] = err.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("town1", "town1b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r == "won" for r in results.values()) == [False, True], results
    winner = next(n for n, r in results.items() if r == "won")
    loser_message = next(r for r in results.values() if r != "won")
    assert "已被" in loser_message and "认领" in loser_message
    with app.app_context():
        task = db.session.get(HumanTask, township_task.id)
        assert task.assignee.username == winner


def test_http_second_submission_gets_409(app, township_task, make_browser):
    first, second = make_browser("town1"), make_browser("town1b")
    data = {"decision": "approve", "action": "submit"}
    assert first.post(f"/tasks/{township_task.id}", data=data).status_code == 302
    r = second.post(f"/tasks/{township_task.id}", data=data)
    assert r.status_code == 409
    assert "已由 赵阳明" in r.get_data(as_text=True)
