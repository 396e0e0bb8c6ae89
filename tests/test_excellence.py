"""评优: quotas, eligibility, conflict of interest, every expert must submit, objections and reserves,
and the 公示 period in working days — driven through the services and the real process, with the
clock moved and the durable timers run by the worker."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.demo import create_user
from app.errors import Conflict, Forbidden
from app.excellence import services
from app.excellence.services import NominationInput, RoundInput
from app.extensions import db
from app.inspections.sheets import install_builtin
from app.jobs.services import run_due_jobs
from app.models import (
    Award,
    ExpertAssignment,
    HumanTask,
    Nomination,
    NominationStatus,
    ObjectionDecision,
    OrderStatus,
    OrgUnit,
    Outcome,
    RectificationOrder,
    Role,
    RoundStatus,
    RoundType,
    SelectionRound,
    TaskStatus,
    User,
)
from app.processes.registry import Completion
from app.processes.runtime import complete_task
from app.workdays.calendar import LOCAL_ZONE
from tests.conftest import FAST_HASH


def local(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_ZONE)


@pytest.fixture
def clock():
    with use_clock(FrozenClock(local(date(2026, 3, 2)))) as c:
        yield c


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def org(code: str) -> OrgUnit:
    return db.session.scalars(select(OrgUnit).where(OrgUnit.code == code)).one()


def add_experts() -> None:
    """Panel: 李专家 at the centre, one expert at 阳明小学 (township T1), one at 梨洲街道教辅室 (T2)."""
    create_user("exp_s1", "阳明小学专家", [(Role.EXPERT, org("YY-S1"))], password_method=FAST_HASH)
    create_user("exp_t2", "梨洲教辅室专家", [(Role.EXPERT, org("YY-T2"))], password_method=FAST_HASH)
    db.session.flush()


def round_input(start: date, *, type_=RoundType.ADVANCED_UNIT, quota_count=None, quota_ratio=None,
                rules=("no_overdue_rectification",), experts=("expert", "exp_s1", "exp_t2"), reserve_count=1,
                aggregation="mean") -> RoundInput:
    region = org("YY").id
    template = services.score_templates(region)[0]
    if quota_count is None and quota_ratio is None:
        quota_count = 2
    return RoundInput(type=type_, title="2026学年校本研修先进单位评选", level="county", cycle_label="2026–2027学年",
                      quota_count=quota_count, quota_ratio=quota_ratio, township_quota=None,
                      reserve_count=reserve_count, rules=list(rules), template_id=template.id,
                      aggregation=aggregation, apply_start=start, apply_end=start + timedelta(days=4),
                      review_due=start + timedelta(days=18), notice_working_days=5, remind_working_days=2,
                      recommend_count=1, award_valid_years=3, expert_ids=[user(u).id for u in experts])


def open_row(round_: SelectionRound, bpmn_id: str, assignee: User | None = None) -> HumanTask | None:
    stmt = select(HumanTask).where(HumanTask.instance_id == round_.instance_id, HumanTask.bpmn_id == bpmn_id,
                                   HumanTask.status == TaskStatus.OPEN)
    if assignee is not None:
        stmt = stmt.where(HumanTask.assignee_id == assignee.id)
    return db.session.scalars(stmt).first()


def decide(round_: SelectionRound, bpmn_id: str, username: str, data: dict | None = None) -> None:
    row = open_row(round_, bpmn_id)
    assert row is not None, f"{bpmn_id} is not open"
    complete_task(row.id, actor=user(username), apply=lambda t, r: Completion(data or {}, "approve"))
    db.session.commit()


def work() -> list[str]:
    outcomes = [o.result for o in run_due_jobs("test-worker")]
    db.session.expire_all()
    return outcomes


def start_round(clock, start: date, schools=("YY-S1", "YY-S3", "YY-S4"), **kwargs) -> SelectionRound:
    """Set up, approve and open a round on ``start``; each school's admin applies."""
    clock.set(local(start))
    install_builtin(org("YY").id)
    add_experts()
    round_ = services.create_round(user("city"), org("YY-C"), round_input(start, **kwargs))
    services.submit_round(user("city"), round_)
    db.session.commit()
    assert round_.status == RoundStatus.APPROVING
    decide(round_, "Task_approve_round", "director", {"round_decision": "approve"})
    assert round_.status == RoundStatus.OPEN
    for code in schools:
        school = org(code)
        services.nominate(user(f"s{code[-1]}_admin"), round_,
                          NominationInput(school.id, None, [], f"{school.name}的校本研修做法与成效", None))
    db.session.commit()
    return round_


