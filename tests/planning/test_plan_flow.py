"""研修计划审批 and 计划变更 over HTTP, driven by each region's policy profile."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    AuditEvent,
    HumanTask,
    Opinion,
    PlanStatus,
    PolicyVersion,
    ResearchPlan,
    Role,
    RoleAssignment,
    TaskStatus,
    User,
)
from tests.conftest import FAST_HASH
from tests.helpers import field_errors
from tests.planning.helpers import (
    activities_on,
    decide,
    open_task_of,
    plan_form,
    plan_of,
    policy_form_data,
    term_id,
    weekdays_from,
)

TERM_START = date(2026, 9, 7)
YY_BUDGET = [{"category": "专家讲课费", "amount": "10000"}]


def _open(make_browser, username, term):
    r = make_browser(username).post("/plans/open", data={"term_id": str(term)})
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    return r.get_data(as_text=True)


def _draft(app, school_id, term):
    plan = plan_of(app, school_id, term)
    return plan, open_task_of(app, plan.instance_id)


def _submit_yuyao(app, make_browser, school_code, regions, username, n=6):
    term = term_id(regions, "YY")
    plan, task = _draft(app, regions.orgs[school_code], term)
    r = make_browser(username).post(f"/tasks/{task.id}", data=plan_form(
        activities_on(weekdays_from(TERM_START, 3, n)), YY_BUDGET))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    return plan


def test_yuyao_plan_with_five_activities_is_blocked_and_six_pass(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan, task = _draft(app, regions.orgs["YY-S1"], term)
    assert task.bpmn_id == "Task_draft" and task.role == "school_admin" and task.org_id == regions.orgs["YY-S1"]
    drafter = make_browser("s1_admin")
    dates = weekdays_from(TERM_START, 3, 6)
    r = drafter.post(f"/tasks/{task.id}", data=plan_form(activities_on(dates[:5]), YY_BUDGET))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    errors = field_errors(html, "activities")
    assert len(errors) == 1 and "只计划了 5 次研修活动" in errors[0] and "至少 6 次" in errors[0]
    assert "余教〔2020〕14号" in errors[0]
    assert 'value="第5次研修活动"' in html   # what was typed is kept
    assert plan_of(app, regions.orgs["YY-S1"], term).status == PlanStatus.DRAFT
    assert open_task_of(app, plan.instance_id).id == task.id

    r = drafter.post(f"/tasks/{task.id}", data=plan_form(activities_on(dates), YY_BUDGET))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    plan = plan_of(app, regions.orgs["YY-S1"], term)
    assert plan.status == PlanStatus.PRINCIPAL_REVIEW and len(plan.activities) == 6
    assert {f["rule"]: f["status"] for f in plan.check_result} == {"min_activities": "pass", "funding_ratio": "pass"}
    with app.app_context():
        steps = [e.detail.get("step") for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == plan.instance_id, AuditEvent.action == "engine.step"))]
        assert steps[:2] == ["Service_check", "Service_route"]


def test_full_chain_returns_then_approval_freezes_version_one(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "city", term)
    plan = _submit_yuyao(app, make_browser, "YY-S1", regions, "s1_admin")
    assert decide(make_browser("s1_principal"), open_task_of(app, plan.instance_id).id, "approve").status_code == 302
    task = open_task_of(app, plan.instance_id)
    assert task.bpmn_id == "Task_township" and task.org_id == regions.orgs["YY-T1"]
    assert task.due_at is not None
    r = decide(make_browser("town1"), task.id, "return", "第3次活动请改为同课异构")
    assert r.status_code == 302
    assert plan_of(app, regions.orgs["YY-S1"], term).status == PlanStatus.RETURNED
    redo = open_task_of(app, plan.instance_id)
    assert redo.bpmn_id == "Task_draft" and redo.assignee_id == regions.users["s1_admin"]
    page = make_browser("s1_admin").get(f"/tasks/{redo.id}").get_data(as_text=True)
    assert "第3次活动请改为同课异构" in page and 'value="第6次研修活动"' in page
    plan = _submit_yuyao(app, make_browser, "YY-S1", regions, "s1_admin", n=7)
    decide(make_browser("s1_principal"), open_task_of(app, plan.instance_id).id, "approve")
    decide(make_browser("town1"), open_task_of(app, plan.instance_id).id, "approve")
    task = open_task_of(app, plan.instance_id)
    assert task.bpmn_id == "Task_city"
    assert decide(make_browser("city"), task.id, "approve", "同意").status_code == 302
    done = plan_of(app, regions.orgs["YY-S1"], term)
    assert done.status == PlanStatus.APPROVED and done.version_no == 1 and len(done.activities) == 7
    assert open_task_of(app, done.instance_id) is None
    with app.app_context():
        actions = [o.action for o in db.session.scalars(select(Opinion).where(
            Opinion.instance_id == done.instance_id).order_by(Opinion.id))]
        assert actions == ["submit", "approve", "return", "submit", "approve", "approve", "approve"]
    page = make_browser("s1_admin").get(f"/plans/{done.id}", follow_redirects=True).get_data(as_text=True)
    assert "第 1 版" in page and "申请计划变更" in page and "计划定稿" in page


def test_direct_school_plan_skips_the_township(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan = _submit_yuyao(app, make_browser, "YY-S6", regions, "s6_admin")
    decide(make_browser("s6_principal"), open_task_of(app, plan.instance_id).id, "approve")
    task = open_task_of(app, plan.instance_id)
    assert task.bpmn_id == "Task_city" and task.org_id == regions.orgs["YY-C"]
    assert plan_of(app, regions.orgs["YY-S6"], term).status == PlanStatus.CITY_REVIEW
    with app.app_context():
        route = next(e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == plan.instance_id, AuditEvent.action == "plan.route")))
        assert route["township"] is False and route["city"] is True


def test_county_slots_and_funding_are_checked_beside_their_fields(app, regions, make_browser):
    term = term_id(regions, "XA")
    _open(make_browser, "xa_center", term)
    plan, task = _draft(app, regions.orgs["XA-S1"], term)
    drafter = make_browser("xa1_admin")
    page = drafter.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "周二第 3 节、周四第 3 节" in page and "年度公用经费预算总额" in page
    tuesdays = weekdays_from(TERM_START, 2, 2)
    rows = [{"planned_date": tuesdays[0].isoformat(), "period": "3", "alt_date": "2026-09-10"},
            {"planned_date": "2026-09-16", "period": "3", "alt_date": ""}]          # a Wednesday
    budget = [{"category": "资料费", "amount": "4000"}]
    r = drafter.post(f"/tasks/{task.id}", data=plan_form(rows, budget, funds="100000"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "周三" in " ".join(field_errors(html, "activities-1-planned_date"))
    assert field_errors(html, "activities-0-planned_date") == []
    assert "低于区域政策要求的 5%" in " ".join(field_errors(html, "budget_lines"))
    rows[1] = {"planned_date": tuesdays[1].isoformat(), "period": "3", "alt_date": "2026-09-17"}
    r = drafter.post(f"/tasks/{task.id}", data=plan_form(rows, [{"category": "资料费", "amount": "5000"}]))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    decide(make_browser("xa1_principal"), open_task_of(app, plan.instance_id).id, "approve")
    task = open_task_of(app, plan.instance_id)
    assert task.bpmn_id == "Task_township" and task.org_id == regions.orgs["XA-T1"]


def test_county_direct_school_and_putuo_go_straight_to_the_centre(app, regions, make_browser):
    for region, school, login in (("XA", "XA-S3", "xa3"), ("PT", "PT-S1", "pt1")):
        term = term_id(regions, region)
        _open(make_browser, f"{region.lower()}_admin", term)
        plan, task = _draft(app, regions.orgs[school], term)
        row = {"planned_date": "2026-09-08", "period": "3", "alt_date": "2026-09-10"}
        r = make_browser(f"{login}_admin").post(f"/tasks/{task.id}", data=plan_form(
            [row], [{"category": "资料费", "amount": "5000"}]))
        assert r.status_code == 302, r.get_data(as_text=True)[:3000]
        decide(make_browser(f"{login}_principal"), open_task_of(app, plan.instance_id).id, "approve")
        task = open_task_of(app, plan.instance_id)
        assert task.bpmn_id == "Task_city" and task.org_id == regions.orgs[f"{region}-C"], region


def test_policy_change_next_term_leaves_this_terms_checks_alone(app, regions, make_browser):
    with app.app_context():
        current = db.session.scalars(select(PolicyVersion).where(
            PolicyVersion.region_id == regions.orgs["YY"])).one()
        values = {**current.values, "plan.min_activities": 8}
    admin = make_browser("admin")
    r = admin.post("/policy/edit", data=policy_form_data(values, term_id(regions, "YY", "2026-2"), "下学期起每学期 8 次"))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    this_term, next_term = term_id(regions, "YY"), term_id(regions, "YY", "2026-2")
    _open(make_browser, "admin", this_term)
    plan = _submit_yuyao(app, make_browser, "YY-S1", regions, "s1_admin", n=6)   # 6 still enough this term
    assert plan_of(app, regions.orgs["YY-S1"], this_term).status == PlanStatus.PRINCIPAL_REVIEW
    _open(make_browser, "admin", next_term)
    plan, task = _draft(app, regions.orgs["YY-S1"], next_term)
    r = make_browser("s1_admin").post(f"/tasks/{task.id}", data=plan_form(
        activities_on(weekdays_from(date(2027, 3, 1), 3, 6)), YY_BUDGET))
    assert r.status_code == 422
    assert "至少 8 次" in " ".join(field_errors(r.get_data(as_text=True), "activities"))


def test_plan_change_has_its_own_short_chain_and_keeps_the_count(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan = _submit_yuyao(app, make_browser, "YY-S2", regions, "s2_admin")
    for who in ("s2_principal", "town1", "city"):
        decide(make_browser(who), open_task_of(app, plan.instance_id).id, "approve")
    v1 = plan_of(app, regions.orgs["YY-S2"], term)
    assert v1.status == PlanStatus.APPROVED
    drafter = make_browser("s2_admin")
    r = drafter.post(f"/plans/{v1.id}/change")
    assert r.status_code == 302
    change = plan_of(app, regions.orgs["YY-S2"], term)
    assert change.id != v1.id and change.base_plan_id == v1.id and len(change.activities) == 6
    task = open_task_of(app, change.instance_id)
    assert task.assignee_id == regions.users["s2_admin"]
    assert drafter.post(f"/plans/{v1.id}/change").status_code == 409   # one change at a time
    dates = weekdays_from(TERM_START, 3, 6)
    fewer = activities_on(dates[:5])
    r = drafter.post(f"/tasks/{task.id}", data=plan_form(fewer, YY_BUDGET, change_reason="取消第6次活动"))
    assert r.status_code == 422 and "至少 6 次" in " ".join(field_errors(r.get_data(as_text=True), "activities"))
    r = drafter.post(f"/tasks/{task.id}", data=plan_form(activities_on(dates[:5] + [date(2026, 12, 30)]), YY_BUDGET))
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "change_reason") == ["请说明变更原因"]
    r = drafter.post(f"/tasks/{task.id}", data=plan_form(
        activities_on(dates[:5] + [date(2026, 12, 30)]), YY_BUDGET, change_reason="第6次活动改期"))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    decide(make_browser("s2_principal"), open_task_of(app, change.instance_id).id, "approve")
    task = open_task_of(app, change.instance_id)
    assert task.bpmn_id == "Task_city"          # Yuyao's change chain: principal → city
    decide(make_browser("city"), task.id, "approve")
    with app.app_context():
        rows = {p.id: p for p in db.session.scalars(select(ResearchPlan).where(
            ResearchPlan.school_id == regions.orgs["YY-S2"]))}
        assert rows[v1.id].status == PlanStatus.SUPERSEDED and rows[v1.id].version_no == 1
        assert rows[change.id].status == PlanStatus.APPROVED and rows[change.id].version_no == 2
        assert rows[change.id].activities[5].planned_date == date(2026, 12, 30)


def test_organizer_review_is_refused_to_the_person_who_submitted(app, regions, make_browser):
    with app.app_context():
        current = db.session.scalars(select(PolicyVersion).where(PolicyVersion.region_id == regions.orgs["YY"])).one()
        current.values = {**current.values, "approval.plan_levels": ["organizer", "township", "city"]}
        clerk = User(username="s1_clerk", display_name="阳明小学研修管理员")
        clerk.password_hash = generate_password_hash(regions.password, method=FAST_HASH)
        clerk.roles = [RoleAssignment(role=Role.SCHOOL_ADMIN, org_id=regions.orgs["YY-S1"])]
        db.session.add(clerk)
        db.session.commit()
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan = _submit_yuyao(app, make_browser, "YY-S1", regions, "s1_clerk")
    task = open_task_of(app, plan.instance_id)
    assert task.bpmn_id == "Task_organizer" and task.assignee_id is None
    r = decide(make_browser("s1_clerk"), task.id, "approve")
    assert r.status_code == 422
    assert "计划编制人以外" in " ".join(field_errors(r.get_data(as_text=True), "decision"))
    assert decide(make_browser("s1_admin"), task.id, "approve").status_code == 302
    assert open_task_of(app, plan.instance_id).bpmn_id == "Task_principal"


def test_opening_is_for_the_centre_and_skips_schools_that_have_a_plan(app, regions, make_browser):
    term = term_id(regions, "YY")
    assert make_browser("s1_admin").post("/plans/open", data={"term_id": str(term)}).status_code == 403
    assert make_browser("town1").get("/plans/open").status_code == 403
    page = _open(make_browser, "city", term)
    assert "已开启：6 所" in page
    page = _open(make_browser, "city", term)
    assert "已开启：0 所" in page and page.count("：已有计划（编制中）") == 6
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(HumanTask).where(
            HumanTask.status == TaskStatus.OPEN, HumanTask.bpmn_id == "Task_draft")) == 6
    inbox = make_browser("s3_admin").get("/tasks").get_data(as_text=True)
    assert "编制研修计划" in inbox


def test_plans_of_other_schools_are_not_visible(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan = plan_of(app, regions.orgs["YY-S1"], term)
    assert make_browser("s1_admin").get(f"/plans/{plan.id}").status_code == 302
    assert make_browser("s2_admin").get(f"/plans/{plan.id}").status_code == 404
    assert make_browser("s1_teacher").get(f"/plans/{plan.id}").status_code == 404
    assert make_browser("xa_admin").get(f"/plans/{plan.id}").status_code == 404
    assert make_browser("town2").get(f"/instances/{plan.instance_id}").status_code == 404
    assert make_browser("town1").get(f"/instances/{plan.instance_id}").status_code == 200
    assert make_browser("s1_admin").get("/plans/999999").status_code == 404
    listing = make_browser("s2_admin").get(f"/plans?term={term}").get_data(as_text=True)
    assert "余姚市阳明小学" not in listing and "余姚市阳明中学" in listing


def test_saving_a_draft_keeps_rows_and_shows_the_live_check(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan, task = _draft(app, regions.orgs["YY-S1"], term)
    drafter = make_browser("s1_admin")
    data = plan_form(activities_on(weekdays_from(TERM_START, 3, 3)), YY_BUDGET, action="save")
    assert drafter.post(f"/tasks/{task.id}", data=data).status_code == 302
    saved = plan_of(app, regions.orgs["YY-S1"], term)
    assert len(saved.activities) == 3 and saved.status == PlanStatus.DRAFT
    page = drafter.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "只计划了 3 次研修活动" in page and 'value="第3次研修活动"' in page
    # Bad input in a row is shown beside that cell and nothing is saved.
    bad = plan_form([{"planned_date": "2026-09-09", "hours": "20", "topic": ""}], action="save")
    r = drafter.post(f"/tasks/{task.id}", data=bad)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_errors(html, "activities-0-hours") and field_errors(html, "activities-0-topic") == ["请填写主题"]
    assert len(plan_of(app, regions.orgs["YY-S1"], term).activities) == 3


def test_a_rejected_plan_can_be_replaced_by_opening_the_term_again(app, regions, make_browser):
    term = term_id(regions, "YY")
    _open(make_browser, "admin", term)
    plan = _submit_yuyao(app, make_browser, "YY-S1", regions, "s1_admin")
    decide(make_browser("s1_principal"), open_task_of(app, plan.instance_id).id, "approve")
    r = decide(make_browser("town1"), open_task_of(app, plan.instance_id).id, "reject", "与学校发展规划无关")
    assert r.status_code == 302
    assert plan_of(app, regions.orgs["YY-S1"], term).status == PlanStatus.REJECTED
    page = _open(make_browser, "admin", term)
    assert "已开启：1 所（余姚市阳明小学）" in page
    fresh = plan_of(app, regions.orgs["YY-S1"], term)
    assert fresh.id != plan.id and fresh.status == PlanStatus.DRAFT
