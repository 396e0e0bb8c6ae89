"""Property-based tests of the plan form: no input gives a 500 or a partial write."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from tests.test_properties import SETTINGS, field_text

PLAN_ROW_FIELDS = ["planned_date", "period", "alt_date", "way", "topic", "presenter", "target_group", "hours", "mode"]


def _plan_state(app, plan_id):
    from app.models import ResearchPlan

    with app.app_context():
        plan = db.session.get(ResearchPlan, plan_id)
        state = (plan.status, plan.goals, plan.declared_funds,
                 [(a.planned_date, a.topic, a.hours) for a in plan.activities],
                 [(b.category, b.amount) for b in plan.budget_lines])
        db.session.remove()
        return state


@SETTINGS
@given(rows=st.lists(st.dictionaries(st.sampled_from(PLAN_ROW_FIELDS), field_text, max_size=5), min_size=1,
                     max_size=4),
       extra=st.dictionaries(st.sampled_from(["goals", "declared_funds", "budget_lines-0-amount",
                                              "budget_lines-0-category", "activities-9-topic"]), field_text, max_size=3),
       action=st.sampled_from(["save", "submit"]))
def test_plan_form_refuses_bad_input_without_writing(app, regions, make_browser, rows, extra, action):
    from tests.planning.helpers import open_task_of, plan_form, plan_of, term_id

    term = term_id(regions, "YY")
    if plan_of(app, regions.orgs["YY-S1"], term) is None:
        assert make_browser("admin").post("/plans/open", data={"term_id": str(term)}).status_code == 200
    plan = plan_of(app, regions.orgs["YY-S1"], term)
    task = open_task_of(app, plan.instance_id)
    if task is None or task.role != "school_admin":
        return  # an earlier example was valid and submitted the plan: nothing left to draft
    before = _plan_state(app, plan.id)
    r = make_browser("s1_admin").post(f"/tasks/{task.id}", data=plan_form(rows, action=action, **extra))
    assert r.status_code in (302, 400, 409, 422)
    if r.status_code != 302:
        assert _plan_state(app, plan.id) == before
