"""Demo data for 评优: a 优秀示范学校 round approved by the leader and open for applications, with one
school's application and one township's ranked nomination. Runs through the real services."""

from __future__ import annotations

from sqlalchemy import select

from app.demo import create_user
from app.excellence import services
from app.extensions import db
from app.inspections import sheets
from app.models import HumanTask, OrgUnit, Role, RoundType, SelectionRound, TaskStatus, User
from app.models.base import utcnow
from app.processes.registry import Completion
from app.processes.runtime import complete_task
from app.workdays.moments import add_working_days, local_today


def seed_excellence_demo() -> int:
    """Create the demo round unless a round exists. Returns the number of rounds created."""
    if db.session.scalars(select(SelectionRound.id).limit(1)).first() is not None:
        return 0
    orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    users = {u.username: u for u in db.session.scalars(select(User))}
    if "YY" not in orgs or "city" not in users:
        return 0
    region = orgs["YY"].id
    if "expert2" not in users:   # a second expert, from 阳明街道: never assigned to 阳明 schools (回避)
        users["expert2"] = create_user("expert2", "孙专家", [(Role.EXPERT, orgs["YY-T1"])])
        db.session.flush()
    templates = sheets.install_builtin(region, users["city"]) or services.score_templates(region)
    today = local_today(utcnow())
    proposal = services.propose_round(region, RoundType.MODEL_SCHOOL, today)
    round_ = services.create_round(users["city"], orgs["YY-C"], services.RoundInput(
        type=RoundType.MODEL_SCHOOL, title=f"{proposal['cycle_label']}校本研修优秀示范学校评定", level="city",
        cycle_label=proposal["cycle_label"], quota_count=2, quota_ratio=None, township_quota=2, reserve_count=1,
        rules=["no_overdue_rectification", "no_ethics_veto"], template_id=templates[0].id,
        aggregation="trimmed_mean", apply_start=today, apply_end=add_working_days(region, today, 10),
        review_due=add_working_days(region, today, 20), notice_working_days=proposal["notice_working_days"],
        remind_working_days=2, recommend_count=1, award_valid_years=3,
        expert_ids=[users["expert"].id, users["expert2"].id]))
    services.submit_round(users["city"], round_)
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == round_.instance_id,
                                                      HumanTask.status == TaskStatus.OPEN)).one()
    complete_task(task.id, actor=users["director"],
                  apply=lambda t, r: Completion({"round_decision": "approve"}, "approve", "同意开展评定"))
    services.nominate(users["s1_admin"], round_, services.NominationInput(
        orgs["YY-S1"].id, None, [], "以“课例研究”为主线，三年形成校本研修课程 6 门，青年教师获市级优质课一等奖 3 人。", None))
    services.nominate(users["town2"], round_, services.NominationInput(
        orgs["YY-S4"].id, None, [], "“双减”作业设计校本研修成效显著，经验在全市现场会交流。", 1))
    return 1