def close_window_and_check(clock, round_: SelectionRound) -> None:
    clock.set(local(round_.apply_end + timedelta(days=1), 0) + timedelta(seconds=1))
    assert "done" in work()
    assert round_.status == RoundStatus.CHECKING
    for nomination in round_.nominations:
        if nomination.status == NominationStatus.SUBMITTED:
            services.check_nomination(user("city"), nomination, complete=True, note="")
    db.session.commit()
    decide(round_, "Task_check", "city")
    assert round_.status == RoundStatus.REVIEWING


def score_all(round_: SelectionRound, expert: str, points: dict[str, Decimal], *, submit: bool = True) -> None:
    """The expert gives every leaf item a share of its maximum: ``points[school code]`` (0–1)."""
    me = user(expert)
    items = services.leaves(round_)
    scores = {a.id: {i.id: (i.max_points * points[a.nomination.school.code]).quantize(Decimal("0.1"))
                     for i in items}
              for a in services.assignments_of(round_, me)}
    if submit:
        row = open_row(round_, "Task_score", me)
        complete_task(row.id, actor=me, apply=lambda t, r: (
            services.save_scores(me, r, scores, {}, submitting=True), Completion({}, "submit"))[1])
    else:
        services.save_scores(me, round_, scores, {}, submitting=False)
    db.session.commit()


def test_quota_by_count_and_by_ratio(app, world, clock):
    with app.app_context():
        install_builtin(org("YY").id)
        add_experts()
        by_count = services.create_round(user("city"), org("YY-C"), round_input(date(2026, 3, 2), quota_count=10))
        by_ratio = services.create_round(user("city"), org("YY-C"), round_input(date(2026, 3, 2), quota_ratio=Decimal(30)))
        assert [services.award_quota(by_count, n) for n in (12, 10, 4, 0)] == [10, 10, 4, 0]
        # 30% of the pool, rounded down, at least one: 10 → 3, 7 → 2, 2 → 1
        assert [services.award_quota(by_ratio, n) for n in (10, 7, 2, 0)] == [3, 2, 1, 0]

        # Ranked on real scores: 30% of 7 passed topics are awarded, one reserve follows, ties share a rank.
        schools = [o for o in db.session.scalars(select(OrgUnit).order_by(OrgUnit.id)) if o.code.startswith("YY-S")]
        totals = [Decimal(v) for v in ("90", "85", "85", "70", "60", "50", "40")]
        expert = user("expert")
        for index, total in enumerate(totals):
            n = Nomination(round=by_ratio, school_id=schools[index % len(schools)].id, project_id=None,
                           nominating_org_id=schools[0].id, summary="x", status=NominationStatus.PASSED,
                           submitted_by_id=expert.id)
            db.session.add(n)
            db.session.flush()
            db.session.add(ExpertAssignment(round_id=by_ratio.id, nomination_id=n.id, expert_id=expert.id,
                                            total=total, submitted_at=datetime.now(UTC)))
        db.session.flush()
        ranked = services.rank(by_ratio)
        assert [n.final_rank for n in ranked] == [1, 2, 2, 4, 5, 6, 7]
        assert [n.tied for n in ranked[:4]] == [False, True, True, False]
        assert [n.outcome for n in ranked] == [Outcome.AWARDED, Outcome.AWARDED, Outcome.RESERVE] + \
            [Outcome.NOT_AWARDED] * 4

        # The policy proposes the quota: 10 先进单位 per 学年, 30% of the topics.
        region = org("YY").id
        assert services.propose_round(region, RoundType.ADVANCED_UNIT, date(2026, 9, 10))["quota_count"] == 10
        assert services.propose_round(region, RoundType.EXCELLENT_TOPIC, date(2026, 9, 10))["quota_ratio"] == 30
        premium = services.propose_round(region, RoundType.PREMIUM_PROJECT, date(2026, 9, 10))
        assert premium["cycle_label"] == "2026–2028"


