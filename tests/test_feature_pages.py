"""Every page of 学期检查, 整改 and 后台任务 renders for the people who use it, on the demo data, in
Chinese and in English; task pages of every open step render their forms."""

from __future__ import annotations

from sqlalchemy import select

from app.cli import demo_command
from app.extensions import db
from app.models import (
    HumanTask,
    Inspection,
    InspectionCampaign,
    RectificationOrder,
    ScoreSheetTemplate,
    TaskStatus,
)


def test_feature_pages_render_for_their_users(app, make_browser):
    assert app.test_cli_runner().invoke(demo_command, ["--no-serve"]).exit_code == 0
    with app.app_context():
        campaign = db.session.scalars(select(InspectionCampaign)).one().id
        inspections = list(db.session.scalars(select(Inspection.id)))
        order = db.session.scalars(select(RectificationOrder)).one().id
        template = db.session.scalars(select(ScoreSheetTemplate.id)).first()
        tasks = [(t.id, t.role, t.org_id) for t in db.session.scalars(select(HumanTask).where(
            HumanTask.status == TaskStatus.OPEN))]
    pages = {
        "city": ["/inspections", f"/inspections/campaigns/{campaign}", f"/inspections/{inspections[0]}",
                 "/inspections/campaigns/new", "/inspections/templates", f"/inspections/templates/{template}",
                 f"/inspections/templates/{template}/edit", "/rectification", "/rectification/ledger",
                 f"/rectification/{order}", f"/rectification/{order}/notice"],
        "inspector": [f"/inspections/{inspections[0]}", "/rectification", f"/rectification/{order}"],
        "s1_admin": ["/inspections", f"/inspections/{inspections[0]}"],
        "s2_principal": ["/rectification", f"/rectification/{order}", f"/rectification/{order}/notice"],
        "admin": ["/admin/jobs"],
    }
    for username, urls in pages.items():
        browser = make_browser(username)
        for lang in ("zh_CN", "en"):
            browser.post("/language", data={"lang": lang})
            for url in urls:
                r = browser.get(url)
                assert r.status_code == 200, (username, lang, url, r.status_code)
    # Every open step's task page renders for someone who may act on it.
    from app.models import RoleAssignment, User

    with app.app_context():
        actors = [(task_id, db.session.scalars(select(User.username).join(RoleAssignment).where(
            RoleAssignment.role == role, RoleAssignment.org_id == org_id)).first()) for task_id, role, org_id in tasks]
    # Requests run outside the app context above: a shared context would share Flask-Login's user.
    for task_id, username in actors:
        r = make_browser(username).get(f"/tasks/{task_id}")
        assert r.status_code == 200 and 'id="task-form"' in r.get_data(as_text=True), (task_id, username)
