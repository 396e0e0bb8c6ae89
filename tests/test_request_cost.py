"""The hot requests of the load test stay cheap: statements per request, and shared reads give the same answers.

Budgets count SQL statements (SQLite counts the BEGIN the app emits); they guard against a change that
makes a page query once per panel, per row or per user again. Timings are measured by
benchmarks/bench_requests.py, never here.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event, select

from app.extensions import db
from app.models import HumanTask, TaskStatus, User
from app.tasks.actions.eligibility import (
    CandidatePool,
    cc_candidates,
    delegate_candidates,
    signer_candidates,
    transfer_candidates,
)
from tests.helpers import start_application, valid_application


@contextmanager
def counting(app):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _submitted_application(app, world, make_browser) -> int:
    admin = make_browser("s1_admin")
    project_id = start_application(app, admin, world.orgs["YY-S1"])
    with app.app_context():
        from app.models import ProjectApplication

        instance_id = db.session.get(ProjectApplication, project_id).instance_id
        task_id = db.session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.status == TaskStatus.OPEN)).one()
    assert admin.post(f"/tasks/{task_id}", data=valid_application(app)).status_code == 302
    with app.app_context():
        return db.session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.status == TaskStatus.OPEN)).one()


def test_inbox_task_page_and_approval_stay_within_their_statement_budgets(app, world, make_browser):
    task_id = _submitted_application(app, world, make_browser)
    principal = make_browser("s1_principal")
    with counting(app) as inbox:
        html = principal.get("/tasks").get_data(as_text=True)
    assert f'href="/tasks/{task_id}"' in html
    with counting(app) as page:
        html = principal.get(f"/tasks/{task_id}").get_data(as_text=True)
    # The page still offers every panel the principal may use, with the people to choose from.
    for panel in ('name="transfer-user_id"', 'name="delegate-user_id"', 'name="add_sign-user_id"',
                  'name="cc-user_ids"', 'name="return_to-target_id"'):
        assert panel in html, panel
    with counting(app) as complete:
        response = principal.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意",
                                                             "action": "submit"})
    assert response.status_code == 302
    assert len(inbox) <= 12, inbox
    assert len(page) <= 25, page
    assert len(complete) <= 20, complete


def test_the_first_step_page_does_not_read_the_workflow(app, world, make_browser):
    admin = make_browser("s1_admin")
    start_application(app, admin, world.orgs["YY-S1"])  # the year's first business key also creates its counter
    with counting(app) as new:
        response = admin.post("/projects/new", data={"school_id": str(world.orgs["YY-S1"])})
    with app.app_context():
        task_id = db.session.scalars(select(HumanTask.id).order_by(HumanTask.id.desc())).first()
    # The redirect leads straight to the new 申报书 task, built without a second transaction.
    assert response.headers["Location"].endswith(f"/tasks/{task_id}")
    assert len(new) <= 20, new
    with counting(app) as page:
        html = admin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="title"' in html
    # Nothing to go back to on the first step: its state column is never read for 退回.
    assert not [s for s in page if re.search(r"SELECT process_instance\.state\b", s)]
    assert len(page) <= 23, page


def test_the_shared_candidate_pool_offers_the_same_people_as_the_direct_queries(app, world, make_browser):
    task_id = _submitted_application(app, world, make_browser)
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        # A colleague who left must drop out of every list, pooled or not.
        actor = db.session.get(User, world.users["s1_principal"])
        db.session.get(User, world.users["s1_teacher"]).active = False
        db.session.flush()
        pool = CandidatePool.of(task.instance)
        step = [task]
        for direct, pooled in (
                (transfer_candidates(task, actor), transfer_candidates(task, actor, step=step, pool=pool)),
                (delegate_candidates(task, actor), delegate_candidates(task, actor, step=step, pool=pool)),
                (signer_candidates(task, actor), signer_candidates(task, actor, step=step, pool=pool)),
                (cc_candidates(task.instance, actor), cc_candidates(task.instance, actor, pool=pool))):
            assert [u.id for u in pooled] == [u.id for u in direct]
        assert world.users["s1_teacher"] not in [u.id for u in delegate_candidates(task, actor, pool=pool)]
        assert world.users["s1_admin"] in [u.id for u in delegate_candidates(task, actor, pool=pool)]
        assert world.users["town1"] in [u.id for u in signer_candidates(task, actor, pool=pool)]
        db.session.rollback()