def test_an_ineligible_nominee_with_overdue_rectification_is_refused_with_the_reason(app, world, clock):
    with app.app_context():
        round_ = start_round(clock, date(2026, 3, 2))
        s3 = org("YY-S3")
        db.session.add(RectificationOrder(school_id=s3.id, issuing_org_id=org("YY-C").id, drafted_by_id=user("inspector").id,
                                          title="阳明小学整改", doc_number="余研训整改〔2026〕7号",
                                          status=OrderStatus.IN_PROGRESS, overdue=True))
        db.session.commit()
        by_school = {n.school.code: n for n in round_.nominations}
        services.check_nomination(user("city"), by_school["YY-S3"], complete=True, note="")
        services.check_nomination(user("city"), by_school["YY-S1"], complete=True, note="")
        db.session.commit()
        refused = by_school["YY-S3"]
        assert refused.status == NominationStatus.REJECTED
        assert [f["code"] for f in refused.failed_rules] == ["no_overdue_rectification"]
        assert "逾期" in refused.failed_rules[0]["message"] and "余研训整改〔2026〕7号" in refused.failed_rules[0]["message"]
        assert by_school["YY-S1"].status == NominationStatus.PASSED

        # Closed once done: the same school is eligible again.
        order = db.session.scalars(select(RectificationOrder)).one()
        order.status, order.overdue = OrderStatus.CLOSED, False
        services.check_nomination(user("city"), by_school["YY-S4"], complete=False, note="缺少活动照片")
        db.session.commit()
        assert by_school["YY-S4"].status == NominationStatus.RETURNED   # incomplete: back within the window
        services.resubmit(user("s4_admin"), by_school["YY-S4"],
                          NominationInput(org("YY-S4").id, None, [], "补充了活动照片", None))
        db.session.commit()
        assert (by_school["YY-S4"].status, by_school["YY-S4"].summary) == (NominationStatus.SUBMITTED, "补充了活动照片")
        with pytest.raises(Conflict):   # only a returned one can be resubmitted
            services.resubmit(user("s4_admin"), by_school["YY-S4"],
                              NominationInput(org("YY-S4").id, None, [], "再改", None))


def test_conflict_of_interest_never_assigns_an_expert_to_their_own_school_or_township(app, world, clock):
    with app.app_context():
        round_ = start_round(clock, date(2026, 3, 2), schools=("YY-S1", "YY-S2", "YY-S3"))
        close_window_and_check(clock, round_)
        pairs = {(a.nomination.school.code, a.expert.username)
                 for a in db.session.scalars(select(ExpertAssignment))}
        # exp_s1 sits in 阳明小学 (township T1: S1, S2); exp_t2 in the T2 教辅室 (S3).
        assert pairs == {("YY-S1", "expert"), ("YY-S1", "exp_t2"), ("YY-S2", "expert"), ("YY-S2", "exp_t2"),
                         ("YY-S3", "expert"), ("YY-S3", "exp_s1")}
        # One 专家评分 row per expert, assigned to that expert.
        rows = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Task_score")).all()
        assert sorted(user_.username for user_ in (db.session.get(User, r.assignee_id) for r in rows)) == \
            ["exp_s1", "exp_t2", "expert"]

        # Re-checked when scoring: an expert who moved to the nominee's township may not score it.
        exp_s1 = user("exp_s1")
        exp_s1.roles[0].org_id = org("YY-S3").id
        db.session.flush()
        db.session.expire(exp_s1)
        with pytest.raises(Forbidden):
            score_all(round_, "exp_s1", {"YY-S3": Decimal("0.8")}, submit=False)


