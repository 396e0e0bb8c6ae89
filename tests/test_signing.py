"""Node rules (会签 / 或签 / 依次 / 比例) and added signers (加签 before / after / parallel, 减签)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.demo import create_user
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.models import HumanTask, InstanceStatus, OrgUnit, ProcessInstance, Role, SignKind, TaskStatus, User
from app.processes import runtime as runtime_module
from app.processes.registry import Completion
from app.processes.runtime import complete_task, start_instance
from app.processes.services import check_application_references, store_definitions
from app.tasks.actions.signers import add_signer, remove_signer
from tests.bpmn.fixtures.shapes import review_process
from tests.conftest import FAST_HASH
from workflows import BpmnDeployError, parse_definition

REVIEWERS = ("town1", "town1b", "town1c")


@pytest.fixture
def township_of_three(app, world):
    with app.app_context():
        t1 = db.session.get(OrgUnit, world.orgs["YY-T1"])
        for name in REVIEWERS[1:]:
            create_user(name, f"审核员{name}", [(Role.TOWNSHIP_REVIEWER, t1)], password_method=FAST_HASH)
        db.session.commit()
    return world


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def _deploy(rule: str | None) -> None:
    # Definition ids restart after each test's cleanup; forget the id -> spec hash memo.
    runtime_module._definition_hashes.clear()
    parsed = parse_definition(review_process(rule), "rule_review.bpmn")
    check_application_references(parsed)
    store_definitions([parsed], actor=None)


def _start_and_draft(world) -> int:
    admin = _user("s1_admin")
    instance = start_instance("rule_review", actor=admin, school=db.session.get(OrgUnit, world.orgs["YY-S1"]),
                              title="会签测试", data={}, key_prefix="HQ")
    draft = _rows(instance.id)[0]
    complete_task(draft.id, actor=admin, apply=lambda t, r: Completion({"draft_done": "approve"}, "approve"))
    db.session.commit()
    return instance.id


def _rows(instance_id: int, bpmn_id: str | None = None) -> list[HumanTask]:
    stmt = select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    if bpmn_id:
        stmt = stmt.where(HumanTask.bpmn_id == bpmn_id)
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


def _decide(instance_id: int, username: str, decision: str) -> None:
    row = next(r for r in _rows(instance_id, "Task_review") if r.assignee and r.assignee.username == username
               and r.is_live)
    complete_task(row.id, actor=_user(username),
                  apply=lambda t, r: Completion({"review_decision": decision}, decision))
    db.session.commit()


def _state(instance_id: int) -> tuple[str, str | None]:
    instance = db.session.get(ProcessInstance, instance_id)
    db.session.refresh(instance)
    return instance.status.value, instance.outcome


def test_deploy_refuses_an_unknown_rule_and_rules_on_form_steps(ctx):
    with pytest.raises(BpmnDeployError, match="signRule"):
        check_application_references(parse_definition(review_process("most"), "x.bpmn"))
    with pytest.raises(BpmnDeployError, match="ratio"):
        check_application_references(parse_definition(review_process("ratio:1.5"), "x.bpmn"))


def test_all_must_approve(ctx, township_of_three):
    _deploy("all")
    iid = _start_and_draft(township_of_three)
    rows = _rows(iid, "Task_review")
    assert sorted(r.assignee.username for r in rows) == sorted(REVIEWERS)
    assert all(r.status == TaskStatus.OPEN and r.sign_kind == SignKind.MEMBER for r in rows)
    _decide(iid, "town1", "approve")
    _decide(iid, "town1b", "approve")
    assert _state(iid) == ("running", None)
    _decide(iid, "town1c", "approve")
    assert _state(iid) == ("completed", "End_ok")


def test_all_one_reject_vetoes_and_cancels_the_others(ctx, township_of_three):
    _deploy("all")
    iid = _start_and_draft(township_of_three)
    _decide(iid, "town1", "approve")
    _decide(iid, "town1b", "reject")
    assert _state(iid) == ("completed", "End_no")
    assert [r.status for r in _rows(iid, "Task_review") if r.assignee.username == "town1c"] == [TaskStatus.CANCELLED]


def test_any_first_decision_decides(ctx, township_of_three):
    _deploy("any")
    iid = _start_and_draft(township_of_three)
    _decide(iid, "town1b", "return")
    # 退回修改 went back to the draft; the other reviewers' tasks are gone.
    live = [r for r in _rows(iid) if r.is_live]
    assert [r.bpmn_id for r in live] == ["Task_draft"]
    assert _state(iid) == ("running", None)


def test_sequential_opens_one_approver_after_another(ctx, township_of_three):
    _deploy("sequential")
    iid = _start_and_draft(township_of_three)
    rows = _rows(iid, "Task_review")
    assert [(r.assignee.username, r.status) for r in rows] == [
        ("town1", TaskStatus.OPEN), ("town1b", TaskStatus.WAITING), ("town1c", TaskStatus.WAITING)]
    with pytest.raises(Exception):  # noqa: B017 - not their turn yet: the task is not open
        _decide(iid, "town1c", "approve")
    db.session.rollback()
    _decide(iid, "town1", "approve")
    assert [r.status for r in _rows(iid, "Task_review")] == [TaskStatus.COMPLETED, TaskStatus.OPEN, TaskStatus.WAITING]
    _decide(iid, "town1b", "approve")
    _decide(iid, "town1c", "approve")
    assert _state(iid) == ("completed", "End_ok")


def test_ratio_passes_at_the_share_and_fails_when_it_is_out_of_reach(ctx, township_of_three):
    _deploy("ratio:0.6")  # 2 of 3
    iid = _start_and_draft(township_of_three)
    _decide(iid, "town1", "approve")
    assert _state(iid) == ("running", None)
    _decide(iid, "town1b", "approve")
    assert _state(iid) == ("completed", "End_ok")

    iid = _start_and_draft(township_of_three)
    _decide(iid, "town1", "reject")
    assert _state(iid) == ("running", None)  # 2 of the remaining 2 could still pass
    _decide(iid, "town1b", "reject")
    assert _state(iid) == ("completed", "End_no")


# -- 加签 ------------------------------------------------------------------------------------------
def _single_review(world) -> tuple[int, HumanTask]:
    _deploy(None)
    iid = _start_and_draft(world)
    row = _rows(iid, "Task_review")[0]
    return iid, row


def test_before_signer_signs_first_then_the_task_returns(ctx, world):
    iid, row = _single_review(world)
    signer = add_signer(row.id, actor=_user("town1"), to_user_id=_user("city").id, kind="before", comment="请先看")
    db.session.commit()
    db.session.refresh(row)
    assert row.status == TaskStatus.WAITING and row.assignee.username == "town1"
    assert signer.status == TaskStatus.OPEN and signer.sign_kind == SignKind.BEFORE
    with pytest.raises(Exception):  # noqa: B017 - waiting rows cannot be completed
        _decide(iid, "town1", "approve")
    db.session.rollback()
    _decide(iid, "city", "approve")
    db.session.refresh(row)
    assert row.status == TaskStatus.OPEN and _state(iid) == ("running", None)
    _decide(iid, "town1", "approve")
    assert _state(iid) == ("completed", "End_ok")


def test_after_signer_must_approve_after_me(ctx, world):
    iid, row = _single_review(world)
    signer = add_signer(row.id, actor=_user("town1"), to_user_id=_user("city").id, kind="after")
    db.session.commit()
    assert signer.status == TaskStatus.WAITING
    _decide(iid, "town1", "approve")
    db.session.refresh(signer)
    assert signer.status == TaskStatus.OPEN and _state(iid) == ("running", None)
    _decide(iid, "city", "reject")  # the after-signer's other decision is the step's decision
    assert _state(iid) == ("completed", "End_no")


def test_parallel_signer_and_removing_the_last_pending_signer_completes_the_step(ctx, world):
    iid, row = _single_review(world)
    town1 = _user("town1")
    signer = add_signer(row.id, actor=town1, to_user_id=_user("city").id, kind="parallel")
    db.session.commit()
    _decide(iid, "town1", "approve")
    assert _state(iid) == ("running", None)  # waiting for the parallel signer
    with pytest.raises(Forbidden):
        remove_signer(signer.id, actor=_user("city"))
    db.session.rollback()
    remove_signer(signer.id, actor=_user("town1"))
    db.session.commit()
    assert _state(iid) == ("completed", "End_ok")


def test_signer_must_be_eligible_and_not_already_signing(ctx, world):
    iid, row = _single_review(world)
    town1 = _user("town1")
    with pytest.raises(InvalidInput) as err:
        add_signer(row.id, actor=town1, to_user_id=_user("s3_principal").id, kind="before")
    assert err.value.field == "user_id"
    db.session.rollback()
    with pytest.raises(InvalidInput) as err:
        add_signer(row.id, actor=town1, to_user_id=_user("city").id, kind="sideways")
    assert err.value.field == "kind"
    db.session.rollback()
    with pytest.raises(InvalidInput):
        add_signer(row.id, actor=town1, to_user_id=town1.id, kind="after")
    db.session.rollback()
    assert db.session.get(ProcessInstance, iid).status == InstanceStatus.RUNNING
