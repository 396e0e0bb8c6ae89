"""学分认定与登记 end to end: credits from attendance by the region's rules with caps, teachers'
declared items with evidence, per-level rejection with a reason, registration, the teacher's own
view, access control and the Excel 学分登记表."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import BatchStatus, CreditBatch, CreditRecord, CreditStatus, PolicyVersion
from tests.helpers import field_errors
from tests.planning.helpers import approved_plan, decide, open_task_of, seed_teachers_for, teachers_of

NOW = datetime(2026, 11, 23, 4, tzinfo=UTC)
DATES = [date(2026, 9, 9), date(2026, 9, 16), date(2026, 9, 23), date(2026, 10, 14), date(2026, 10, 21),
         date(2026, 12, 16)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _hold(app, browser, school_id, term_id, day, teachers, statuses, hours="3", mode="集中"):
    r = browser.post(f"/activities/new?school={school_id}&term={term_id}", data={
        "held_on": day, "way": "同伴互助", "topic": f"研修活动 {day}", "presenter": "张敏", "hours": hours,
        "mode": mode, "planned_key": ""})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    record_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    data = {f"status-{t.id}": s for t, s in zip(teachers, statuses, strict=False)}
    assert browser.post(f"/activities/{record_id}/attendance", data=data).status_code == 302
    return record_id


def _records(app, batch_id=None):
    with app.app_context():
        stmt = select(CreditRecord).order_by(CreditRecord.id)
        if batch_id:
            stmt = stmt.where(CreditRecord.batch_id == batch_id)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def _batch(app):
    with app.app_context():
        batch = db.session.scalars(select(CreditBatch).order_by(CreditBatch.id.desc())).first()
        db.session.expunge_all()
        return batch


def _link_teacher_login(app, regions, school_code):
    """The demo teacher seeding links the school's 教师 login to its first teacher."""
    teacher = teachers_of(app, regions.orgs[school_code])[0]
    assert teacher.user_id is not None
    return teacher


