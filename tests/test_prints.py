"""Printable 申报书, 研修计划 and 检查报告: the record with every approval opinion, for the people who may see
the record, and 404 for another school."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Inspection,
    InspectionCampaign,
    InspectionKind,
    InspectionStatus,
    OrgUnit,
    PlannedActivity,
    PlanStatus,
    ResearchPlan,
    ScoreSheetTemplate,
    Term,
    User,
)
from tests.helpers import open_task, start_application, valid_application


def _decide(browser, task_id, decision, comment=""):
    return browser.post(f"/tasks/{task_id}", data={"decision": decision, "comment": comment, "action": "submit"})


def test_application_prints_with_the_opinion_of_each_step(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    assert drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app)).status_code == 302
    principal = make_browser("s1_principal")
    assert _decide(principal, open_task(app, pid).id, "approve", "同意申报，经费由学校保障").status_code == 302

    page = drafter.get(f"/projects/{pid}/print")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "校本研修项目申报书" in html and "基于课堂观察的青年教师成长研究" in html and "余姚市阳明小学" in html
    assert "同意申报，经费由学校保障" in html and "阳明小学校长" in html      # the principal's opinion and name
    assert "data-print" in html and "print.css" in html and "onclick" not in html
    # The township above sees it too; another school does not, and an unknown id is 404.
    assert make_browser("town1").get(f"/projects/{pid}/print").status_code == 200
    assert make_browser("s3_admin").get(f"/projects/{pid}/print").status_code == 404
    assert make_browser("town2").get(f"/projects/{pid}/print").status_code == 404
    assert drafter.get("/projects/99999/print").status_code == 404
    # The record page offers the print.
    assert f"/projects/{pid}/print" in drafter.get(f"/instances/{open_task(app, pid).instance_id}").get_data(as_text=True)


def _plan(app, world) -> int:
    with app.app_context():
        term = db.session.scalars(select(Term).order_by(Term.start_date)).first()
        plan = ResearchPlan(school_id=world.orgs["YY-S2"], term_id=term.id, status=PlanStatus.APPROVED, version_no=1,
                            goals="提升青年教师的课堂观察能力", created_by_id=world.users["s2_admin"])
        plan.activities = [PlannedActivity(seq=1, key="a1", planned_date=date(2026, 3, 3), form="讲座",
                                           topic="课堂观察量表的使用", presenter="李华", hours=Decimal("2"))]
        db.session.add(plan)
        db.session.commit()
        return plan.id


def test_plan_prints_for_its_school_and_is_hidden_from_another(app, world, make_browser):
    plan_id = _plan(app, world)
    page = make_browser("s2_principal").get(f"/plans/{plan_id}/print")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2025学年第二学期校本研修计划" in html and "课堂观察量表的使用" in html and "第 1 版" in html
    assert make_browser("city").get(f"/plans/{plan_id}/print").status_code == 200
    assert make_browser("s1_principal").get(f"/plans/{plan_id}/print").status_code == 404
    assert make_browser("town2").get(f"/plans/{plan_id}/print").status_code == 404


def _inspection(app, world, status: InspectionStatus) -> int:
    with app.app_context():
        region = db.session.get(OrgUnit, world.orgs["YY"])
        term = db.session.scalars(select(Term).order_by(Term.start_date)).first()
        template = ScoreSheetTemplate(region_id=region.id, code="t", name="期末检查表", kind=InspectionKind.TERM_END)
        db.session.add(template)
        db.session.flush()
        campaign = InspectionCampaign(region_id=region.id, org_id=world.orgs["YY-C"], term_id=term.id,
                                      kind=InspectionKind.TERM_END, title="2025学年第二学期校本研修专项检查",
                                      template_id=template.id, onsite_start=date(2026, 6, 1),
                                      onsite_end=date(2026, 6, 5), report_due=date(2026, 6, 20),
                                      created_by_id=db.session.scalars(select(User.id).where(User.username == "inspector")).one())
        db.session.add(campaign)
        db.session.flush()
        inspection = Inspection(campaign_id=campaign.id, school_id=world.orgs["YY-S3"], status=status,
                                total_score=Decimal("91.5"), grade="优秀", report_problems="教研组活动记录不完整")
        db.session.add(inspection)
        db.session.commit()
        return inspection.id


def test_inspection_report_prints_once_published_for_the_school(app, world, make_browser):
    inspection_id = _inspection(app, world, InspectionStatus.PUBLISHED)
    page = make_browser("s3_principal").get(f"/inspections/{inspection_id}/report/print")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "检查报告" in html and "教研组活动记录不完整" in html and "91.5" in html and "优秀" in html
    assert make_browser("s1_principal").get(f"/inspections/{inspection_id}/report/print").status_code == 404
    assert make_browser("city").get(f"/inspections/{inspection_id}/report/print").status_code == 200


def test_unpublished_report_prints_for_staff_only(app, world, make_browser):
    inspection_id = _inspection(app, world, InspectionStatus.APPROVING)
    assert make_browser("s3_principal").get(f"/inspections/{inspection_id}/report/print").status_code == 404
    assert make_browser("city").get(f"/inspections/{inspection_id}/report/print").status_code == 200
