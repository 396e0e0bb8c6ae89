"""Activity records against the approved plan: guards, evidence, attendance by hand and by import
(all or nothing, every bad row reported), and live progress for school, township and city."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import ActivityRecord, Attachment, Attendance, AttendanceStatus
from tests.helpers import field_errors
from tests.planning.helpers import approved_plan, csv_upload, seed_teachers_for, teachers_of, xlsx_upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOW = datetime(2026, 11, 23, 4, tzinfo=UTC)
DATES = [date(2026, 9, 9), date(2026, 9, 16), date(2026, 9, 23), date(2026, 10, 14), date(2026, 10, 21),
         date(2026, 12, 16)]


def _activity(day="2026-09-09", **extra):
    data = {"planned_key": "", "held_on": day, "way": "同伴互助", "topic": "集体备课：分数的意义", "presenter": "张敏",
            "location": "三楼会议室", "hours": "2", "mode": "集中", "cost": "800", "summary": "按五步法集体备课"}
    data.update(extra)
    return data


def _record(app, browser, school_id, term_id, **extra) -> int:
    r = browser.post(f"/activities/new?school={school_id}&term={term_id}", data=_activity(**extra))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    with app.app_context():
        return db.session.scalars(select(ActivityRecord.id).order_by(ActivityRecord.id.desc())).first()


def _marks(app, record_id):
    with app.app_context():
        return {a.teacher_id: a.status for a in db.session.scalars(select(Attendance).where(
            Attendance.activity_id == record_id))}


def test_recording_needs_an_approved_plan_and_a_held_date(app, regions, make_browser):
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    admin = make_browser("s1_admin")
    with use_clock(FrozenClock(NOW)):
        r = admin.post(f"/activities/new?school={school}&term={term}", data=_activity())
        assert r.status_code == 409 and "尚未批准" in r.get_data(as_text=True)
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        r = admin.post(f"/activities/new?school={school}&term={term}", data=_activity(day="2026-12-16"))
        assert r.status_code == 422 and "不能晚于今天" in " ".join(field_errors(r.get_data(as_text=True), "held_on"))
        r = admin.post(f"/activities/new?school={school}&term={term}", data=_activity(day="2026-08-01", hours="9"))
        assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "hours")
        assert make_browser("s2_admin").post(f"/activities/new?school={school}&term={term}",
                                             data=_activity()).status_code == 404   # another school: not found
        assert make_browser("town1").post(f"/activities/new?school={school}&term={term}",
                                          data=_activity()).status_code == 403   # sees it, may not record
        record_id = _record(app, admin, school, term)
        page = admin.get(f"/activities?school={school}&term={term}").get_data(as_text=True)
        assert "集体备课：分数的意义" in page and "计划外" in page
        assert make_browser("s2_admin").get(f"/activities/{record_id}").status_code == 404
        assert make_browser("town1").get(f"/activities/{record_id}").status_code == 200


def test_evidence_is_stored_with_the_plan_and_downloadable_by_reviewers(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    with use_clock(FrozenClock(NOW)):
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        admin = make_browser("s1_admin")
        record_id = _record(app, admin, school, term)
        r = admin.post(f"/activities/{record_id}/evidence", data={"file": (io.BytesIO(PNG), "现场.png")},
                       content_type="multipart/form-data")
        assert r.status_code == 302
        with app.app_context():
            attachment = db.session.scalars(select(Attachment).where(Attachment.owner_type == "activity")).one()
            attachment_id = attachment.id
        assert "现场.png" in admin.get(f"/activities/{record_id}").get_data(as_text=True)
        assert make_browser("city").get(f"/attachments/{attachment_id}").status_code == 200
        assert make_browser("s2_admin").get(f"/attachments/{attachment_id}").status_code == 404
        r = admin.post(f"/activities/{record_id}/evidence", data={"file": (io.BytesIO(b"MZ\x90"), "x.exe")},
                       content_type="multipart/form-data", follow_redirects=True)
        assert "不支持的文件类型" in r.get_data(as_text=True)


def test_attendance_import_with_bad_rows_imports_nothing_and_reports_every_row(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    teachers = teachers_of(app, school)
    with use_clock(FrozenClock(NOW)):
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        admin = make_browser("s1_admin")
        record_id = _record(app, admin, school, term)
        good = [["工号", "姓名", "考勤", "备注"]] + [[t.employee_no, t.name, "出勤", ""] for t in teachers]
        bad = [r[:] for r in good]
        bad[2][2] = "早退"                                  # row 3: unknown status
        bad[3][0] = "NOPE"                                  # row 4: unknown 工号
        bad[4][1] = "错名"                                  # row 5: name does not match 工号
        bad.append([teachers[0].employee_no, teachers[0].name, "迟到", ""])   # row 8: same teacher twice
        bad.append(["", "", "出勤", ""])                    # row 9: nobody named
        r = admin.post(f"/activities/{record_id}/attendance/import", data={"file": csv_upload(bad)},
                       content_type="multipart/form-data")
        assert r.status_code == 422
        html = r.get_data(as_text=True)
        report = html[html.index('id="import-report"'):]
        for row, text in ((3, "早退"), (4, "NOPE"), (5, "错名"), (8, "同一位教师"), (9, "请填写工号或姓名")):
            assert f"第 {row} 行" in report and text in report, (row, text)
        assert "有 5 行有问题" in report
        assert _marks(app, record_id) == {}
        good[2][2], good[3][2], good[4][2], good[5][2] = "迟到", "请假", "自学", "缺勤"
        r = admin.post(f"/activities/{record_id}/attendance/import", data={"file": xlsx_upload(good)},
                       content_type="multipart/form-data")
        assert r.status_code == 302
        marks = _marks(app, record_id)
        assert len(marks) == len(teachers)
        assert [marks[t.id] for t in teachers[:5]] == [AttendanceStatus.PRESENT, AttendanceStatus.LATE,
                                                       AttendanceStatus.LEAVE, AttendanceStatus.SELF_STUDY,
                                                       AttendanceStatus.ABSENT]
        template = admin.get(f"/activities/{record_id}/attendance/template.csv").get_data(as_text=True)
        assert teachers[1].employee_no in template and "迟到" in template


def test_attendance_by_hand_and_the_lock_after_credits_are_submitted(app, regions, make_browser):
    seed_teachers_for(app)
    school, term = regions.orgs["YY-S1"], regions.terms[(regions.orgs["YY"], "2026-1")]
    teachers = teachers_of(app, school)
    with use_clock(FrozenClock(NOW)):
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        admin = make_browser("s1_admin")
        record_id = _record(app, admin, school, term)
        data = {f"status-{t.id}": "present" for t in teachers}
        data[f"status-{teachers[0].id}"] = "leave"
        data[f"note-{teachers[0].id}"] = "病假"
        assert admin.post(f"/activities/{record_id}/attendance", data=data).status_code == 302
        assert _marks(app, record_id)[teachers[0].id] == AttendanceStatus.LEAVE
        other = teachers_of(app, regions.orgs["YY-S2"])[0]
        assert admin.post(f"/activities/{record_id}/attendance",
                          data={f"status-{other.id}": "present"}).status_code == 302   # not this school's: ignored
        assert other.id not in _marks(app, record_id)
        r = admin.post(f"/credits/batches?school={school}", data={"term_id": str(term)})
        assert r.status_code == 302
        task_page = admin.get(r.headers["Location"]).get_data(as_text=True)
        admin.post(r.headers["Location"], data={"action": "submit"})
        assert "提交学校认定" in task_page
        r = admin.post(f"/activities/{record_id}/attendance", data=data)
        assert r.status_code == 409 and "不能再修改" in r.get_data(as_text=True)
        r = admin.post(f"/activities/new?school={school}&term={term}", data=_activity(day="2026-09-16"))
        assert r.status_code == 409


def test_progress_for_school_township_and_city(app, regions, make_browser):
    seed_teachers_for(app)
    term = regions.terms[(regions.orgs["YY"], "2026-1")]
    with use_clock(FrozenClock(NOW)):
        approved_plan(app, regions, "YY-S1", "s1_admin", ["s1_principal", "town1", "city"], DATES)
        approved_plan(app, regions, "YY-S3", "s3_admin", ["s3_principal", "town2", "city"], DATES[:6])
        admin = make_browser("s1_admin")
        teachers = teachers_of(app, regions.orgs["YY-S1"])
        with app.app_context():
            from app.plans.services import current_plan
            keys = [a.key for a in current_plan(regions.orgs["YY-S1"], term).activities]
        for day, key in zip(DATES[:2], keys, strict=False):
            record_id = _record(app, admin, regions.orgs["YY-S1"], term, day=day.isoformat(), planned_key=key)
            data = {f"status-{t.id}": "present" for t in teachers}
            data[f"status-{teachers[0].id}"] = "absent"
            admin.post(f"/activities/{record_id}/attendance", data=data)
        city = make_browser("city").get(f"/progress?term={term}").get_data(as_text=True)
        row = city[city.index("余姚市阳明小学"):]
        row = row[:row.index("</tr>")]
        assert ">2<" in row and ">6<" in row and "83.3%" in row and "1600.00 / 10000.00" in row
        assert "阳明街道教辅室 小计" in city and "梨洲街道教辅室 小计" in city and "直属学校 小计" in city
        township = make_browser("town1").get(f"/progress?term={term}").get_data(as_text=True)
        assert "余姚市阳明小学" in township and "余姚市梨洲小学" not in township
        school = make_browser("s3_admin").get(f"/progress?term={term}").get_data(as_text=True)
        assert "余姚市梨洲小学" in school and "余姚市阳明小学" not in school
        assert make_browser("xa_center").get(f"/progress?term={term}").status_code == 200  # own region instead
