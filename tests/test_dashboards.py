"""统计看板: every figure equals what the records say, per school and per term, within the viewer's scope;
each figure links to a list with the same number of rows; the Excel exports hold the page's rows."""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import (
    ActivityRecord,
    Attendance,
    CreditBatch,
    CreditRecord,
    HumanTask,
    Inspection,
    InspectionCampaign,
    OrgType,
    OrgUnit,
    ProcessInstance,
    RectificationOrder,
    ResearchPlan,
    Term,
)
from tests.dashboard_seed import seed

ATTENDED = {"present", "late", "self_study"}


@pytest.fixture
def seeded(app, world):
    with app.app_context():
        seed()
        db.session.commit()
        terms = [t.id for t in db.session.scalars(select(Term).order_by(Term.start_date))][:2]
    return terms


def expected(app, term_id: int) -> dict[int, dict]:
    """Each school's figures for the term, counted in Python from every record (not the dashboard's SQL)."""
    with app.app_context():
        term = db.session.get(Term, term_id)
        start = datetime.combine(term.start_date, time(), UTC)
        end = datetime.combine(term.end_date + timedelta(days=1), time(), UTC)
        schools = db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL)).all()
        figures = {s.id: defaultdict(int, grades=Counter(), credits=Decimal("0"), teachers=set()) for s in schools}
        for plan in db.session.scalars(select(ResearchPlan)):
            if plan.term_id == term_id and plan.status.value == "approved":
                figures[plan.school_id]["plans"] += 1
        activity_school = {}
        for record in db.session.scalars(select(ActivityRecord)):
            if record.term_id == term_id:
                figures[record.school_id]["activities"] += 1
                activity_school[record.id] = record.school_id
        for a in db.session.scalars(select(Attendance)):
            if a.activity_id in activity_school:
                f = figures[activity_school[a.activity_id]]
                f["att_total"] += 1
                f["att_ok"] += a.status.value in ATTENDED
        batch_term = {b.id: b.term_id for b in db.session.scalars(select(CreditBatch))}
        for c in db.session.scalars(select(CreditRecord)):
            if batch_term[c.batch_id] == term_id and c.status.value == "registered":
                figures[c.school_id]["credits"] += c.credits
                figures[c.school_id]["teachers"].add(c.teacher_id)
        campaign_term = {c.id: c.term_id for c in db.session.scalars(select(InspectionCampaign))}
        for i in db.session.scalars(select(Inspection)):
            if campaign_term[i.campaign_id] == term_id and i.status.value == "published":
                figures[i.school_id]["grades"][i.grade] += 1
        for o in db.session.scalars(select(RectificationOrder)):
            if o.issued_at is not None and start <= o.issued_at < end:
                f = figures[o.school_id]
                f["open"] += o.status.value in ("issued", "in_progress", "verifying")
                f["overdue"] += bool(o.overdue)
                f["closed"] += o.status.value == "closed"
        return figures


def _rows(html: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r'<tr data-school="(\d+)">(.*?)</tr>', html, re.S)}


