"""Helpers shared by the HTTP-level tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ProjectApplication, TaskStatus, Term


def valid_application(app, **overrides) -> dict:
    """Form data for a complete, valid 申报书."""
    with app.app_context():
        terms = list(db.session.scalars(select(Term).order_by(Term.start_date)))
    data = {
        "title": "基于课堂观察的青年教师成长研究",
        "domain": "教师发展",
        "modules": ["教学基本功与技能提升", "课程开发与实施"],
        "forms": ["同伴互助", "专家引领"],
        "problem": "青年教师课堂组织能力不足，缺少系统的观课议课机制。",
        "goals": "一学年内青年教师完成 20 次观课议课，形成课例 10 篇。",
        "target_group": "青年教师",
        "start_term_id": str(terms[1].id),
        "end_term_id": str(terms[2].id),
        "leader": "张敏",
        "team": "李华 语文教研组长\n王强 数学教师",
        "planned_hours": "36",
        "budget": "12000.00",
        "expected_outcomes": "课例集一册；校本研修报告一份。",
        "action": "submit",
    }
    data.update(overrides)
    return data


def open_task(app, project_id: int) -> HumanTask | None:
    with app.app_context():
        project = db.session.get(ProjectApplication, project_id)
        task = db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == project.instance_id, HumanTask.status == TaskStatus.OPEN)).first()
        db.session.expunge_all()
        return task


def project(app, project_id: int) -> ProjectApplication:
    with app.app_context():
        p = db.session.get(ProjectApplication, project_id)
        db.session.expunge_all()
        return p


def start_application(app, browser, school_id: int) -> int:
    """Create an application as ``browser`` (a logged-in school admin); return the project id."""
    response = browser.post("/projects/new", data={"school_id": str(school_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        return db.session.scalars(select(ProjectApplication.id).order_by(ProjectApplication.id.desc())).first()


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages rendered beside one field."""
    match = re.search(rf'<ul class="errors" id="{field_id}-errors">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []
