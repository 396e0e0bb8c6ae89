"""Node rules and added signers: when is a step with several approvers decided?

A BPMN user task may carry ``signRule`` (deploy refuses other values and non-review steps):

- ``all`` (会签): everyone must approve; the first other decision (退回修改 / 不通过) decides the step;
- ``any`` (或签): the first decision of anyone decides the step, the others' tasks are cancelled;
- ``sequential`` (依次审批): like ``all``, one approver after another, in a fixed order;
- ``ratio:0.6`` (按比例): the step is approved once that share of approvers approved, and decided by
  the last other decision as soon as the share can no longer be reached.

The approvers are the active users holding the lane's role at the org the lane resolves to, one
human-task row each (a lane with one such user gives an ordinary step). The engine task is
completed only when the rule is satisfied, with the deciding decision as workflow data.

Added signers (加签) are rows tied to the row they were added to (``parent_id``):
- 前加签 (before): the original row waits (WAITING) until the signer approves;
- 后加签 (after): the signer's row waits until the original row approves (which then shows as
  "approved, waiting for the after-signer", yudao's APPROVING);
- 并加签 (parallel): both sign at once.
A row's approval counts only once its added signers approved; any signer's other decision is that
row's decision. All rows of one activation of a BPMN task share a ``step_key``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, SignKind, TaskStatus

APPROVE = "approve"
RULE_KINDS = ("all", "any", "sequential", "ratio")


@dataclass(frozen=True)
class SignRule:
    kind: str
    ratio: float = 1.0

    def needed(self, n: int) -> int:
        """Approvals needed out of ``n`` approvers."""
        if self.kind == "any":
            return 1
        if self.kind == "ratio":
            return max(1, math.ceil(self.ratio * n - 1e-9))
        return n


def parse_rule(raw: str | None) -> SignRule | None:
    """The rule named by a ``signRule`` property, None when absent; ValueError when malformed."""
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if raw in ("all", "any", "sequential"):
        return SignRule(raw)
    if raw.startswith("ratio:"):
        try:
            ratio = float(raw.removeprefix("ratio:"))
        except ValueError:
            ratio = -1.0
        if 0 < ratio <= 1:
            return SignRule("ratio", ratio)
    raise ValueError(f"signRule 取值应为 all、any、sequential 或 ratio:0.6 这样的比例（0–1），而不是「{raw}」")


def rule_of(task: HumanTask) -> SignRule | None:
    try:
        return parse_rule((task.properties or {}).get("signRule"))
    except ValueError:
        return None


def step_rows(task: HumanTask) -> list[HumanTask]:
    """The rows of the activation ``task`` belongs to (cancelled rows left out), in id order."""
    if task.step_key is None:
        return [task]
    rows = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == task.instance_id, HumanTask.step_key == task.step_key,
        HumanTask.status != TaskStatus.CANCELLED).order_by(HumanTask.id)
        # Called under the instance lock: re-read rows a concurrent command may have changed.
        .execution_options(populate_existing=True))
    return list(rows)


@dataclass
class StepProgress:
    """The outcome of re-evaluating a step: decided (with which decision) or not, and which rows opened."""

    decided: bool
    decision: str | None = None
    opened: list[HumanTask] = field(default_factory=list)


def _children(rows: list[HumanTask], parent: HumanTask) -> list[HumanTask]:
    return [r for r in rows if r.parent_id == parent.id]


def _state(rows: list[HumanTask], primary: HumanTask) -> str:
    """approved, vetoed or pending: a primary row's effective state, counting its added signers."""
    family = [primary, *_children(rows, primary)]
    if any(r.status == TaskStatus.COMPLETED and r.decision != APPROVE for r in family):
        return "vetoed"
    if all(r.status == TaskStatus.COMPLETED for r in family):
        return "approved"
    return "pending"


def advance(changed: HumanTask | None, rows: list[HumanTask], rule: SignRule | None) -> StepProgress:
    """Re-evaluate a step after ``changed`` was decided (or, with None, after a signer was removed).

    Opens the rows whose turn has come (the original approver after the last before-signer, the
    after-signers once the original approver approved, the next 依次 approver) and says whether
    the step is now decided. The caller completes the engine task when it is.
    """
    opened: list[HumanTask] = []
    if changed is not None and changed.decision == APPROVE:
        parent = next((r for r in rows if r.id == changed.parent_id), None)
        if (parent is not None and changed.sign_kind == SignKind.BEFORE and parent.status == TaskStatus.WAITING
                and not any(c.is_live and c.sign_kind == SignKind.BEFORE for c in _children(rows, parent))):
            parent.status = TaskStatus.OPEN
            opened.append(parent)
        if changed.parent_id is None:
            for child in _children(rows, changed):
                if child.sign_kind == SignKind.AFTER and child.status == TaskStatus.WAITING:
                    child.status = TaskStatus.OPEN
                    opened.append(child)
    if opened:
        return StepProgress(False, opened=opened)

    primaries = [r for r in rows if r.parent_id is None]
    states = [_state(rows, p) for p in primaries]
    kind = rule.kind if rule is not None else "all"
    needed = (rule or SignRule("all")).needed(len(primaries))
    approved, vetoed = states.count("approved"), states.count("vetoed")
    other = changed.decision if changed is not None and changed.decision != APPROVE else None
    if kind in ("all", "sequential", "any") and vetoed:
        return StepProgress(True, other or "reject")
    if approved >= needed:
        return StepProgress(True, APPROVE)
    if len(primaries) - vetoed < needed:
        return StepProgress(True, other or "reject")
    if kind == "sequential" and not any(s == "pending" and p.status != TaskStatus.WAITING
                                        for p, s in zip(primaries, states, strict=True)):
        waiting = sorted((p for p in primaries if p.status == TaskStatus.WAITING),
                         key=lambda p: (p.sign_order or 0, p.id))
        if waiting:
            waiting[0].status = TaskStatus.OPEN
            opened.append(waiting[0])
    return StepProgress(False, opened=opened)


def rule_of_properties(properties: dict[str, str] | object) -> SignRule | None:
    """The rule of a READY engine task's properties (deploy has already refused malformed ones)."""
    try:
        return parse_rule(getattr(properties, "get", lambda _k: None)("signRule"))
    except ValueError:
        return None
