"""学期检查 end to end: shipped and edited score sheets, a campaign from set-up to published results,
self-check with materials and the 未提交 timer, scoring with deduction reasons, 五必听 observations,
the four-part report, the ranking, the rectification draft from 需整改 findings, and who sees what."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import FrozenClock, use_clock
from app.demo import create_user
from app.extensions import db
from app.inspections import services, sheets
from app.inspections.metrics import MetricContext, evaluate
from app.jobs.services import run_due_jobs
from app.models import (
    AuditEvent,
    HumanTask,
    Inspection,
    InspectionCampaign,
    InspectionStatus,
    LessonObservation,
    OrgUnit,
    ProjectApplication,
    ProjectStatus,
    RectificationOrder,
    Role,
    ScoreSheetTemplate,
    TaskStatus,
    Term,
    User,
)
from tests.conftest import FAST_HASH
from tests.helpers import field_errors

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)   # Monday 1 June 2026, 09:00 in Yuyao


@pytest.fixture
def clock():
    with use_clock(FrozenClock(T0)) as c:
        yield c


@pytest.fixture
def team(app, world):
    with app.app_context():
        center = db.session.get(OrgUnit, world.orgs["YY-C"])
        create_user("inspector2", "林检查", [(Role.INSPECTOR, center)], password_method=FAST_HASH)
        sheets.install_builtin(world.orgs["YY"])
        db.session.commit()
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        templates = {t.code: t.id for t in db.session.scalars(select(ScoreSheetTemplate))}
        term = db.session.scalars(select(Term).where(Term.code == "2025-2")).one().id
    return {"users": users, "templates": templates, "term": term}


def campaign_form(world, team, **overrides) -> dict:
    data = {"title": "2025学年第二学期校本研修专项检查", "kind": "term_end", "term_id": str(team["term"]),
            "template_id": str(team["templates"]["term_end"]), "scope_kind": "sample",
            "schools": [str(world.orgs["YY-S1"]), str(world.orgs["YY-S3"])], "announced": "y",
            "self_check_due": "2026-06-12", "remind_working_days": "2", "onsite_start": "2026-06-15",
            "onsite_end": "2026-06-19", "report_due": "2026-06-26", "lead_id": str(team["users"]["inspector"]),
            "member_ids": [str(team["users"]["inspector2"])], "finance_id": str(team["users"]["finance"])}
    data.update(overrides)
    return data


def inspection_of(app, school_id: int) -> Inspection:
    with app.app_context():
        i = db.session.scalars(select(Inspection).where(Inspection.school_id == school_id)).one()
        db.session.expunge_all()
        return i


def open_task(app, inspection_id: int, bpmn_id: str) -> HumanTask | None:
    with app.app_context():
        instance_id = db.session.get(Inspection, inspection_id).instance_id
        t = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id,
                                                       HumanTask.status == TaskStatus.OPEN)).first()
        db.session.expunge_all()
        return t


def leaves(app, inspection_id: int):
    with app.app_context():
        items = services.leaves(db.session.get(Inspection, inspection_id))
        db.session.expunge_all()
        return items


def test_the_three_shipped_score_sheets(ctx, world):
    sheets.install_builtin(world.orgs["YY"])
    sheets.install_builtin(world.orgs["YY"])  # idempotent
    found = {t.code: t for t in sheets.templates_for(world.orgs["YY"])}
    assert set(found) == {"term_end", "visitation", "ledger"}
    assert all(t.total_points == 100 for t in found.values())
    assert [i.title for i in found["term_end"].top_items] == ["学期培训计划", "培训过程资料", "培训成果", "经费使用"]
    assert {i.code for i in found["term_end"].items if i.finance} == {"4", "4.1", "4.2"}
    visitation = [i.title for i in found["visitation"].top_items]
    assert visitation[0] == "课堂教学（五必听）" and visitation[1:] == ["组织管理", "教学计划", "教学常规", "教研集备",
                                                                   "师资建设", "教学设施", "办学效益"]
    assert [i.title for i in found["ledger"].top_items] == ["各级领导职责", "各项规章制度", "研修计划和实施方案", "研修教材",
                                                           "研修记录", "考核成绩", "科研成果", "研修总结"]
    assert sum(1 for i in found["ledger"].leaves if i.metric == "ledger_section") == 8


def test_editing_a_score_sheet_saves_a_new_version_and_checks_the_points(app, world, team, make_browser):
    city = make_browser("city")
    v1 = team["templates"]["ledger"]
    page = city.get(f"/inspections/templates/{v1}/edit").get_data(as_text=True)
    assert 'name="code-0" value="1"' in page
    with app.app_context():
        rows = sheets.rows_of(db.session.get(ScoreSheetTemplate, v1))
    data = {"rows": str(len(rows)), "name": "台帐检查（修订）", "description": "增加说明"}
    for i, r in enumerate(rows):
        data.update({f"code-{i}": r.code, f"title-{i}": r.title, f"points-{i}": r.points, f"guidance-{i}": r.guidance,
                     f"area-{i}": r.area, f"metric-{i}": r.metric})
    data["points-1"] = "7"          # 1.1 now 7 + 1.2 4 = 11, but section 1 says 10
    data["metric-0"] = "no_such"    # and an unknown metric
    r = city.post(f"/inspections/templates/{v1}/edit", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "未知的自动指标" in html and 'value="7"' in html
    data["metric-0"] = ""
    r = city.post(f"/inspections/templates/{v1}/edit", data=data)
    assert r.status_code == 422 and "分值应等于下级指标之和 11" in r.get_data(as_text=True)
    data["points-0"] = "11"
    r = city.post(f"/inspections/templates/{v1}/edit", data=data)
    assert r.status_code == 302
    with app.app_context():
        versions = list(db.session.scalars(select(ScoreSheetTemplate).where(ScoreSheetTemplate.code == "ledger")
                                           .order_by(ScoreSheetTemplate.version)))
        assert [(t.version, t.latest) for t in versions] == [(1, False), (2, True)]
        assert versions[1].total_points == 101 and versions[1].name == "台帐检查（修订）"
        assert versions[0].total_points == 100  # the old version is untouched
    assert make_browser("s1_principal").get("/inspections/templates").status_code == 403


def test_a_campaign_from_set_up_to_published_results(app, world, team, make_browser, clock):
    city = make_browser("city")
    bad = city.post("/inspections/campaigns/new", data=campaign_form(world, team, report_due="2026-06-16"))
    assert bad.status_code == 422
    assert field_errors(bad.get_data(as_text=True), "report_due") == ["报告截止日期不能早于现场检查结束日期"]
    assert "2025学年第二学期校本研修专项检查" in bad.get_data(as_text=True)
    r = city.post("/inspections/campaigns/new", data=campaign_form(world, team))
    assert r.status_code == 302
    campaign_url = r.headers["Location"]
    assert city.post(campaign_url + "/start").status_code == 302
    s1, s3 = inspection_of(app, world.orgs["YY-S1"]), inspection_of(app, world.orgs["YY-S3"])
    assert s1.status == s3.status == InspectionStatus.SELF_CHECK

    # 阳明小学 does its self-check with a material, and the principal signs.
    admin = make_browser("s1_admin")
    task = open_task(app, s1.id, "Task_selfcheck")
    items = leaves(app, s1.id)
    plan = next(i for i in items if i.code == "1.1")
    r = admin.post(f"/inspections/{s1.id}/items/{plan.id}/materials",
                   data={"file": (io.BytesIO(b"plan of the term"), "学期培训计划.txt")},
                   content_type="multipart/form-data")
    assert r.status_code == 302
    r = admin.post(f"/tasks/{task.id}", data={"summary": "", "action": "submit"})
    assert r.status_code == 422 and "提交前请填写自查总体情况" in r.get_data(as_text=True)
    r = admin.post(f"/tasks/{task.id}", data={"summary": "本学期开展活动 6 次。", f"note_{plan.id}": "计划已公示",
                                              "action": "submit"})
    assert r.status_code == 302
    sign = open_task(app, s1.id, "Task_sign")
    assert make_browser("s1_principal").post(f"/tasks/{sign.id}", data={"decision": "approve",
                                                                         "action": "submit"}).status_code == 302
    # 梨洲小学 does nothing: reminded before the due date, then scored as 未提交.
    clock.set(datetime(2026, 6, 10, 0, 0, 1, tzinfo=UTC))
    with app.app_context():
        assert [o.result for o in run_due_jobs("w")] == ["done"]
        clock.set(datetime(2026, 6, 12, 16, 0, 1, tzinfo=UTC))
        assert [o.result for o in run_due_jobs("w")] == ["done"]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "inspection.selfcheck_remind")) == 1
        db.session.remove()
    s3 = inspection_of(app, world.orgs["YY-S3"])
    assert s3.self_check_missing and s3.status == InspectionStatus.ONSITE
    assert inspection_of(app, world.orgs["YY-S1"]).self_check_signed_at is not None

    # On site: scoring item by item; a deduction needs its reason; finance scores the 经费 items.
    clock.set(datetime(2026, 6, 15, 2, 0, tzinfo=UTC))
    inspector, inspector2, finance = make_browser("inspector"), make_browser("inspector2"), make_browser("finance")
    non_finance = [i for i in items if not i.finance]
    finance_items = [i for i in items if i.finance]
    data = {f"my-score_{i.id}": str(i.max_points) for i in non_finance}
    data[f"my-score_{plan.id}"] = "8"
    r = inspector.post(f"/inspections/{s1.id}/scores", data=data)
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), f"my-reason_{plan.id}") == ["扣分须写明扣分理由"]
    data[f"my-reason_{plan.id}"] = "计划缺少主讲人安排"
    assert inspector.post(f"/inspections/{s1.id}/scores", data=data).status_code == 302
    data[f"my-score_{plan.id}"] = "6"
    data[f"my-reason_{plan.id}"] = "计划未公示"
    assert inspector2.post(f"/inspections/{s1.id}/scores", data=data).status_code == 302
    assert finance.post(f"/inspections/{s1.id}/scores", data={
        f"my-score_{finance_items[0].id}": "5", f"my-reason_{finance_items[0].id}": "经费比例不足"}).status_code == 302
    page = finance.get(f"/inspections/{s1.id}").get_data(as_text=True)
    assert f'name="my-score_{plan.id}"' not in page  # not the finance member's item
    # Lesson observations and the 五必听 checklist.
    for category in ("school_leader", "group_leader"):
        assert inspector.post(f"/inspections/{s1.id}/observations", data={
            "teacher_name": "张老师", "category": category, "subject": "语文", "observed_on": "2026-06-15",
            "rating": "良", "unannounced": "y", "problems": "提问偏少"}).status_code == 302
    page = inspector.get(f"/inspections/{s1.id}").get_data(as_text=True)
    assert 'class="missing" id="lesson-topic_leader"' in page and 'class="done" id="lesson-school_leader"' in page

    # The lead consolidates (the mean of the team is proposed), marks a finding 需整改.
    consolidate = open_task(app, s1.id, "Task_consolidate")
    assert consolidate.assignee_id == team["users"]["inspector"]
    page = inspector.get(f"/tasks/{consolidate.id}").get_data(as_text=True)
    proposed = re.search(rf'<input[^>]*name="score_{plan.id}"[^>]*>', page).group(0)
    assert 'value="7.0"' in proposed  # (8 + 6) / 2
    final = {f"score_{i.id}": str(i.max_points) for i in items}
    final.update({f"score_{plan.id}": "7", f"reason_{plan.id}": "计划未公示、缺主讲人", f"rectify_{plan.id}": "y",
                  f"score_{finance_items[0].id}": "5", f"reason_{finance_items[0].id}": "经费比例不足",
                  "action": "submit"})
    assert inspector.post(f"/tasks/{consolidate.id}", data=final).status_code == 302
    s1 = inspection_of(app, world.orgs["YY-S1"])
    assert s1.total_score == Decimal("92.0") and s1.grade == "优秀" and s1.status == InspectionStatus.REPORTING

    # The four-part report starts from a draft built from the findings.
    report_task = open_task(app, s1.id, "Task_report")
    page = inspector.get(f"/tasks/{report_task.id}").get_data(as_text=True)
    assert "计划未公示、缺主讲人" in page and "听课 2 节" in page
    report = {"report_basic": "检查组听课 2 节，查阅资料。", "report_strengths": "活动扎实。",
              "report_problems": "计划未公示。", "report_suggestions": "限期公示计划。", "action": "submit"}
    assert inspector.post(f"/tasks/{report_task.id}", data=report).status_code == 302
    # Before publication the school sees no score.
    principal = make_browser("s1_principal")
    page = principal.get(f"/inspections/{s1.id}").get_data(as_text=True)
    assert "92.0" not in page and "结果经中心主任审批发布后可见" in page
    approve = open_task(app, s1.id, "Task_approve")
    assert make_browser("director").post(f"/tasks/{approve.id}", data={"decision": "approve",
                                                                        "action": "submit"}).status_code == 302
    s1 = inspection_of(app, world.orgs["YY-S1"])
    assert s1.status == InspectionStatus.PUBLISHED and s1.published_at is not None

    page = principal.get(f"/inspections/{s1.id}").get_data(as_text=True)
    for text in ("92.0", "优秀", "一、基本情况", "二、值得肯定的成绩", "三、存在的问题和不足", "四、改进的意见或建议",
                 "限期公示计划。"):
        assert text in page, text
    # Findings marked 需整改 became a draft rectification order, waiting in the lead's 待办.
    with app.app_context():
        order = db.session.scalars(select(RectificationOrder)).one()
        assert order.inspection_id == s1.id and order.school_id == world.orgs["YY-S1"]
        assert [i.problem for i in order.items] == ["制订学期培训计划：计划未公示、缺主讲人"]
        assert order.items[0].score_item_id == plan.id
        draft = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == order.instance_id,
                                                           HumanTask.status == TaskStatus.OPEN)).one()
        assert draft.bpmn_id == "Task_draft" and draft.assignee_id == team["users"]["inspector"]
    # The region sees the ranking (published results only); other schools see nothing of it.
    ranking = make_browser("town2").get(campaign_url).get_data(as_text=True)
    assert "余姚市阳明小学" in ranking.split('id="ranking"')[1] and "92.0" in ranking
    assert make_browser("s3_principal").get(f"/inspections/{s1.id}").status_code == 404
    assert principal.get(f"/inspections/{s3.id}").status_code == 404
    assert principal.get(campaign_url).status_code == 404
    assert principal.get("/inspections/999999").status_code == 404


def test_a_school_never_sees_another_schools_inspection_nor_an_unannounced_one_early(app, world, team, make_browser,
                                                                                    clock):
    city = make_browser("city")
    r = city.post("/inspections/campaigns/new", data=campaign_form(
        world, team, announced="", self_check_due="", kind="visitation",
        template_id=str(team["templates"]["visitation"]), title="教学视导（推门）"))
    assert r.status_code == 302
    city.post(r.headers["Location"] + "/start")
    s1, s3 = inspection_of(app, world.orgs["YY-S1"]), inspection_of(app, world.orgs["YY-S3"])
    assert s1.status == InspectionStatus.ONSITE and open_task(app, s1.id, "Task_selfcheck") is None
    principal = make_browser("s1_principal")
    assert principal.get(f"/inspections/{s1.id}").status_code == 404      # unannounced: not yet
    assert "教学视导（推门）" not in principal.get("/inspections").get_data(as_text=True)
    assert principal.get(f"/inspections/{s3.id}").status_code == 404
    assert make_browser("s3_admin").get(f"/inspections/{s1.id}").status_code == 404
    assert make_browser("inspector").get(f"/inspections/{s1.id}").status_code == 200
    # Only team members score.
    assert make_browser("town1").post(f"/inspections/{s1.id}/scores", data={}).status_code in (403, 404)


def test_automatic_metrics_match_the_records(app, world, team, clock):
    with app.app_context():
        school = db.session.get(OrgUnit, world.orgs["YY-S1"])
        terms = {t.code: t for t in db.session.scalars(select(Term))}
        creator = db.session.scalars(select(User).where(User.username == "s1_admin")).one()
        for status, start, end in [(ProjectStatus.APPROVED, "2025-2", "2026-1"), (ProjectStatus.APPROVED, "2025-2", None),
                                   (ProjectStatus.REJECTED, "2025-2", "2026-1"), (ProjectStatus.APPROVED, "2026-1", "2026-2")]:
            db.session.add(ProjectApplication(school_id=school.id, status=status, created_by_id=creator.id,
                                              start_term_id=terms[start].id,
                                              end_term_id=terms[end].id if end else None))
        # Another school's project does not count.
        db.session.add(ProjectApplication(school_id=world.orgs["YY-S2"], status=ProjectStatus.APPROVED,
                                          created_by_id=creator.id, start_term_id=terms["2025-2"].id))
        lead = db.session.get(User, team["users"]["inspector"])
        campaign = services.create_campaign(actor=db.session.get(User, team["users"]["city"]),
                                            org_id=world.orgs["YY-C"], data=services.CampaignInput(
            title="视导", kind=services.InspectionKind.VISITATION, term_id=terms["2025-2"].id,
            template_id=team["templates"]["visitation"], scope_kind=services.ScopeKind.SAMPLE,
            scope_org_ids=[school.id], announced=False, self_check_due=None, onsite_start=date(2026, 6, 1),
            onsite_end=date(2026, 6, 2), report_due=date(2026, 6, 5), lead_id=lead.id))
        [inspection] = services.start_campaign(campaign, actor=db.session.get(User, team["users"]["city"]))
        for category in ("school_leader", "new_teacher", "new_teacher", "other"):
            services.add_observation(inspection, services.ObservationInput(
                "王老师", category, "数学", "", date(2026, 6, 1), True, "优", "", "", ""), lead)
        values = {item.code: evaluate(MetricContext(inspection, school, campaign.term, item))
                  for item in services.leaves(inspection) if item.metric}
        assert values["1.1"].value == 2 and values["1.1"].ok is False
        assert "课题负责人" in values["1.1"].text and "教研组长" in values["1.1"].text
        assert values["6.1"].value == 2 and values["6.1"].ok  # 立项 projects covering 2025-2
        assert db.session.scalar(select(func.count()).select_from(LessonObservation)) == 4

        # 台帐 sections: material attached to two of the eight sections.
        ledger = services.create_campaign(actor=db.session.get(User, team["users"]["city"]), org_id=world.orgs["YY-C"],
                                          data=services.CampaignInput(
            title="台帐", kind=services.InspectionKind.LEDGER, term_id=terms["2025-2"].id,
            template_id=team["templates"]["ledger"], scope_kind=services.ScopeKind.SAMPLE,
            scope_org_ids=[world.orgs["YY-S3"]], announced=True, self_check_due=date(2026, 6, 5),
            onsite_start=date(2026, 6, 8), onsite_end=date(2026, 6, 9), report_due=date(2026, 6, 12),
            lead_id=lead.id))
        [ledger_inspection] = services.start_campaign(ledger, actor=lead)
        from app.attachments.services import store_upload
        from app.attachments.views import storage_settings

        with app.test_request_context():
            settings = storage_settings()
        admin = db.session.scalars(select(User).where(User.username == "s3_admin")).one()
        section_items = [i for i in services.leaves(ledger_inspection) if i.metric == "ledger_section"]
        for item in section_items[:2]:
            entry = services.selfcheck_entry(ledger_inspection, item.id)
            store_upload(io.BytesIO(b"material"), "材料.txt", settings=settings, owner_type=services.MATERIALS,
                         owner_id=entry.id, instance_id=ledger_inspection.instance_id,
                         school_id=ledger_inspection.school_id, actor=admin)
        from app.inspections.metrics import ledger_sections_present

        assert ledger_sections_present(ledger_inspection, section_items, ledger.term) == (2, 8)
        results = services.metric_values(ledger_inspection)
        assert [results[i.id].ok for i in section_items] == [True, True] + [False] * 6
        # Plans, activity records and attendance, judged against Yuyao's policy (≥ 6 activities, ≥ 10%).
        from app.models import (
            ActivityRecord,
            Attendance,
            AttendanceStatus,
            BudgetLine,
            PlanStatus,
            ResearchPlan,
            Teacher,
        )
        from app.policy.demo import YUYAO
        from app.policy.services import bind_profile

        bind_profile(world.orgs["YY"], YUYAO[1], actor=None)
        term = terms["2025-2"]
        plan = ResearchPlan(school_id=school.id, term_id=term.id, status=PlanStatus.APPROVED, version_no=1,
                            declared_funds=Decimal("100000"), created_by_id=creator.id)
        plan.budget_lines = [BudgetLine(seq=1, category="资料费", scope="school_based", amount=Decimal("8000")),
                             BudgetLine(seq=2, category="差旅费", scope="other_training", amount=Decimal("5000"))]
        db.session.add(plan)
        teachers = [Teacher(school_id=school.id, name=f"教师{i}") for i in range(5)]
        db.session.add_all(teachers)
        db.session.flush()
        statuses = iter([AttendanceStatus.ABSENT, AttendanceStatus.ABSENT, AttendanceStatus.LEAVE,
                         AttendanceStatus.SELF_STUDY, AttendanceStatus.LATE] + [AttendanceStatus.PRESENT] * 15)
        for n in range(4):
            activity = ActivityRecord(school_id=school.id, term_id=term.id, plan_id=plan.id,
                                      held_on=date(2026, 3, 2 + 7 * n), form="同伴互助", topic=f"集体备课{n}",
                                      presenter="张老师", hours=Decimal("2"), cost=Decimal("1000"),
                                      created_by_id=creator.id)
            activity.attendance = [Attendance(teacher_id=t.id, status=next(statuses), recorded_by_id=creator.id)
                                   for t in teachers]
            db.session.add(activity)
        # Another school's and another term's records do not count.
        db.session.add(ActivityRecord(school_id=world.orgs["YY-S2"], term_id=term.id, plan_id=plan.id,
                                      held_on=date(2026, 3, 3), form="专家引领", topic="x", presenter="x",
                                      hours=Decimal("1"), created_by_id=creator.id))
        db.session.flush()
        term_end = db.session.get(ScoreSheetTemplate, team["templates"]["term_end"])
        by_metric = {i.metric: i for i in term_end.items if i.metric}

        def measure(key):
            return evaluate(MetricContext(inspection, school, term, by_metric[key]))

        held = measure("activities_held")
        assert (held.value, held.ok, round(held.fraction, 3)) == (4, False, 0.667) and "4 次 / 要求不少于 6 次" in held.text
        attendance = measure("attendance_rate")
        assert (attendance.value, attendance.ok) == (85.0, False) and "17 / 20" in attendance.text
        money = measure("funding_ratio")
        assert (money.value, money.ok, money.fraction) == (8.0, False, 0.8)   # only 校本研修 lines count in Yuyao
        assert "已支出 4000.0 元" in money.text and "不低于 10.0%" in money.text
        from app.inspections.metrics import suggested_score

        assert suggested_score(by_metric["funding_ratio"], money) == Decimal("8.0")
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InspectionCampaign)) == 0