def test_credits_are_generated_reviewed_with_reasons_and_registered(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    teachers = teachers_of(app, school)
    me = _link_teacher_login(app, regions, "YY-S1")
    with use_clock(FrozenClock(NOW)):
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        admin = make_browser("s1_admin")
        _hold(app, admin, school, term, "2026-09-09", teachers, ["present", "late", "leave", "absent", "self_study"])
        _hold(app, admin, school, term, "2026-09-16", teachers, ["present"] * 6, hours="4", mode="非集中")
        r = admin.post(f"/credits/batches?school={school}", data={"term_id": str(term)})
        assert r.status_code == 302
        batch = _batch(app)
        records = _records(app, batch.id)
        # 3 h 集中 = 0.5 credits for present / late / self-study; leave and absent earn nothing.
        first = [r for r in records if r.title.endswith("09-09")]
        assert sorted(r.teacher_id for r in first) == sorted([teachers[0].id, teachers[1].id, teachers[4].id])
        assert {r.credits for r in first} == {Decimal("0.50")}
        # 4 h 非集中 = 0.5 credits (8 h per credit).
        assert {r.credits for r in records if r.title.endswith("09-16")} == {Decimal("0.50")}

        # The teacher declares an open lesson with evidence while the school collects.
        teacher = make_browser("s1_teacher")
        r = teacher.post(f"/credits/teachers/{me.id}", data={"item_code": "open_lesson", "title": "公开课《分数的意义》"},
                         content_type="multipart/form-data")
        assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "file")
        r = teacher.post(f"/credits/teachers/{me.id}", data={
            "item_code": "open_lesson", "title": "公开课《分数的意义》", "file": (io.BytesIO(PDF), "证书.pdf")},
            content_type="multipart/form-data")
        assert r.status_code == 302
        declared = next(r for r in _records(app, batch.id) if r.source == "declared")
        assert declared.credits == Decimal("1") and declared.teacher_id == me.id

        collect = open_task_of(app, batch.instance_id)
        assert collect.bpmn_id == "Task_collect"
        assert admin.post(f"/tasks/{collect.id}", data={"action": "submit"}).status_code == 302
        school_task = open_task_of(app, batch.instance_id)
        assert school_task.bpmn_id == "Task_school" and school_task.role == "principal"
        principal = make_browser("s1_principal")
        page = principal.get(f"/tasks/{school_task.id}").get_data(as_text=True)
        assert "公开课《分数的意义》" in page and "证书.pdf" in page
        rejected = next(r for r in _records(app, batch.id) if r.teacher_id == teachers[4].id)
        # A rejection needs a reason, shown beside the record.
        r = principal.post(f"/tasks/{school_task.id}", data={"decision": "approve", "action": "submit",
                                                             f"reject-{rejected.id}": "1"})
        assert r.status_code == 422 and "须填写理由" in r.get_data(as_text=True)
        r = principal.post(f"/tasks/{school_task.id}", data={
            "decision": "approve", "action": "submit", f"reject-{rejected.id}": "1",
            f"reason-{rejected.id}": "自学材料未提交学习笔记"})
        assert r.status_code == 302
        task = open_task_of(app, batch.instance_id)
        assert task.bpmn_id == "Task_township" and task.org_id == regions.orgs["YY-T1"]
        assert decide(make_browser("town1"), task.id, "approve").status_code == 302
        task = open_task_of(app, batch.instance_id)
        assert task.bpmn_id == "Task_city"
        r = make_browser("city").post(f"/tasks/{task.id}", data={
            "decision": "approve", "action": "submit", f"reject-{declared.id}": "1", f"reason-{declared.id}": "证书不清晰"})
        assert r.status_code == 302

        done = _batch(app)
        assert done.status == BatchStatus.REGISTERED and open_task_of(app, done.instance_id) is None
        final = {r.id: r for r in _records(app, batch.id)}
        assert final[rejected.id].status == CreditStatus.REJECTED and final[rejected.id].rejected_level == "school"
        assert final[declared.id].status == CreditStatus.REJECTED and final[declared.id].reject_reason == "证书不清晰"
        registered = [r for r in final.values() if r.status == CreditStatus.REGISTERED]
        assert len(registered) == len(records) - 1 and all(r.registered_at for r in registered)

        mine = teacher.get(f"/credits/teachers/{me.id}").get_data(as_text=True)
        assert "证书不清晰" in mine and "未达标" in mine and "2026学年" in mine
        registered_mine = sum(r.credits for r in registered if r.teacher_id == me.id)
        assert f"<td>{registered_mine}</td>" in mine

        # The 学分登记表 in Excel: registered lines only, plus a per-teacher summary.
        r = admin.get(f"/credits/export.xlsx?school={school}&year=2026")
        assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
        book = load_workbook(io.BytesIO(r.get_data()))
        sheet = book["学分登记表"]
        assert "余姚市阳明小学 2026学年" in sheet["A1"].value
        lines = [row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]]
        assert len(lines) == len(registered)
        assert sum(Decimal(str(row[8])) for row in lines) == sum(r.credits for r in registered)
        summary = {row[1]: row for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
        assert summary[me.name][5] == "未达标" and summary[me.name][4] == 24


def test_annual_cap_is_applied_when_generating(app, regions, make_browser):
    seed_teachers_for(app)
    with app.app_context():
        version = db.session.scalars(select(PolicyVersion).where(PolicyVersion.region_id == regions.orgs["YY"])).one()
        version.values = {**version.values, "credit.activity_annual_cap": "1"}
        db.session.commit()
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    teachers = teachers_of(app, school)[:1]
    with use_clock(FrozenClock(NOW)):
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        admin = make_browser("s1_admin")
        for day in ("2026-09-09", "2026-09-16", "2026-09-23"):
            _hold(app, admin, school, term, day, teachers, ["present"], hours="3")
        admin.post(f"/credits/batches?school={school}", data={"term_id": str(term)})
        records = _records(app)
        assert [r.raw_credits for r in records] == [Decimal("0.50")] * 3
        assert [r.credits for r in records] == [Decimal("0.50"), Decimal("0.50"), Decimal("0.00")]
        assert "年度上限 1" in records[2].cap_note
        page = admin.get(f"/tasks/{open_task_of(app, _batch(app).instance_id).id}").get_data(as_text=True)
        assert "已达校本活动学分年度上限" in page


def test_declared_items_stop_at_their_annual_cap(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    me = _link_teacher_login(app, regions, "YY-S1")
    with use_clock(FrozenClock(NOW)):
        make_browser("s1_admin").post(f"/credits/batches?school={school}", data={"term_id": str(term)})
        teacher = make_browser("s1_teacher")
        for n in range(3):
            r = teacher.post(f"/credits/teachers/{me.id}", data={
                "item_code": "open_lesson", "title": f"公开课 {n}", "file": (io.BytesIO(PDF), "证书.pdf")},
                content_type="multipart/form-data")
            assert r.status_code == 302
        r = teacher.post(f"/credits/teachers/{me.id}", data={
            "item_code": "open_lesson", "title": "公开课 4", "file": (io.BytesIO(PDF), "证书.pdf")},
            content_type="multipart/form-data")
        assert r.status_code == 422
        assert "已达年度上限 3 分" in " ".join(field_errors(r.get_data(as_text=True), "item_code"))
        assert len(_records(app)) == 3


def test_direct_school_credits_go_from_the_school_to_the_city(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S6"], regions.terms[(regions.orgs["YY"], "2026-1")]
    with use_clock(FrozenClock(NOW)):
        make_browser("s6_admin").post(f"/credits/batches?school={school}", data={"term_id": str(term)})
        batch = _batch(app)
        make_browser("s6_admin").post(f"/tasks/{open_task_of(app, batch.instance_id).id}", data={"action": "submit"})
        decide(make_browser("s6_principal"), open_task_of(app, batch.instance_id).id, "approve")
        assert open_task_of(app, batch.instance_id).bpmn_id == "Task_city"


def test_a_teacher_sees_only_their_own_credits(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    me = _link_teacher_login(app, regions, "YY-S1")
    colleague = teachers_of(app, school)[1]
    other_school = _link_teacher_login(app, regions, "YY-S2")
    with use_clock(FrozenClock(NOW)):
        make_browser("s1_admin").post(f"/credits/batches?school={school}", data={"term_id": str(term)})
        teacher = make_browser("s1_teacher")
        teacher.post(f"/credits/teachers/{me.id}", data={
            "item_code": "mentoring", "title": "师徒结对", "file": (io.BytesIO(PDF), "协议.pdf")},
            content_type="multipart/form-data")
        record = _records(app)[0]
        assert teacher.get("/credits/mine").headers["Location"].endswith(f"/credits/teachers/{me.id}")
        assert teacher.get("/credits").status_code == 302
        assert teacher.get(f"/credits/teachers/{colleague.id}").status_code == 404
        assert teacher.get(f"/credits/teachers/{other_school.id}").status_code == 404
        assert teacher.get(f"/credits/export.xlsx?school={school}").status_code == 404
        assert teacher.get(f"/teachers/{colleague.id}").status_code == 404
        assert teacher.get(f"/instances/{_batch(app).instance_id}").status_code == 404
        s2_teacher = make_browser("s2_teacher")
        with app.app_context():
            from app.models import Attachment
            evidence = db.session.scalars(select(Attachment).where(Attachment.owner_type == "credit_record")).one()
        assert teacher.get(f"/credits/evidence/{evidence.id}").status_code == 200
        assert s2_teacher.get(f"/credits/evidence/{evidence.id}").status_code == 404
        assert make_browser("s1_principal").get(f"/credits/evidence/{evidence.id}").status_code == 200
        # Nobody else may declare for, or withdraw, a teacher's item.
        assert s2_teacher.post(f"/credits/teachers/{me.id}", data={"item_code": "mentoring"}).status_code == 404
        assert make_browser("s1_admin").post(f"/credits/teachers/{me.id}", data={"item_code": "mentoring"}).status_code == 403
        assert s2_teacher.post(f"/credits/records/{record.id}/withdraw").status_code == 404
        assert teacher.post(f"/credits/records/{record.id}/withdraw").status_code == 302
        assert _records(app) == []
