"""Credit rules (domain.md §2.4, §4.1): hours → credits by the region's ratios for 集中 and 非集中
training, only for the attendance statuses that count, within the annual caps.

Pure functions over plain data, so the arithmetic can be tested on its own. Amounts are rounded
to 0.01 credit, half up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from app.policy.schema import CreditItem, Policy

CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AttendanceFact:
    teacher_id: int
    activity_id: int
    title: str
    held_on: date
    hours: Decimal
    mode: str          # 集中 / 非集中
    status: str        # attendance status value


@dataclass(frozen=True)
class CreditLine:
    teacher_id: int
    activity_id: int | None
    title: str
    hours: Decimal | None
    mode: str | None
    raw: Decimal
    credits: Decimal
    cap_note: str = ""


def hours_to_credits(hours: Decimal, mode: str, policy: Policy) -> Decimal:
    return _round(hours / policy.hours_per_credit(mode))


def activity_credits(facts: Iterable[AttendanceFact], policy: Policy,
                     used: Mapping[int, Decimal] | None = None) -> list[CreditLine]:
    """One credit line per counted attendance, oldest activity first.

    ``used`` is what each teacher already has towards the activity cap this year from other
    batches; once the cap is reached the rest are recorded with 0 credits and say why.
    """
    cap = policy.activity_annual_cap
    counted = policy.counted_statuses
    running: dict[int, Decimal] = dict(used or {})
    lines = []
    for fact in sorted(facts, key=lambda f: (f.held_on, f.activity_id, f.teacher_id)):
        if fact.status not in counted:
            continue
        raw = hours_to_credits(fact.hours, fact.mode, policy)
        credits, note = raw, ""
        if cap is not None:
            remaining = max(cap - running.get(fact.teacher_id, Decimal("0")), Decimal("0"))
            if raw > remaining:
                credits = remaining
                note = _("已达校本活动学分年度上限 %(cap)s 分，本次计 %(credits)s 分", cap=cap, credits=credits)
        running[fact.teacher_id] = running.get(fact.teacher_id, Decimal("0")) + credits
        lines.append(CreditLine(fact.teacher_id, fact.activity_id, fact.title, fact.hours, fact.mode, raw, credits,
                                note))
    return lines


def declared_credit(item: CreditItem, used: Decimal) -> tuple[Decimal, str]:
    """Credits for one declared item given what the teacher already has for it this year.

    Raises ValueError when the cap is already reached (nothing left to declare).
    """
    if item.annual_cap is None:
        return item.value, ""
    remaining = item.annual_cap - used
    if remaining <= 0:
        raise ValueError("cap reached")
    if item.value > remaining:
        return remaining, _("已达「%(name)s」年度上限 %(cap)s 分，本项计 %(credits)s 分", name=item.name,
                            cap=item.annual_cap, credits=remaining)
    return item.value, ""
