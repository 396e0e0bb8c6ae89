"""Region policy pages: provenance shown, editing by the region's admin only, versions and history,
validation beside the fields, and the working-day calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import AuditEvent, CalendarOverride, PolicyVersion
from app.policy.services import policy_for_term
from app.workdays import deadline_after_working_days
from tests.helpers import field_errors
from tests.planning.helpers import policy_form_data, term_id


def _versions(app, region_id):
    with app.app_context():
        rows = list(db.session.scalars(select(PolicyVersion).where(PolicyVersion.region_id == region_id)
                                       .order_by(PolicyVersion.version)))
        db.session.expunge_all()
        return rows


def test_policy_page_shows_each_value_with_its_source(regions, make_browser):
    page = make_browser("s1_admin").get("/policy").get_data(as_text=True)
    assert "余姚市教育局" in page and "第 1 版" in page
    assert "余教〔2020〕14号 五、组织实施 第1条" in page and "严格按计划组织每学期6次以上的研修活动实施" in page
    assert "6 次" in page and "10%" in page and "年度公用经费总额" in page
    assert "默认值：domain.md §4.1" in page              # credits come from the defaults, and say so
    assert "修改政策" not in page                          # only the region's admin edits
    county = make_browser("xa1_admin").get("/policy").get_data(as_text=True)
    assert "周二第 3 节、周四第 3 节" in county and "校本培训" in county and "两天的培训内容一致" in county


def test_region_admin_changes_the_minimum_and_history_is_kept(app, regions, make_browser):
    admin = make_browser("admin")
    region = regions.orgs["YY"]
    [v1] = _versions(app, region)
    form = admin.get("/policy/edit").get_data(as_text=True)
    assert 'name="min_activities"' in form and 'value="6"' in form
    data = policy_form_data({**v1.values, "plan.min_activities": 8}, term_id(regions, "YY"), "局务会决定每学期 8 次")
    r = admin.post("/policy/edit", data=data)
    assert r.status_code == 302
    v1, v2 = _versions(app, region)
    assert v2.version == 2 and v2.values["plan.min_activities"] == 8 and v2.changed_keys == ["plan.min_activities"]
    assert v2.provenance["plan.min_activities"]["kind"] == "admin"
    assert v2.provenance["plan.min_activities"]["previous"]["kind"] == "seed"
    assert v2.provenance["funding.min_ratio"]["kind"] == "seed"      # untouched values keep their source
    assert v1.values["plan.min_activities"] == 6                        # history kept
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.change")).one()
        assert event.detail["changed"] == {"plan.min_activities": [6, 8]}
    page = admin.get("/policy").get_data(as_text=True)
    assert "第 2 版" in page and "局务会决定每学期 8 次" in page and "管理员修改：系统管理员" in page
    assert admin.get(f"/policy/versions/1?region={region}").status_code == 200
    # Saving the same values again changes nothing and says so.
    r = admin.post("/policy/edit", data=policy_form_data(v2.values, term_id(regions, "YY"), "再存一次"))
    assert r.status_code == 422 and "没有任何设置发生变化" in r.get_data(as_text=True)
    assert len(_versions(app, region)) == 2


def test_only_the_regions_admin_may_edit(app, regions, make_browser):
    yuyao = regions.orgs["YY"]
    for username in ("city", "s1_admin", "town1"):
        assert make_browser(username).get("/policy/edit").status_code == 403, username
    # Another region's admin cannot even see Yuyao's policy, let alone edit it.
    other = make_browser("xa_admin")
    assert other.get(f"/policy?region={yuyao}").status_code == 404
    assert other.post(f"/policy/edit?region={yuyao}", data={}).status_code == 404
    assert len(_versions(app, yuyao)) == 1


def test_invalid_values_are_shown_beside_the_fields_and_nothing_is_saved(app, regions, make_browser):
    admin = make_browser("admin")
    [v1] = _versions(app, regions.orgs["YY"])
    data = policy_form_data(v1.values, term_id(regions, "YY"), "")
    data.update(min_activities="0", funding_min_ratio="150", slot_weekdays=["2"], draft_days="")
    r = admin.post("/policy/edit", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_errors(html, "min_activities") and field_errors(html, "funding_min_ratio")
    assert field_errors(html, "note") == ["请说明修改的原因或依据"] and field_errors(html, "draft_days")
    assert 'value="150"' in html
    data = policy_form_data({**v1.values, "schedule.same_content": True}, term_id(regions, "YY"), "试一试")
    r = admin.post("/policy/edit", data=data)
    assert r.status_code == 422
    assert "两个或以上的固定时段" in " ".join(field_errors(r.get_data(as_text=True), "same_content"))
    data = policy_form_data(v1.values, term_id(regions, "YY", "2025-2"), "追溯修改")
    data["min_activities"] = "7"
    r = admin.post("/policy/edit", data=data)
    assert r.status_code == 422   # a past term is not offered, and a forged one is refused
    assert len(_versions(app, regions.orgs["YY"])) == 1


def test_policy_in_force_follows_the_effective_term(app, regions, make_browser):
    [v1] = _versions(app, regions.orgs["YY"])
    admin = make_browser("admin")
    admin.post("/policy/edit", data=policy_form_data({**v1.values, "plan.min_activities": 8},
                                                     term_id(regions, "YY", "2026-2"), "下学期起"))
    with app.app_context():
        from app.models import Term
        this_term = db.session.get(Term, term_id(regions, "YY"))
        next_term = db.session.get(Term, term_id(regions, "YY", "2026-2"))
        assert policy_for_term(this_term).policy.min_activities == 6
        assert policy_for_term(next_term).policy.min_activities == 8
    page = admin.get("/policy").get_data(as_text=True)
    assert "已发布、尚未生效的修改" in page and "自2026学年第二学期起生效" in page


def test_calendar_overrides_move_deadlines(app, regions, make_browser):
    admin = make_browser("admin")
    region = regions.orgs["YY"]
    r = admin.post("/policy/calendar", data={"day": "2026-12-01", "kind": "off", "note": "地方假日"})
    assert r.status_code == 302
    with app.app_context(), use_clock(FrozenClock(datetime(2026, 11, 30, 2, tzinfo=UTC))):
        due = deadline_after_working_days(region, datetime(2026, 11, 30, 2, tzinfo=UTC), 1)
        assert due.astimezone().date().isoformat() == "2026-12-02"
    page = admin.get("/policy").get_data(as_text=True)
    assert "地方假日" in page and "元旦" in page or "New Year" in page
    r = admin.post("/policy/calendar", data={"day": "", "kind": "off"})
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "day")
    assert make_browser("city").post("/policy/calendar", data={"day": "2026-12-02", "kind": "off"}).status_code == 403
    with app.app_context():
        row = db.session.scalars(select(CalendarOverride)).one()
        override_id = row.id
    assert admin.post(f"/policy/calendar/{override_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(CalendarOverride)).first() is None


def test_rectification_numbers_come_from_the_region_policy(app, regions, make_browser):
    from app.models import OrgUnit, Term
    from app.rectification.policy import policy_for_region
    from app.rectification.services import default_deadline
    from app.workdays.moments import add_working_days

    [v1] = _versions(app, regions.orgs["YY"])
    admin = make_browser("admin")
    data = policy_form_data(v1.values, term_id(regions, "YY"), "整改期限缩短为 10 个工作日")
    data.update(rect_deadline_days="10", rect_reminder_days="10")
    r = admin.post("/policy/edit", data=data)
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "rect_reminder_days") == ["提醒须早于整改期限"]
    data.update(rect_reminder_days="1", rect_ack_days="2", rect_max_rounds="2")
    assert admin.post("/policy/edit", data=data).status_code == 302
    with app.app_context():
        term = db.session.get(Term, term_id(regions, "YY"))
        school = db.session.get(OrgUnit, regions.orgs["YY-S1"])
        region, start = regions.orgs["YY"], term.start_date
        policy = policy_for_region(region, start)
        assert (policy.default_deadline_working_days, policy.remind_working_days, policy.ack_working_days,
                policy.max_rounds) == (10, 1, 2, 2)
        now = datetime.combine(start, datetime.min.time(), UTC).replace(hour=2)
        assert default_deadline(school, now) == add_working_days(region, start, 10)
        # Another region keeps the defaults.
        assert policy_for_region(regions.orgs["XA"], start).default_deadline_working_days == 20
    assert "10 个工作日" in admin.get("/policy").get_data(as_text=True)