def test_the_review_cannot_close_until_every_expert_has_submitted(app, world, clock):
    with app.app_context():
        round_ = start_round(clock, date(2026, 3, 2), quota_count=1)
        close_window_and_check(clock, round_)
        marks = {"YY-S1": Decimal("0.9"), "YY-S3": Decimal("0.7"), "YY-S4": Decimal("0.5")}
        score_all(round_, "expert", marks)
        score_all(round_, "exp_s1", marks)
        assert round_.status == RoundStatus.REVIEWING
        assert open_row(round_, "Task_confirm") is None
        assert open_row(round_, "Task_score", user("exp_t2")) is not None
        # Others' scores stay hidden until the review closes; submitted scores are locked.
        assert not services.scores_visible_to(user("city"), round_)
        assert not services.scores_visible_to(user("expert"), round_)
        with pytest.raises(Conflict):
            score_all(round_, "expert", marks, submit=False)
        # The reminder job reminds only the expert who has not submitted.
        clock.set(local(date(2026, 3, 18), 8) + timedelta(seconds=1))
        assert work() == ["done"]
        reminded = db.session.execute(select(HumanTask.assignee_id).where(HumanTask.bpmn_id == "Task_score",
                                                                          HumanTask.status == TaskStatus.OPEN)).all()
        assert [r[0] for r in reminded] == [user("exp_t2").id]

        score_all(round_, "exp_t2", {"YY-S1": Decimal("0.9")})
        assert round_.status == RoundStatus.CONFIRMING
        assert open_row(round_, "Task_confirm") is not None
        assert services.scores_visible_to(user("city"), round_)
        ranked = services.ranking(round_)
        assert [n.school.code for n in ranked] == ["YY-S1", "YY-S3", "YY-S4"]
        assert [n.outcome for n in ranked] == [Outcome.AWARDED, Outcome.RESERVE, Outcome.NOT_AWARDED]


def run_to_notice(clock, start: date) -> SelectionRound:
    round_ = start_round(clock, start, quota_count=1)
    close_window_and_check(clock, round_)
    marks = {"YY-S1": Decimal("0.9"), "YY-S3": Decimal("0.7"), "YY-S4": Decimal("0.5")}
    for expert in ("expert", "exp_s1", "exp_t2"):
        score_all(round_, expert, marks)
    decide(round_, "Task_confirm", "city")
    decide(round_, "Task_leader", "director", {"list_decision": "approve"})
    assert round_.status == RoundStatus.NOTICE
    return round_


def test_an_upheld_objection_disqualifies_the_nominee_and_promotes_the_reserve(app, world, clock):
    with app.app_context():
        round_ = run_to_notice(clock, date(2026, 3, 2))
        winner, reserve = services.ranking(round_)[:2]
        assert (winner.outcome, reserve.outcome) == (Outcome.AWARDED, Outcome.RESERVE)
        objection = services.lodge_objection(user("s4_teacher"), winner, "该校研修活动记录系补写", "活动签到表日期与课表冲突")
        db.session.commit()
        with pytest.raises(Forbidden):
            services.handle_objection(user("s4_teacher"), objection, ObjectionDecision.UPHELD, "核查属实")
        promoted = services.handle_objection(user("city"), objection, ObjectionDecision.UPHELD, "经核查，异议属实")
        db.session.commit()
        assert promoted is reserve
        assert (winner.outcome, reserve.outcome) == (Outcome.DISQUALIFIED, Outcome.AWARDED)

        clock.set(round_.notice_end + timedelta(seconds=1))
        assert "done" in work()
        assert round_.status == RoundStatus.PUBLISHED
        awards = db.session.scalars(select(Award)).all()
        assert [a.school_id for a in awards] == [reserve.school_id]
        # The applicants heard when the list went on 公示 (those listed) and when the result came out (all).
        from app.models import Notification

        heard = {(n.event, db.session.get(User, n.recipient_id).username) for n in db.session.scalars(
            select(Notification).where(Notification.event.in_(("exc_notice", "exc_result"))))}
        assert heard == {("exc_notice", "s1_admin"), ("exc_notice", "s3_admin"), ("exc_result", "s1_admin"),
                         ("exc_result", "s3_admin"), ("exc_result", "s4_admin")}
        assert reserve.next_level is True and winner.next_level is False
        with pytest.raises(Conflict):   # the 公示 is over
            services.lodge_objection(user("s4_teacher"), reserve, "迟到的异议", "")


