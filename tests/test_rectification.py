"""整改 end to end: drafting with validation, approval and numbering, 签收, assignment, responses,
verification rounds, extensions, the printable notice, the ledger export, and who may see what."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.jobs.timers import TICK
from app.models import (
    AuditEvent,
    ItemStatus,
    Job,
    JobStatus,
    OrderStatus,
    RectificationNotice,
)
from app.rectification.services import school_has_overdue_rectification
from tests.helpers import field_errors
from tests.rect_helpers import (
    ITEMS,
    acknowledge_and_assign,
    create,
    draft_data,
    issue,
    order,
    report,
    respond,
    task_of,
)

# Monday 2 March 2026, 09:00 in Yuyao.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with use_clock(FrozenClock(T0)) as c:
        yield c


def test_draft_is_validated_beside_each_field_and_keeps_the_input(app, world, make_browser, clock):
    inspector = make_browser("inspector")
    order_id = create(app, world.orgs["YY-S1"], inspector)
    task = task_of(app, order_id, "Task_draft")
    bad = draft_data([("活动记录不完整", "", "2026-03-20"), ("经费未公示", "公示经费", "2026-02-01")], max_rounds="0")
    r = inspector.post(f"/tasks/{task.id}", data=bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert field_errors(html, "items-0-requirement") == ["此项为必填项"]
    assert field_errors(html, "items-1-deadline") == ["整改期限不能早于今天"]
    assert field_errors(html, "max_rounds") == ["须在 1 到 10 轮之间"]
    assert "活动记录不完整" in html and "经费未公示" in html  # what was typed is still there
    assert task_of(app, order_id, "Task_draft") is not None
    r = inspector.post(f"/tasks/{task.id}", data=draft_data([], action="submit"))
    assert r.status_code == 422 and "至少填写一项整改问题" in r.get_data(as_text=True)
    # Saving a draft keeps it editable and does not move the case on.
    r = inspector.post(f"/tasks/{task.id}", data=draft_data(ITEMS[:1], action="save"))
    assert r.status_code == 302
    saved = order(app, order_id)
    assert saved.status == OrderStatus.DRAFT and [i.problem for i in saved.items] == [ITEMS[0][0]]


def test_an_order_goes_through_two_rounds_to_销号(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    issued = order(app, order_id)
    assert issued.status == OrderStatus.ISSUED
    assert issued.doc_number == "师干训中心整改〔2026〕1号" and issued.signed_by_id is not None
    assert issued.ack_due.date() == date(2026, 3, 5)  # 3 working days, end of Thursday (local)

    principal, teacher, admin = make_browser("s1_principal"), make_browser("s1_teacher"), make_browser("s1_admin")
    acknowledge_and_assign(app, order_id, principal, ["s1_teacher", "s1_admin"])
    o = order(app, order_id)
    assert o.status == OrderStatus.IN_PROGRESS and o.deadline.astimezone().date() >= date(2026, 3, 20)
    first, second = o.items
    assert first.responsible.username == "s1_teacher"

    # The report cannot go in before every item has a response.
    r = report(app, order_id, principal)
    assert r.status_code == 422 and "第 1、2 项尚未填报整改情况" in r.get_data(as_text=True)
    # Someone else's item: the teacher may not answer it.
    assert respond(teacher, second.id).status_code == 403
    r = respond(teacher, first.id, measures="", on="2026-03-03")
    assert r.status_code == 422 and "请填写整改措施" in r.get_data(as_text=True)
    assert respond(teacher, first.id).status_code == 302
    assert respond(admin, second.id, measures="已在校务公开栏公示").status_code == 302
    assert report(app, order_id, principal).status_code == 302
    assert order(app, order_id).status == OrderStatus.VERIFYING

    inspector = make_browser("inspector")
    verify = task_of(app, order_id, "Task_verify")
    r = inspector.post(f"/tasks/{verify.id}", data={f"result_{first.id}": "pass", f"result_{second.id}": "fail",
                                                     "action": "submit"})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), f"deadline_{second.id}") == ["不合格时须给出晚于今天的新整改期限"]
    r = inspector.post(f"/tasks/{verify.id}", data={
        f"result_{first.id}": "pass", f"result_{second.id}": "fail", f"comment_{second.id}": "公示内容不完整",
        f"deadline_{second.id}": "2026-04-10", "action": "submit"})
    assert r.status_code == 302

    # Round 2: only the failed item is back, with its new deadline, and the timers follow it.
    o = order(app, order_id)
    assert o.round == 2 and o.status == OrderStatus.IN_PROGRESS
    assert [(i.seq, i.status, i.round) for i in o.items] == [(1, ItemStatus.PASSED, 1), (2, ItemStatus.OPEN, 2)]
    assert o.items[1].deadline == date(2026, 4, 10)
    assert o.deadline == datetime(2026, 4, 10, 15, 59, 59, tzinfo=UTC)
    with app.app_context():
        overdue_job = db.session.scalars(select(Job).where(Job.status == JobStatus.PENDING,
                                                           Job.payload["timer"].as_string() == "Timer_overdue")).one()
        assert overdue_job.due_at == o.deadline + TICK
    assert task_of(app, order_id, "Task_report") is not None
    assert respond(admin, second.id, measures="补充公示了明细").status_code == 302
    assert report(app, order_id, principal, "第二轮整改完成").status_code == 302
    r = inspector.post(f"/tasks/{task_of(app, order_id, 'Task_verify').id}",
                       data={f"result_{second.id}": "pass", "action": "submit"})
    assert r.status_code == 302
    o = order(app, order_id)
    assert o.status == OrderStatus.CLOSED and o.closed_at is not None
    assert [len(i.verifications) for i in o.items] == [1, 2]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.PENDING)) == 0
    page = inspector.get(f"/rectification/{order_id}").get_data(as_text=True)
    assert "已销号" in page and "公示内容不完整" in page


def test_extension_approved_moves_the_deadline_and_its_timers(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    principal = make_browser("s1_principal")
    acknowledge_and_assign(app, order_id, principal, ["s1_teacher", "s1_admin"])
    item = order(app, order_id).items[1]
    url = f"/rectification/items/{item.id}/extension"
    r = principal.post(url, data={f"x{item.id}-requested_deadline": "2026-03-10", f"x{item.id}-reason": "等待审计"})
    assert r.status_code == 422 and "须晚于现在的期限" in r.get_data(as_text=True)
    assert make_browser("s1_teacher").post(url, data={f"x{item.id}-requested_deadline": "2026-04-30",
                                                      f"x{item.id}-reason": "x"}).status_code == 403
    r = principal.post(url, data={f"x{item.id}-requested_deadline": "2026-04-30", f"x{item.id}-reason": "等待经费审计结果"})
    assert r.status_code == 302
    with app.app_context():
        from app.models import ExtensionRequest

        request_id = db.session.scalars(select(ExtensionRequest.id)).one()
    # The school cannot decide its own request; a denial needs a reason.
    assert principal.post(f"/rectification/extensions/{request_id}/decide",
                          data={"decision": "approve"}).status_code == 403
    inspector = make_browser("inspector")
    r = inspector.post(f"/rectification/extensions/{request_id}/decide", data={"decision": "deny"})
    assert r.status_code == 422 and "不批准时须写明理由" in r.get_data(as_text=True)
    report_task = task_of(app, order_id, "Task_report")
    r = inspector.post(f"/rectification/extensions/{request_id}/decide", data={"decision": "approve", "comment": "同意"})
    assert r.status_code == 302
    o = order(app, order_id)
    assert o.items[1].deadline == date(2026, 4, 30)
    assert o.deadline == datetime(2026, 4, 30, 15, 59, 59, tzinfo=UTC)
    new_task = task_of(app, order_id, "Task_report")
    assert new_task.id != report_task.id  # the step re-opened with the recomputed timers
    with app.app_context():
        dues = sorted(j.due_at for j in db.session.scalars(select(Job).where(Job.status == JobStatus.PENDING)))
        assert dues[-1] == o.deadline + TICK
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.PENDING)) == 2
    assert inspector.post(f"/rectification/extensions/{request_id}/decide",
                          data={"decision": "approve"}, follow_redirects=True).status_code == 409


def test_notice_prints_and_downloads_and_the_ledger_exports(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    principal = make_browser("s1_principal")
    page = principal.get(f"/rectification/{order_id}/notice").get_data(as_text=True)
    for text in ("整改通知书", "师干训中心整改〔2026〕1号", "余姚市阳明小学：", ITEMS[0][0], "2026-03-20",
                 "抄送：阳明街道教辅室，余姚市教育局督导科。", "签发人：周主任", "余姚市师干训中心"):
        assert text in page, text
    pdf = principal.get(f"/rectification/{order_id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and b"STSong-Light" in pdf.data and len(pdf.data) > 2000

    acknowledge_and_assign(app, order_id, principal, ["s1_teacher", "s1_admin"])
    respond(make_browser("s1_teacher"), order(app, order_id).items[0].id)
    xlsx = make_browser("city").get("/rectification/ledger.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][:7] == ("学校", "通知书编号", "序号", "存在问题", "整改要求", "责任人", "整改措施")
    assert [(r[0], r[2], r[5], r[10]) for r in rows[1:]] == [
        ("余姚市阳明小学", 1, "阳明小学教师", "已整改待复查"), ("余姚市阳明小学", 2, "阳明小学师训站长", "待整改")]
    # Another township's school sees nothing of it.
    other = make_browser("s3_principal").get("/rectification/ledger.xlsx")
    assert list(load_workbook(io.BytesIO(other.data)).active.iter_rows(min_row=3, values_only=True)) == []


def test_other_schools_and_unknown_ids_get_404(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    other = make_browser("s3_principal")
    for url in (f"/rectification/{order_id}", f"/rectification/{order_id}/notice",
                f"/rectification/{order_id}/notice.pdf", "/rectification/999999"):
        assert other.get(url).status_code == 404, url
    item_id = order(app, order_id).items[0].id
    assert other.post(f"/rectification/items/{item_id}/respond", data={}).status_code == 404
    assert make_browser("s1_principal").get(f"/rectification/{order_id}").status_code == 200
    assert "师干训中心整改〔2026〕1号" not in other.get("/rectification").get_data(as_text=True)
    # Only an inspector responsible for the school may start an order.
    assert make_browser("s1_principal").post("/rectification/new",
                                             data={"school_id": str(world.orgs["YY-S1"])}).status_code == 302
    with app.app_context():
        from app.models import RectificationOrder

        assert db.session.scalar(select(func.count()).select_from(RectificationOrder)) == 1


def test_school_overdue_flag_follows_the_deadline(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    principal = make_browser("s1_principal")
    acknowledge_and_assign(app, order_id, principal, ["s1_teacher", "s1_admin"])
    with app.app_context():
        assert not school_has_overdue_rectification(world.orgs["YY-S1"])
        clock.set(datetime(2026, 3, 21, 1, 0, tzinfo=UTC))
        assert school_has_overdue_rectification(world.orgs["YY-S1"])   # even before the worker ran
        assert not school_has_overdue_rectification(world.orgs["YY-S3"])
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 0
        assert db.session.scalar(select(func.count()).select_from(RectificationNotice)) == 0
