"""The five shipped policy profiles, one per seed region, plus the default profile.

Each profile file in ``profiles/`` names its seed document and gives, for every value it sets, the
article and the sentence it comes from. Values a seed is silent on come from the defaults
(domain.md §4.1 where it has a number), and say so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app.policy.schema import DEFAULT_VALUES, SETTINGS, validate_values

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_KEY = "default"

#: Where a default value comes from when a profile does not set it.
DEFAULT_SOURCES: dict[str, str] = {
    "credit.hours_per_credit_concentrated": "domain.md §4.1：集中培训 6 学时折 1 学分（常用标准）",
    "credit.hours_per_credit_distributed": "domain.md §4.1：非集中培训 8 学时折 1 学分（常用标准）",
    "credit.items": "domain.md §4.1：广西学分认定登记表（课题县级 2 分/年度上限 6，公开课 1 分/上限 3，师徒结对 2 分）",
    "credit.cycle_years": "domain.md §4.1：浙教师〔2016〕71号，5 年为一个周期",
    "credit.cycle_min": "domain.md §4.1：浙教师〔2016〕71号，周期内不少于 360 学分",
    "credit.annual_min": "domain.md §4.1：浙教师〔2016〕71号，每年不少于 24 学分",
    "credit.cycle_start_year": "domain.md §4.1：周期起始学年需与省平台核对",
    "approval.change_levels": "domain.md §3.2：计划变更走简短的审批链",
    "excellence.cycle_years": "余教〔2020〕14号：市教育局每两年组织开展全市校本研修精品项目的评选和优秀示范学校评定",
    "excellence.unit_quota": "县教科所指导意见：县教科所每学年推出10所组织校本培训的先进单位",
    "excellence.topic_ratio": "清教党组〔2023〕2号：将百分之三十的优秀课题纳入县级课题",
    "excellence.notice_working_days": "domain.md §4.3：公示期常见为 5 或 7 个工作日（种子文件未规定）",
    "excellence.aggregation": "domain.md §3.5：平均分或去掉最高最低分后平均（种子文件未规定）",
}
GENERIC_DEFAULT = "产品默认值（种子文件未规定）"


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    seed: str | None
    citation: str | None
    document: str | None
    values: dict[str, Any]
    provenance: dict[str, dict[str, Any]]


def _full_provenance(seed: str | None, citation: str | None, given: dict[str, dict[str, Any]]
                     ) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for setting in SETTINGS:
        source = given.get(setting)
        if source and "default" not in source:
            result[setting] = {"kind": "seed", "seed": seed, "citation": citation,
                               "where": source.get("where", ""), "quote": source.get("quote", "")}
        else:
            text = (source or {}).get("default") or DEFAULT_SOURCES.get(setting, GENERIC_DEFAULT)
            result[setting] = {"kind": "default", "text": text}
    return result


def _load(path: Path) -> Profile:
    raw = json.loads(path.read_text(encoding="utf-8"))
    values = {**DEFAULT_VALUES, **raw["values"]}
    errors = validate_values(values)
    if errors:
        raise ValueError(f"{path.name}: invalid values {errors}")
    unknown = set(raw.get("provenance", {})) - set(SETTINGS)
    if unknown:
        raise ValueError(f"{path.name}: provenance for unknown settings {sorted(unknown)}")
    return Profile(raw["key"], raw["name"], raw.get("seed"), raw.get("citation"), raw.get("document"), values,
                   _full_provenance(raw.get("seed"), raw.get("citation"), raw.get("provenance", {})))


@cache
def all_profiles() -> dict[str, Profile]:
    """The shipped profiles by key, the default profile first."""
    profiles = {DEFAULT_KEY: Profile(DEFAULT_KEY, "默认配置", None, None, None, dict(DEFAULT_VALUES),
                                     _full_provenance(None, None, {}))}
    for path in sorted(PROFILE_DIR.glob("*.json")):
        profile = _load(path)
        profiles[profile.key] = profile
    return profiles


def get_profile(key: str) -> Profile:
    try:
        return all_profiles()[key]
    except KeyError:
        raise KeyError(f"unknown policy profile {key!r}; known: {', '.join(all_profiles())}") from None
