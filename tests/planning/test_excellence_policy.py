"""The 评优 settings of a region's policy: cited from the seeds, shown and edited like the others, and
proposing a new round's values."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.excellence.services import propose_round
from app.extensions import db
from app.models import PolicyVersion, RoundType
from tests.planning.helpers import policy_form_data, term_id


def test_the_excellence_settings_cite_their_seed_and_can_be_changed(app, regions, make_browser):
    admin = make_browser("admin")
    page = admin.get("/policy").get_data(as_text=True)
    assert "精品项目、示范学校评选周期（年）" in page and "每 2 年" in page
    assert "每两年组织开展全市校本研修精品项目的评选" in page          # 余教〔2020〕14号
    assert "公示期（工作日）" in page and "5 个工作日" in page
    with app.app_context():
        current = db.session.scalars(select(PolicyVersion).where(PolicyVersion.region_id == regions.orgs["YY"])).one()
        values = {**current.values, "excellence.notice_working_days": 7, "excellence.aggregation": "trimmed_mean"}
    bad = policy_form_data({**values, "excellence.notice_working_days": 0}, term_id(regions, "YY"), "公示 0 天")
    r = admin.post("/policy/edit", data=bad)
    assert r.status_code == 422 and "须为 1 到 30 个工作日" in r.get_data(as_text=True)
    r = admin.post("/policy/edit", data=policy_form_data(values, term_id(regions, "YY"), "公示改为七个工作日"))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        # The version in force on the day counts: the change takes effect with the 2026 学年's first term.
        before = propose_round(regions.orgs["YY"], RoundType.MODEL_SCHOOL, date(2026, 3, 10))
        assert (before["notice_working_days"], before["aggregation"], before["cycle_label"]) == (5, "mean", "2025–2027")
        proposal = propose_round(regions.orgs["YY"], RoundType.MODEL_SCHOOL, date(2026, 9, 10))
        assert (proposal["notice_working_days"], proposal["aggregation"]) == (7, "trimmed_mean")
        assert proposal["cycle_label"] == "2026–2028"
        # The county profile (县教科所) names 10 先进单位 a year; 清流 promotes 30% of its school topics.
        county = propose_round(regions.orgs["XA"], RoundType.ADVANCED_UNIT, date(2026, 3, 10))
        assert county["quota_count"] == 10 and county["cycle_label"] == "2025–2026学年"
        assert propose_round(regions.orgs["QL"], RoundType.EXCELLENT_TOPIC, date(2026, 3, 10))["quota_ratio"] == 30