def test_the_notice_period_counts_working_days_across_the_national_day_holiday(app, world, clock):
    with app.app_context():
        # Apply 9/14–9/18, review, confirmed and approved on Tue 29 Sep 2026: five working days of 公示 are
        # 9/30, 10/8, 10/9, 10/10 (调休上班) and 10/12 — 1–7 Oct are the National Day holiday.
        round_ = start_round(clock, date(2026, 9, 14), quota_count=1)
        close_window_and_check(clock, round_)
        marks = {"YY-S1": Decimal("0.9"), "YY-S3": Decimal("0.7"), "YY-S4": Decimal("0.5")}
        for expert in ("expert", "exp_s1", "exp_t2"):
            score_all(round_, expert, marks)
        clock.set(local(date(2026, 9, 29), 10))
        decide(round_, "Task_confirm", "city")
        decide(round_, "Task_leader", "director", {"list_decision": "approve"})
        assert round_.notice_end.astimezone(LOCAL_ZONE).date() == date(2026, 10, 12)

        clock.set(local(date(2026, 10, 9), 17))
        assert work() == []
        assert round_.status == RoundStatus.NOTICE
        clock.set(local(date(2026, 10, 13), 0) + timedelta(seconds=1))
        assert work() == ["done"]
        assert round_.status == RoundStatus.PUBLISHED


def test_each_eligibility_rule_reads_the_records_and_says_why(app, world, clock):
    """立项 and 结题, the latest inspection grade, and the 师德 veto on a nominated person."""
    from app.excellence import eligibility
    from app.models import (
        Inspection,
        InspectionCampaign,
        InspectionKind,
        InspectionStatus,
        ProjectApplication,
        ProjectStatus,
        Teacher,
        Term,
    )

    with app.app_context():
        install_builtin(org("YY").id)
        add_experts()
        s1 = org("YY-S1")
        terms = {t.code: t for t in db.session.scalars(select(Term))}
        project = ProjectApplication(school_id=s1.id, title="课例研究", status=ProjectStatus.APPROVED,
                                     start_term_id=terms["2025-2"].id, end_term_id=terms["2026-1"].id,
                                     created_by_id=user("s1_admin").id)
        veto = Teacher(school_id=s1.id, name="张老师", ethics_veto=True, ethics_note="违规有偿补课")
        clean = Teacher(school_id=s1.id, name="王老师")
        db.session.add_all([project, veto, clean])
        db.session.flush()
        nomination = Nomination(round_id=None, school_id=s1.id, project=project, school=s1, teacher_ids=[clean.id],
                                nominating_org_id=s1.id, summary="x", submitted_by_id=user("s1_admin").id)
        rules = list(eligibility.RULES)
        today = date(2026, 12, 1)

        failed = {f["code"]: f["message"] for f in eligibility.evaluate(nomination, rules, today)}
        assert set(failed) == {"project_concluded", "inspection_passed"}
        assert "尚未结题" in failed["project_concluded"] and "没有已发布的学期检查" in failed["inspection_passed"]

        template = services.score_templates(org("YY").id)[0]
        campaign = InspectionCampaign(region_id=org("YY").id, org_id=org("YY-C").id, term_id=terms["2025-2"].id,
                                      kind=InspectionKind.TERM_END, title="专项检查", template_id=template.id,
                                      onsite_start=date(2026, 6, 1), onsite_end=date(2026, 6, 5),
                                      report_due=date(2026, 6, 20), created_by_id=user("city").id)
        db.session.add(campaign)
        db.session.flush()
        db.session.add(Inspection(campaign_id=campaign.id, school_id=s1.id, status=InspectionStatus.PUBLISHED,
                                  grade="不合格", published_at=datetime(2026, 6, 25, tzinfo=UTC)))
        nomination.teacher_ids = [clean.id, veto.id]
        db.session.flush()
        after = date(2027, 2, 1)   # the project's last term has ended: 结题
        failed = {f["code"]: f["message"] for f in eligibility.evaluate(nomination, rules, after)}
        assert set(failed) == {"inspection_passed", "no_ethics_veto"}
        assert "不合格" in failed["inspection_passed"] and "张老师" in failed["no_ethics_veto"]

        # A later inspection graded 合格 counts; the vetoed teacher is no longer named.
        db.session.add(Inspection(campaign_id=_campaign_id(campaign, terms),
                                  school_id=s1.id, status=InspectionStatus.PUBLISHED, grade="合格",
                                  published_at=datetime(2026, 12, 25, tzinfo=UTC)))
        nomination.teacher_ids = [clean.id]
        db.session.flush()
        assert eligibility.evaluate(nomination, rules, after) == []
        db.session.rollback()


