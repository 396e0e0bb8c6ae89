"""Rectification policy: the region's ``rectification.*`` settings (domain.md §2.2).

An order copies the numbers in force on the day it is drafted, so the numbers it was issued under
stay with it when the region's policy changes later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.policy.schema import Policy
from app.policy.services import policy_on


@dataclass(frozen=True)
class RectificationPolicy:
    """The numbers an order copies (defaults: ``rectification.*`` in app.policy.schema.DEFAULT_VALUES)."""

    #: The principal signs for (签收) an issued order within this many working days.
    ack_working_days: int
    #: Default time allowed for an item, in working days from the day the order is drafted.
    default_deadline_working_days: int
    #: A reminder goes out this many working days before the deadline.
    remind_working_days: int
    #: Verification rounds allowed before the case goes to 督导 unresolved.
    max_rounds: int


def rectification_policy(policy: Policy) -> RectificationPolicy:
    """The rectification numbers of a region policy version."""
    return RectificationPolicy(
        ack_working_days=policy["rectification.ack_days"],
        default_deadline_working_days=policy["rectification.default_deadline_days"],
        remind_working_days=policy["rectification.reminder_days_before"],
        max_rounds=policy["rectification.max_rounds"],
    )


def policy_for_region(region_id: int, on: date) -> RectificationPolicy:
    """The rectification policy in force in a region on ``on`` (the region's policy version of that day)."""
    return rectification_policy(policy_on(region_id, on).policy)