def _figure(row: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}" href="([^"]+)"[^>]*>([^<]*)</a>', row)
    assert match, (name, row)
    return match.group(2).strip()


def _href(row: str, name: str) -> str:
    return re.search(rf'data-figure="{name}" href="([^"]+)"', row).group(1).replace("&amp;", "&")


def test_figures_equal_counts_from_the_records_for_every_school_and_term(app, world, seeded, make_browser):
    city = make_browser("city")
    seen_anything = Counter()
    for term_id in seeded:
        want = expected(app, term_id)
        html = city.get(f"/dashboard?term={term_id}").get_data(as_text=True)
        rows = _rows(html)
        assert set(rows) == set(want)                       # the city sees every school
        for school_id, row in rows.items():
            f = want[school_id]
            assert _figure(row, "plans") == str(f["plans"])
            assert _figure(row, "activities") == str(f["activities"])
            rate = (Decimal(f["att_ok"] * 100) / f["att_total"]).quantize(Decimal("0.1")) if f["att_total"] else None
            assert _figure(row, "attendance") == (f"{rate}%" if rate is not None else "—")
            assert f'{f["att_ok"]}/{f["att_total"]}' in row
            assert _figure(row, "credits") == str(f["credits"].quantize(Decimal("0.01")))
            assert f'({len(f["teachers"])})' in row
            if f["grades"]:
                shown = _figure(row, "grades")
                for grade, n in f["grades"].items():
                    assert (f"{grade}×{n}" if n > 1 else grade) in shown
            else:
                assert 'data-figure="grades"' not in row
            for key in ("open", "overdue", "closed"):
                assert _figure(row, f"orders_{key}") == str(f[key])
            for key in ("plans", "activities", "att_total", "open", "overdue", "closed"):
                seen_anything[key] += f[key]
    # The seed is varied enough that no column is trivially zero.
    assert all(seen_anything[k] > 0 for k in ("plans", "activities", "att_total", "open", "overdue", "closed"))


def test_each_figure_links_to_a_list_with_the_same_rows(app, world, seeded, make_browser):
    city = make_browser("city")
    term_id = seeded[0]
    want = expected(app, term_id)
    rows = _rows(city.get(f"/dashboard?term={term_id}").get_data(as_text=True))
    checked = 0
    for school_id, row in rows.items():
        for key in ("open", "overdue", "closed"):
            page = city.get(_href(row, f"orders_{key}"))
            assert page.status_code == 200
            listed = len(re.findall(r'href="/rectification/\d+"', page.get_data(as_text=True)))
            assert listed == want[school_id][key]
            checked += listed
        plans = city.get(_href(row, "plans")).get_data(as_text=True)
        assert len(re.findall(r'href="/plans/\d+"', plans)) == want[school_id]["plans"]
        assert city.get(_href(row, "activities")).status_code == 200
        assert city.get(_href(row, "credits")).status_code == 200
    assert checked > 0


def test_step_times_average_the_completed_tasks_of_the_term(app, world, seeded, make_browser):
    term_id = seeded[1]
    with app.app_context():
        term = db.session.get(Term, term_id)
        start = datetime.combine(term.start_date, time(), UTC)
        end = datetime.combine(term.end_date + timedelta(days=1), time(), UTC)
        durations = defaultdict(list)
        keys = {i.id: i.definition.name for i in db.session.scalars(select(ProcessInstance))}
        for t in db.session.scalars(select(HumanTask)):
            if t.completed_at is not None and start <= t.completed_at < end:
                durations[(keys[t.instance_id], t.name)].append((t.completed_at - t.created_at).total_seconds() / 3600)
    html = make_browser("city").get(f"/dashboard?term={term_id}").get_data(as_text=True)
    table = re.search(r'<table class="list compact" id="step-table">(.*?)</table>', html, re.S).group(1)
    found = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>\s*<td><a data-figure=\"steps\" href=\"([^\"]+)\">(\d+)</a>",
                       table)
    assert {(k, n) for k, n, _h, _c in found} == set(durations)
    city = make_browser("city")
    for key, name, href, count in found:
        assert int(count) == len(durations[(key, name)])
        listing = city.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert len(re.findall(r'href="/instances/\d+"', listing)) == int(count)
    book = load_workbook(io.BytesIO(city.get(f"/dashboard/export.xlsx?table=steps&term={term_id}").data))
    rows = list(book.active.iter_rows(min_row=3, values_only=True))
    assert {(r[0], r[1]): (r[2], r[3]) for r in rows} == {
        k: (len(v), round(sum(v) / len(v), 1)) for k, v in durations.items()}


def test_scope_township_reviewer_sees_their_township_and_a_school_its_own_row(app, world, seeded, make_browser):
    term_id = seeded[0]
    town = make_browser("town1")
    rows = _rows(town.get(f"/dashboard?term={term_id}").get_data(as_text=True))
    assert set(rows) == {world.orgs["YY-S1"], world.orgs["YY-S2"]}
    # Another township is out of reach; the city may filter by either.
    assert town.get(f"/dashboard?term={term_id}&township={world.orgs['YY-T2']}").status_code == 404
    city = make_browser("city")
    rows = _rows(city.get(f"/dashboard?term={term_id}&township={world.orgs['YY-T2']}").get_data(as_text=True))
    assert set(rows) == {world.orgs["YY-S3"], world.orgs["YY-S4"], world.orgs["YY-S5"]}
    school = make_browser("s3_principal")
    rows = _rows(school.get(f"/dashboard?term={term_id}").get_data(as_text=True))
    assert set(rows) == {world.orgs["YY-S3"]}
    # Teachers and experts have no dashboard.
    assert make_browser("s3_teacher").get("/dashboard").status_code == 404
    assert make_browser("city").get("/dashboard?term=99999").status_code == 404


def test_township_totals_sum_their_schools(app, world, seeded, make_browser):
    term_id = seeded[0]
    want = expected(app, term_id)
    book = load_workbook(io.BytesIO(make_browser("city").get(
        f"/dashboard/export.xlsx?table=townships&term={term_id}").data))
    sheet = book.active
    header = [c.value for c in sheet[2]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    members = {"阳明街道教辅室": ["YY-S1", "YY-S2"], "梨洲街道教辅室": ["YY-S3", "YY-S4", "YY-S5"], "直属学校": ["YY-S6"]}
    assert set(rows) == set(members)
    for name, codes in members.items():
        ids = [world.orgs[c] for c in codes]
        assert rows[name]["学校数"] == len(ids)
        assert rows[name]["已开展活动"] == sum(want[i]["activities"] for i in ids)
        assert rows[name]["已批准计划"] == sum(want[i]["plans"] for i in ids)
        assert rows[name]["整改中"] == sum(want[i]["open"] for i in ids)
        assert rows[name]["已逾期"] == sum(want[i]["overdue"] for i in ids)
        assert Decimal(str(rows[name]["已登记学分"])) == sum((want[i]["credits"] for i in ids), Decimal("0"))


def test_school_table_export_holds_the_page_rows(app, world, seeded, make_browser):
    term_id = seeded[1]
    want = expected(app, term_id)
    response = make_browser("town2").get(f"/dashboard/export.xlsx?table=schools&term={term_id}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[2]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    with app.app_context():
        names = {o.name: o.id for o in db.session.scalars(select(OrgUnit))}
    assert set(rows) == {"余姚市梨洲小学", "余姚市梨洲中学", "余姚市梨洲幼儿园"}
    for name, row in rows.items():
        f = want[names[name]]
        assert (row["已批准计划"], row["已开展活动"], row["考勤人次"]) == (f["plans"], f["activities"], f["att_total"])
        assert (row["整改中"], row["已逾期"], row["已销号"]) == (f["open"], f["overdue"], f["closed"])
    assert make_browser("city").get("/dashboard/export.xlsx?table=nope").status_code == 404


def test_the_ledger_workbook_has_the_eight_sections_with_the_terms_records(app, world, seeded, make_browser):
    term_id = seeded[0]
    want = expected(app, term_id)
    school_id = max(want, key=lambda s: want[s]["activities"])
    response = make_browser("city").get(f"/ledger.xlsx?school={school_id}&term={term_id}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["目录", "1.各级领导职责", "2.各项规章制度", "3.研修计划和实施方案", "4.研修教材",
                               "5.研修记录", "6.考核成绩", "7.科研成果", "8.研修总结"]
    records = list(book["5.研修记录"].iter_rows(min_row=3, values_only=True))
    assert len(records) == want[school_id]["activities"] > 0
    leaders = [r[2] for r in book["1.各级领导职责"].iter_rows(min_row=3, values_only=True)]
    assert any(name.endswith("校长") for name in leaders)
    with app.app_context():
        credits = db.session.scalars(select(CreditRecord).join(CreditBatch).where(
            CreditBatch.school_id == school_id, CreditBatch.term_id == term_id)).all()
    assert len(list(book["6.考核成绩"].iter_rows(min_row=3, values_only=True))) == max(len(credits), 1)
    # Its own school may download it; another school may not.
    own = {world.orgs[f"YY-S{n}"]: f"s{n}_admin" for n in range(1, 7)}[school_id]
    assert make_browser(own).get(f"/ledger.xlsx?school={school_id}&term={term_id}").status_code == 200
    other = "s1_admin" if own != "s1_admin" else "s2_admin"
    assert make_browser(other).get(f"/ledger.xlsx?school={school_id}&term={term_id}").status_code == 404
    assert make_browser("city").get(f"/ledger.xlsx?school={school_id}&term=99999").status_code == 404