def _campaign_id(first, terms) -> int:
    """A second campaign (the unique key is campaign + school)."""
    from app.models import InspectionCampaign, InspectionKind

    second = InspectionCampaign(region_id=first.region_id, org_id=first.org_id, term_id=terms["2026-1"].id,
                                kind=InspectionKind.TERM_END, title="复查", template_id=first.template_id,
                                onsite_start=date(2026, 12, 1), onsite_end=date(2026, 12, 2),
                                report_due=date(2026, 12, 20), created_by_id=first.created_by_id)
    db.session.add(second)
    db.session.flush()
    return second.id


def test_a_township_nominates_within_its_quota_with_distinct_ranks(app, world, clock):
    from app.errors import InvalidInput

    with app.app_context():
        install_builtin(org("YY").id)
        add_experts()
        data = round_input(date(2026, 3, 2))
        data.township_quota = 2
        round_ = services.create_round(user("city"), org("YY-C"), data)
        services.submit_round(user("city"), round_)
        db.session.commit()
        decide(round_, "Task_approve_round", "director", {"round_decision": "approve"})
        town2 = user("town2")

        def nominate(code: str, rank: int | None):
            return services.nominate(town2, round_, NominationInput(org(code).id, None, [], "推荐理由", rank))

        with pytest.raises(InvalidInput, match="推荐排序"):
            nominate("YY-S3", None)
        first = nominate("YY-S3", 1)
        assert first.nominating_org_id == org("YY-T2").id and first.recommend_rank == 1
        with pytest.raises(InvalidInput, match="已被使用"):
            nominate("YY-S4", 1)
        nominate("YY-S4", 2)
        with pytest.raises(InvalidInput, match="推荐名额"):
            nominate("YY-S5", 3)
        with pytest.raises(Forbidden):      # not in 梨洲街道
            nominate("YY-S1", 3)
        clock.set(local(date(2026, 3, 7)))   # after the window
        with pytest.raises(Conflict, match="不在申报期内"):
            services.nominate(user("s1_admin"), round_, NominationInput(org("YY-S1").id, None, [], "迟到", None))


def test_the_trimmed_mean_drops_one_highest_and_one_lowest_score():
    scores = [Decimal(v) for v in ("95", "80", "82", "60")]
    assert services.aggregate_scores(scores, "mean") == Decimal("79.25")
    assert services.aggregate_scores(scores, "trimmed_mean") == Decimal("81.00")
    assert services.aggregate_scores(scores[:2], "trimmed_mean") == Decimal("87.50")   # too few to trim
    assert services.aggregate_scores([], "mean") is None


def test_two_experts_submitting_at_once_both_count_and_the_scores_are_aggregated_once(app, world, clock):
    """The last two experts submit at the same moment from two connections: both submissions stand and
    the review closes exactly once (the instance lock serialises them)."""
    import threading

    from app.models import AuditEvent

    with app.app_context():
        round_ = start_round(clock, date(2026, 3, 2), quota_count=1)
        close_window_and_check(clock, round_)
        marks = {"YY-S1": Decimal("0.9"), "YY-S3": Decimal("0.7"), "YY-S4": Decimal("0.5")}
        score_all(round_, "expert", marks)
        round_id = round_.id
        plans = {}
        for name in ("exp_s1", "exp_t2"):
            me = user(name)
            scores = {a.id: {i.id: i.max_points * marks[a.nomination.school.code] for i in services.leaves(round_)}
                      for a in services.assignments_of(round_, me)}
            plans[name] = (open_row(round_, "Task_score", me).id, scores)
        db.session.commit()
        db.session.remove()

    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def submit(name: str) -> None:
        barrier.wait()
        with app.app_context():
            try:
                me = user(name)
                task_id, scores = plans[name]
                complete_task(task_id, actor=me, apply=lambda t, r: (
                    services.save_scores(me, r, scores, {}, submitting=True), Completion({}, "submit"))[1])
                db.session.commit()
                results[name] = "ok"
            except Exception as err:  # noqa: BLE001  (the assertion below shows what went wrong)
                db.session.rollback()
                results[name] = repr(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(name,)) for name in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {"exp_s1": "ok", "exp_t2": "ok"}
    with app.app_context():
        round_ = db.session.get(SelectionRound, round_id)
        assert round_.status == RoundStatus.CONFIRMING
        assert all(a.submitted_at is not None for a in db.session.scalars(select(ExpertAssignment)))
        steps = [e.detail.get("step") for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "engine.step", AuditEvent.instance_id == round_.instance_id))]
        assert steps.count("Service_aggregate") == 1
        assert len(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == round_.instance_id,
                                                              HumanTask.bpmn_id == "Task_confirm")).all()) == 1


