"""评优 pages as the users meet them: the organiser sets up a round, the leader approves it on the task
page, schools apply, the organiser checks, experts score on their task (own scores only), the list
is published for objections, and the awards are shown. Bad input keeps what was typed (422)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.excellence.services import assignments_of, leaves, score_templates
from app.extensions import db
from app.inspections.sheets import install_builtin
from app.jobs.services import run_due_jobs
from app.models import (
    Attachment,
    HumanTask,
    Nomination,
    NominationStatus,
    Objection,
    OrderStatus,
    Outcome,
    RectificationOrder,
    RoundStatus,
    SelectionRound,
    TaskStatus,
)
from tests.test_excellence import local, org, user


@pytest.fixture
def clock():
    with use_clock(FrozenClock(local(date(2026, 3, 2)))) as c:
        yield c


def round_form(app, **overrides) -> dict:
    with app.app_context():
        install_builtin(org("YY").id)
        db.session.commit()
        template_id = score_templates(org("YY").id)[0].id
        expert_id = user("expert").id
    data = {"type": "advanced_unit", "title": "2026学年校本研修先进单位评选", "level": "county",
            "cycle_label": "2025–2026学年", "quota_count": "1", "quota_ratio": "", "township_quota": "",
            "reserve_count": "1", "rules": ["no_overdue_rectification"], "template_id": str(template_id),
            "aggregation": "mean", "expert_ids": [str(expert_id)], "apply_start": "2026-03-02",
            "apply_end": "2026-03-06", "review_due": "2026-03-20", "remind_working_days": "2",
            "notice_working_days": "5", "recommend_count": "1", "award_valid_years": ""}
    data.update(overrides)
    return data


def latest_round(app) -> SelectionRound:
    with app.app_context():
        r = db.session.scalars(select(SelectionRound).order_by(SelectionRound.id.desc())).first()
        db.session.expunge_all()
        return r


def open_task(app, round_id: int, bpmn_id: str) -> HumanTask:
    with app.app_context():
        r = db.session.get(SelectionRound, round_id)
        t = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == r.instance_id,
                                                       HumanTask.bpmn_id == bpmn_id,
                                                       HumanTask.status == TaskStatus.OPEN)).first()
        db.session.expunge_all()
        return t


def work(app) -> None:
    with app.app_context():
        run_due_jobs("test-worker")
        db.session.remove()


def test_a_round_from_set_up_to_published_results_through_the_pages(app, world, make_browser, clock):
    city, director = make_browser("city"), make_browser("director")

    # The policy proposes the next round: 10 先进单位 per 学年.
    page = city.get("/excellence/new?type=advanced_unit").get_data(as_text=True)
    assert 'name="quota_count"' in page and 'value="10"' in page

    # Invalid input is refused beside the field and kept.
    r = city.post("/excellence/new", data=round_form(app, quota_count="", title="保留的标题"))
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "名额按数量或按比例填写其一" in body and "保留的标题" in body
    assert city.post("/excellence/new", data=round_form(app)).status_code == 302
    round_ = latest_round(app)
    assert round_.status == RoundStatus.DRAFT
    # A school cannot see a draft round; the index lists only what one may see.
    assert make_browser("s1_admin").get(f"/excellence/{round_.id}").status_code == 404
    assert city.post(f"/excellence/{round_.id}/submit").status_code == 302

    task = open_task(app, round_.id, "Task_approve_round")
    assert director.post(f"/tasks/{task.id}", data={"decision": "approve", "comment": "同意",
                                                    "action": "submit"}).status_code == 302
    assert latest_round(app).status == RoundStatus.OPEN

    # Two schools apply; one has an overdue rectification order.
    with app.app_context():
        db.session.add(RectificationOrder(school_id=org("YY-S3").id, issuing_org_id=org("YY-C").id,
                                          drafted_by_id=user("inspector").id, title="梨洲小学整改",
                                          doc_number="整改〔2026〕3号", status=OrderStatus.IN_PROGRESS, overdue=True))
        db.session.commit()
    s1, s3 = make_browser("s1_admin"), make_browser("s3_admin")
    assert s1.get(f"/excellence/{round_.id}/nominate").status_code == 200
    r = s1.post(f"/excellence/{round_.id}/nominate", data={"school_id": str(org_id(app, "YY-S1")), "project_id": "0",
                                                          "summary": ""})
    assert r.status_code == 422 and "请填写申报材料" in r.get_data(as_text=True)
    assert s1.post(f"/excellence/{round_.id}/nominate", data={
        "school_id": str(org_id(app, "YY-S1")), "project_id": "0", "summary": "阳明小学的做法"}).status_code == 302
    # A school cannot apply for another school.
    r = s1.post(f"/excellence/{round_.id}/nominate", data={
        "school_id": str(org_id(app, "YY-S3")), "project_id": "0", "summary": "冒名申报"})
    assert r.status_code == 422
    assert s3.post(f"/excellence/{round_.id}/nominate", data={
        "school_id": str(org_id(app, "YY-S3")), "project_id": "0", "summary": "梨洲小学的做法"}).status_code == 302
    with app.app_context():
        ids = {n.school.code: n.id for n in db.session.scalars(select(Nomination))}
    # Each school sees its own nomination only.
    assert s1.get(f"/excellence/{round_.id}/nominations/{ids['YY-S3']}").status_code == 404
    assert s1.get(f"/excellence/{round_.id}/nominations/99999").status_code == 404
    assert s1.post(f"/excellence/{round_.id}/nominations/{ids['YY-S1']}/check",
                   data={"result": "complete"}).status_code == 403

    # Formal check: the ineligible one is refused with the rule it failed.
    for code in ("YY-S1", "YY-S3"):
        assert city.post(f"/excellence/{round_.id}/nominations/{ids[code]}/check",
                         data={"result": "complete", "note": ""}).status_code == 302
    page = s3.get(f"/excellence/{round_.id}/nominations/{ids['YY-S3']}").get_data(as_text=True)
    assert "不予受理" in page and "整改〔2026〕3号" in page

    clock.set(local(date(2026, 3, 7), 0))
    work(app)
    check = open_task(app, round_.id, "Task_check")
    assert city.post(f"/tasks/{check.id}", data={"comment": "", "action": "submit"}).status_code == 302

    # The expert scores on the task page; a missing score is refused beside the field.
    expert = make_browser("expert")
    score = open_task(app, round_.id, "Task_score")
    page = expert.get(f"/tasks/{score.id}").get_data(as_text=True)
    assert "阳明小学的做法" in page and "梨洲小学的做法" not in page
    with app.app_context():
        r_ = db.session.get(SelectionRound, round_.id)
        a = assignments_of(r_, user("expert"))[0]
        items = leaves(r_)
        fields = {f"s_{a.id}_{i.id}": str(i.max_points) for i in items}
    assert expert.get(f"/excellence/{round_.id}/ranking").status_code == 403
    partial = dict(fields, action="submit")
    partial.pop(next(iter(fields)))
    r = expert.post(f"/tasks/{score.id}", data=partial)
    assert r.status_code == 422 and "请评分" in r.get_data(as_text=True)
    assert expert.post(f"/tasks/{score.id}", data=dict(fields, action="submit")).status_code == 302

    confirm = open_task(app, round_.id, "Task_confirm")
    assert "阳明小学" in city.get(f"/tasks/{confirm.id}").get_data(as_text=True)
    assert city.get(f"/excellence/{round_.id}/ranking").status_code == 200
    assert city.post(f"/tasks/{confirm.id}", data={"comment": "", "action": "submit"}).status_code == 302
    leader = open_task(app, round_.id, "Task_leader")
    assert director.post(f"/tasks/{leader.id}", data={"decision": "approve", "action": "submit"}).status_code == 302

    # 公示: a teacher of another school objects; the organiser dismisses it.
    teacher = make_browser("s4_teacher")
    page = teacher.get(f"/excellence/{round_.id}/notice").get_data(as_text=True)
    assert "阳明小学" in page and "实名提交异议" in page
    r = teacher.post(f"/excellence/{round_.id}/notice", data={"nomination_id": str(ids["YY-S1"]), "content": ""})
    assert r.status_code == 422
    r = teacher.post(f"/excellence/{round_.id}/notice", data={
        "nomination_id": str(ids["YY-S1"]), "content": "活动记录疑似补写", "evidence": "签到表",
        "file": (io.BytesIO(b"MZ\x90\x00"), "evidence.exe")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "不支持的文件类型" in r.get_data(as_text=True)
    assert teacher.post(f"/excellence/{round_.id}/notice", data={
        "nomination_id": str(ids["YY-S1"]), "content": "活动记录疑似补写", "evidence": "签到表",
        "file": (io.BytesIO(b"2026-03-03 sign-in sheet"), "签到表.txt")},
        content_type="multipart/form-data").status_code == 302
    assert teacher.get(f"/excellence/{round_.id}/objections").status_code == 403
    with app.app_context():
        objection_id = db.session.scalars(select(Objection.id)).one()
        file_id = db.session.scalars(select(Attachment.id).where(Attachment.owner_type == "exc_objection")).one()
    page = city.get(f"/excellence/{round_.id}/objections/{objection_id}").get_data(as_text=True)
    assert "签到表.txt" in page
    assert city.get(f"/excellence/objection-files/{file_id}").data == b"2026-03-03 sign-in sheet"
    assert teacher.get(f"/excellence/objection-files/{file_id}").status_code == 200
    for other in (make_browser("s1_admin"), make_browser("expert")):   # the objected school, a panel expert
        assert other.get(f"/excellence/objection-files/{file_id}").status_code == 404
        assert other.get(f"/attachments/{file_id}").status_code == 404
    r = city.post(f"/excellence/{round_.id}/objections/{objection_id}", data={"decision": "dismissed", "note": ""})
    assert r.status_code == 422
    assert city.post(f"/excellence/{round_.id}/objections/{objection_id}",
                     data={"decision": "dismissed", "note": "经核查，记录真实"}).status_code == 302

    with app.app_context():
        notice_end = db.session.get(SelectionRound, round_.id).notice_end
    clock.set(notice_end + timedelta(seconds=1))
    work(app)
    assert latest_round(app).status == RoundStatus.PUBLISHED
    page = make_browser("s1_principal").get(f"/excellence/{round_.id}/results").get_data(as_text=True)
    assert "阳明小学" in page and "PY" in page
    with app.app_context():
        n = db.session.get(Nomination, ids["YY-S1"])
        assert (n.outcome, n.status) == (Outcome.AWARDED, NominationStatus.PASSED)
    assert city.get("/excellence/").status_code == 200
    assert city.get("/excellence/99999").status_code == 404


def org_id(app, code: str) -> int:
    with app.app_context():
        return org(code).id
