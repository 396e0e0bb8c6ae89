"""The policy checks and credit rules on their own, with each seed profile's values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.credits.rules import AttendanceFact, activity_credits, declared_credit, hours_to_credits
from app.plans.checks import ActivityLine, BudgetItem, PlanFacts, blocking, check_plan, warnings
from app.policy.profiles import all_profiles, get_profile
from app.policy.schema import SETTINGS, Policy, validate_values

TERM = (date(2026, 9, 1), date(2027, 1, 29))


def policy(key: str, **overrides) -> Policy:
    return Policy.of({**get_profile(key).values, **overrides})


def facts(activities, budget=(), funds="100000") -> PlanFacts:
    return PlanFacts(TERM[0], TERM[1], list(activities), list(budget), Decimal(funds) if funds else None)


def wednesdays(n):
    return [ActivityLine(i + 1, date(2026, 9, 2) + timedelta(weeks=i), None) for i in range(n)]


def by_rule(findings):
    return {f.rule: f.status for f in findings if f.row is None}


def test_every_profile_is_valid_and_every_value_says_where_it_comes_from():
    profiles = all_profiles()
    assert set(profiles) == {"default", "yuyao", "county", "putuo", "yueqing", "qingliu"}
    for profile in profiles.values():
        assert validate_values(profile.values) == {}, profile.key
        assert set(profile.provenance) == set(SETTINGS), profile.key
        for key, source in profile.provenance.items():
            assert source["kind"] in ("seed", "default"), (profile.key, key)
            if source["kind"] == "seed":
                assert source["seed"] and source["citation"] and source["where"] and source["quote"], (profile.key, key)
    yuyao = profiles["yuyao"]
    assert yuyao.values["plan.min_activities"] == 6
    assert yuyao.provenance["plan.min_activities"]["seed"] == "000_6054d297ef0b4983.txt"
    assert "6次以上" in yuyao.provenance["plan.min_activities"]["quote"]
    assert yuyao.provenance["credit.cycle_min"]["kind"] == "default"
    county = profiles["county"]
    assert county.values["schedule.fixed_slots"] == [{"weekday": 2, "period": 3}, {"weekday": 4, "period": 3}]
    assert county.values["funding.base"] == "public_funds_budget" and county.values["funding.min_ratio"] == "5"
    assert county.provenance["funding.min_ratio"]["seed"] == "001_4da205eeb8a86eb8.txt"
    assert {p.values["terminology.research_label"] for p in profiles.values()} == {
        "校本研修", "校本培训", "校本研训", "校本教研"}


def test_yuyao_requires_six_activities_and_cites_the_article():
    sources = {"plan.min_activities": "余教〔2020〕14号 五、组织实施 第1条"}
    five = check_plan(facts(wednesdays(5), [BudgetItem(1, "专家讲课费", "school_based", Decimal("10000"))]),
                      policy("yuyao"), sources)
    assert by_rule(five)["min_activities"] == "block"
    message = next(f.message for f in five if f.rule == "min_activities")
    assert "5 次" in message and "至少 6 次" in message and "余教〔2020〕14号" in message and "还需增加 1 次" in message
    six = check_plan(facts(wednesdays(6), [BudgetItem(1, "专家讲课费", "school_based", Decimal("10000"))]),
                     policy("yuyao"), sources)
    assert blocking(six) == [] and by_rule(six) == {"min_activities": "pass", "funding_ratio": "pass"}


def test_a_warning_mode_lets_the_plan_through_with_a_note():
    found = check_plan(facts(wednesdays(5), [BudgetItem(1, "资料费", "school_based", Decimal("10000"))]),
                       policy("yuyao", **{"plan.min_activities_mode": "warn"}), {})
    assert blocking(found) == [] and [f.rule for f in warnings(found)] == ["min_activities"]


@pytest.mark.parametrize(("amount", "status"), [("5000", "pass"), ("4000", "block"), ("4999.99", "block")])
def test_county_funding_is_five_percent_of_the_budget_total(amount, status):
    budget = [BudgetItem(1, "资料费", "school_based", Decimal(amount))]
    slots = [ActivityLine(1, date(2026, 9, 8), 3, date(2026, 9, 10))]
    found = check_plan(facts(slots, budget, funds="100000"), policy("county"), {})
    assert by_rule(found)["funding_ratio"] == status
    if status == "block":
        message = next(f.message for f in found if f.rule == "funding_ratio")
        assert "年度公用经费预算总额" in message and "低于区域政策要求的 5%" in message


def test_funding_scope_decides_whether_attending_higher_training_counts():
    budget = [BudgetItem(1, "资料费", "school_based", Decimal("3000")),
              BudgetItem(2, "差旅费", "other_training", Decimal("3000"))]
    # County: all training counts, 6% of 100,000.
    county = check_plan(facts([ActivityLine(1, date(2026, 9, 8), 3, date(2026, 9, 10))], budget), policy("county"), {})
    assert by_rule(county)["funding_ratio"] == "pass"
    # Yuyao: 校本研修 only, so 3% of the 年度公用经费总额 is below 10%.
    yuyao = check_plan(facts(wednesdays(6), budget), policy("yuyao"), {})
    assert by_rule(yuyao)["funding_ratio"] == "block"
    assert "3000 元" in next(f.message for f in yuyao if f.rule == "funding_ratio")


def test_county_slots_tuesday_and_thursday_period_three_same_content():
    good = ActivityLine(1, date(2026, 9, 8), 3, date(2026, 9, 10))          # Tue + Thu of one week
    wrong_day = ActivityLine(2, date(2026, 9, 9), 3, date(2026, 9, 10))     # Wednesday
    wrong_period = ActivityLine(3, date(2026, 9, 15), 4, date(2026, 9, 17))
    no_second = ActivityLine(4, date(2026, 9, 22), 3, None)
    other_week = ActivityLine(5, date(2026, 9, 29), 3, date(2026, 10, 8))
    budget = [BudgetItem(1, "资料费", "school_based", Decimal("5000"))]
    found = check_plan(facts([good, wrong_day, wrong_period, no_second, other_week], budget), policy("county"), {})
    rows = {(f.row, f.field) for f in found if f.rule == "fixed_slots"}
    assert rows == {(2, "planned_date"), (3, "period"), (4, "alt_date"), (5, "alt_date")}
    message = next(f.message for f in found if f.row == 2)
    assert "周三" in message and "周二第 3 节、周四第 3 节" in message
    assert all(f.status == "block" for f in found if f.rule == "fixed_slots")


def test_county_allows_only_its_four_expense_categories():
    budget = [BudgetItem(1, "资料费", "school_based", Decimal("4000")),
              BudgetItem(2, "专家讲课费", "school_based", Decimal("2000"))]
    found = check_plan(facts([ActivityLine(1, date(2026, 9, 8), 3, date(2026, 9, 10))], budget), policy("county"), {})
    bad = [f for f in found if f.rule == "expense_categories"]
    assert [(f.row, f.field) for f in bad] == [(2, "category")]
    assert "专家讲课费" in bad[0].message and "差旅费" in bad[0].message


def test_dates_outside_the_term_are_always_refused():
    found = check_plan(facts([ActivityLine(1, date(2027, 3, 1), None)]), policy("putuo"), {})
    assert [(f.rule, f.status, f.field) for f in found] == [("term_dates", "block", "planned_date")]


def test_putuo_and_qingliu_set_no_count_or_funding_rule():
    for key in ("putuo", "qingliu", "yueqing"):
        assert check_plan(facts(wednesdays(1), funds=None), policy(key), {}) == []


# -- credits -----------------------------------------------------------------------------------

def fact(teacher, activity, hours, mode="集中", status="present", day=1):
    return AttendanceFact(teacher, activity, f"活动{activity}", date(2026, 9, day), Decimal(hours), mode, status)


def test_hours_convert_by_mode_six_concentrated_eight_distributed():
    p = policy("yuyao")
    assert hours_to_credits(Decimal("3"), "集中", p) == Decimal("0.50")
    assert hours_to_credits(Decimal("4"), "非集中", p) == Decimal("0.50")
    assert hours_to_credits(Decimal("2"), "集中", p) == Decimal("0.33")


def test_only_counted_attendance_earns_credits():
    lines = activity_credits([fact(1, 1, 6, status=s) for s in ("present", "late", "leave", "absent", "self_study")],
                             policy("yuyao"), {})
    assert len(lines) == 3 and all(line.credits == Decimal("1.00") for line in lines)


def test_the_annual_activity_cap_applies_including_earlier_batches():
    p = policy("yuyao", **{"credit.activity_annual_cap": "3"})
    lines = activity_credits([fact(1, a, 6, day=a) for a in range(1, 4)] + [fact(2, 1, 6)], p, {1: Decimal("1.5")})
    teacher1 = [line for line in lines if line.teacher_id == 1]
    assert [line.credits for line in teacher1] == [Decimal("1.00"), Decimal("0.50"), Decimal("0")]
    assert teacher1[1].cap_note and "年度上限 3" in teacher1[1].cap_note
    assert [line.raw for line in teacher1] == [Decimal("1.00")] * 3
    assert [line.credits for line in lines if line.teacher_id == 2] == [Decimal("1.00")]


def test_declared_items_respect_their_own_cap():
    item = policy("yuyao").credit_item("open_lesson")
    assert item is not None and item.annual_cap == Decimal("3")
    assert declared_credit(item, Decimal("0")) == (Decimal("1"), "")
    credits, note = declared_credit(item, Decimal("2.5"))
    assert credits == Decimal("0.5") and "上限" in note
    with pytest.raises(ValueError):
        declared_credit(item, Decimal("3"))


def test_credit_cycles_follow_the_profile():
    yuyao = policy("yuyao")
    assert yuyao.cycle_of(2026) == (2022, 2026) and yuyao.cycle_of(2027) == (2027, 2031)
    assert yuyao.cycle_min == Decimal("360") and yuyao.annual_min == Decimal("24")
    putuo = policy("putuo")
    assert putuo.cycle_min == Decimal("36") and putuo.annual_min is None and putuo.cycle_of(2026) == (2026, 2030)