def test_objections_still_open_when_the_notice_ends_hold_the_result_until_handled(app, world, clock):
    from app.excellence.adapter import ObjectionsHandler
    from app.excellence.forms import GateForm

    with app.app_context():
        round_ = run_to_notice(clock, date(2026, 3, 2))
        winner = services.ranking(round_)[0]
        objection = services.lodge_objection(user("s3_teacher"), winner, "材料与事实不符", "")
        db.session.commit()
        clock.set(round_.notice_end + timedelta(seconds=1))
        assert "done" in work()
        assert round_.status == RoundStatus.OBJECTIONS
        row = open_row(round_, "Task_objections")
        assert row is not None and not db.session.scalars(select(Award)).all()

        handler = ObjectionsHandler()
        with app.test_request_context(method="POST", data={"comment": ""}):
            form = GateForm(meta={"csrf": False})
            assert not handler.validate(form, row, round_, submitting=True)
            assert "还有 1 条异议未处理" in form.comment.errors[0]
        services.handle_objection(user("city"), objection, ObjectionDecision.DISMISSED, "经核查，不属实")
        db.session.commit()
        with app.test_request_context(method="POST", data={"comment": ""}):
            form = GateForm(meta={"csrf": False})
            assert handler.validate(form, row, round_, submitting=True)
        decide(round_, "Task_objections", "city")
        assert round_.status == RoundStatus.PUBLISHED
        assert [a.nomination_id for a in db.session.scalars(select(Award))] == [winner.id]


def test_publishing_marks_premium_projects_and_gives_model_schools_a_status_with_validity(app, world, clock):
    from app.models import ProjectApplication, ProjectStatus

    with app.app_context():
        install_builtin(org("YY").id)
        add_experts()
        s1, s3 = org("YY-S1"), org("YY-S3")
        premium = services.create_round(user("city"), org("YY-C"), round_input(
            date(2026, 3, 2), type_=RoundType.PREMIUM_PROJECT, quota_count=1, rules=()))
        model = services.create_round(user("city"), org("YY-C"), round_input(
            date(2026, 3, 2), type_=RoundType.MODEL_SCHOOL, quota_count=1, rules=()))
        projects = [ProjectApplication(school_id=s.id, title=f"{s.short_name}课例研究", status=ProjectStatus.APPROVED,
                                       created_by_id=user("s1_admin").id) for s in (s1, s3)]
        db.session.add_all(projects)
        db.session.flush()
        for round_, pairs in ((premium, [(s1, projects[0], Outcome.AWARDED), (s3, projects[1], Outcome.RESERVE)]),
                              (model, [(s1, None, Outcome.AWARDED), (s3, None, Outcome.NOT_AWARDED)])):
            for rank_, (school, project, outcome) in enumerate(pairs, 1):
                db.session.add(Nomination(round=round_, school_id=school.id, project=project, nominating_org_id=school.id,
                                          summary="x", status=NominationStatus.PASSED, final_rank=rank_,
                                          outcome=outcome, submitted_by_id=user("s1_admin").id))
        db.session.flush()
        clock.set(local(date(2026, 4, 20)))
        services.publish(premium)
        services.publish(model)
        db.session.flush()
        assert [p.is_premium for p in projects] == [True, False]
        award = db.session.scalars(select(Award).where(Award.round_id == model.id)).one()
        assert (award.school_id, award.valid_until) == (s1.id, date(2029, 4, 20))   # award_valid_years=3
        assert premium.status == model.status == RoundStatus.PUBLISHED
        certificates = [a.certificate_no for a in db.session.scalars(select(Award).order_by(Award.id))]
        assert len(set(certificates)) == 2
