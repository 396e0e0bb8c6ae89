"""What the task and instance pages offer: the action panels a user may use, with their forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.access import can_act
from app.forms import BaseForm, choices
from app.models import HumanTask, InstanceStatus, ProcessInstance, SignKind, User
from app.processes.properties import disabled_actions
from app.processes.signing import rule_of, step_rows
from app.tasks.actions import forms
from app.tasks.actions.eligibility import (
    CandidatePool,
    cc_candidates,
    choice_label,
    delegate_candidates,
    signer_candidates,
    transfer_candidates,
)
from app.tasks.actions.participation import can_discuss, can_urge, may_act_in
from app.tasks.actions.rewind import instance_rows, return_targets, withdrawable
from app.tasks.actions.signers import KIND_LABELS


@dataclass
class TaskActions:
    forms: dict[str, BaseForm] = field(default_factory=dict)
    #: Why 退回 is not offered, when the user could otherwise use it.
    return_refusal: str | None = None
    #: All rows of the step (会签 members and added signers), for the page to show who signs.
    step: list[HumanTask] = field(default_factory=list)
    #: Added signers the user may still remove (减签).
    removable: list[HumanTask] = field(default_factory=list)
    can_reclaim: bool = False
    #: Rows that approved and wait for their after-signers (yudao's APPROVING).
    approving: set[int] = field(default_factory=set)
    rule_label: str | None = None
    #: The people the panels chose from, for :func:`instance_actions` on the same page.
    pool: CandidatePool | None = None


def rule_label(task: HumanTask) -> str | None:
    rule = rule_of(task)
    if rule is None:
        return None
    return {"all": _("会签：全部审批人通过才通过，一人不同意即按其结论"),
            "any": _("或签：任一审批人办理即为本环节结论"),
            "sequential": _("依次审批：按顺序逐一审批"),
            "ratio": _("按比例：%(percent)s%% 的审批人通过即通过", percent=round(rule.ratio * 100))}[rule.kind]


def _user_choices(users: list[User]) -> list[Any]:
    return choices([("", _("请选择"))] + [(u.id, choice_label(u)) for u in users])


def _form(cls: type[BaseForm], submitted: dict[str, BaseForm], name: str) -> BaseForm:
    return submitted.get(name) or cls(formdata=None, prefix=name)


def task_actions(task: HumanTask, user: User, submitted: dict[str, BaseForm] | None = None) -> TaskActions:
    """The action panels ``user`` gets on ``task``'s page (a submitted form keeps its input and errors)."""
    submitted = submitted or {}
    step = step_rows(task) if task.step_key else [task]  # read once: the panels below all need it
    result = TaskActions(step=step, rule_label=rule_label(task))
    result.approving = {r.id for r in result.step if r.decision == "approve" and r.status.value == "completed"
                        and any(c.parent_id == r.id and c.is_live for c in result.step)}
    instance = task.instance
    if instance.status != InstanceStatus.RUNNING:
        return result
    off = disabled_actions(task.properties)
    mine = task.is_open and can_act(user, task) and task.owner_id is None
    if mine:
        result.pool = CandidatePool.of(instance)
    if mine and "transfer" not in off:
        f = _form(forms.TransferForm, submitted, "transfer")
        f.user_id.choices = _user_choices(transfer_candidates(task, user, step=step, pool=result.pool))
        result.forms["transfer"] = f
    if mine and "delegate" not in off:
        f = _form(forms.DelegateForm, submitted, "delegate")
        f.user_id.choices = _user_choices(delegate_candidates(task, user, step=step, pool=result.pool))
        result.forms["delegate"] = f
    if mine and "return_to" not in off:
        targets, result.return_refusal = return_targets(task)
        if targets:
            f = _form(forms.ReturnForm, submitted, "return_to")
            f.target_id.choices = choices((t.row.id, _("%(step)s（%(name)s 办理）", step=t.name, name=t.by))
                                          for t in targets)
            result.forms["return_to"] = f
    if mine and "add_sign" not in off and task.form_key == "decision" and task.parent_id is None:
        f = _form(forms.AddSignerForm, submitted, "add_sign")
        f.kind.choices = choices((k.value, _(label)) for k, label in KIND_LABELS.items())
        f.user_id.choices = _user_choices(signer_candidates(task, user, step=step, pool=result.pool))
        result.forms["add_sign"] = f
    if task.is_open and task.owner_id is not None and task.assignee_id == user.id:
        result.forms["resolve"] = _form(forms.ResolveForm, submitted, "resolve")
    result.can_reclaim = task.is_open and task.owner_id == user.id
    result.removable = [r for r in result.step if r.parent_id == task.id and r.is_live and task.assignee_id == user.id
                        and r.sign_kind in (SignKind.BEFORE, SignKind.AFTER, SignKind.PARALLEL)]
    if can_discuss(user, task):
        result.forms["comment"] = _form(forms.CommentForm, submitted, "comment")
        result.forms["attach"] = _form(forms.AttachForm, submitted, "attach")
    return result


@dataclass
class InstanceActions:
    forms: dict[str, BaseForm] = field(default_factory=dict)
    withdraw_refusal: str | None = None
    withdraw_step: str | None = None


def instance_actions(instance: ProcessInstance, user: User, submitted: dict[str, BaseForm] | None = None, *,
                     pool: CandidatePool | None = None, rows: list[HumanTask] | None = None) -> InstanceActions:
    """撤回, 催办 and 抄送 for the instance page (and the task page's side panel).

    ``rows``: the instance's task rows freshly read (:func:`instance_rows`), when the page has them.
    """
    submitted = submitted or {}
    result = InstanceActions()
    if instance.status != InstanceStatus.RUNNING:
        return result
    # One read of the instance's task rows answers 撤回, 催办 and who may act in it.
    rows = instance_rows(instance) if rows is None else rows
    row, reason = withdrawable(instance, user, rows=rows)
    if row is not None and "withdraw" not in disabled_actions(row.properties):
        result.forms["withdraw"] = _form(forms.WithdrawForm, submitted, "withdraw")
        result.withdraw_step = row.name
    elif row is None and reason and reason != _("您在该流程中没有可撤回的办理"):
        result.withdraw_refusal = reason
    if can_urge(user, instance, rows=rows):
        result.forms["urge"] = _form(forms.UrgeForm, submitted, "urge")
    if may_act_in(user, instance, rows=rows):
        f = _form(forms.CcForm, submitted, "cc")
        f.user_ids.choices = choices((u.id, choice_label(u)) for u in cc_candidates(instance, user, pool=pool))
        result.forms["cc"] = f
    return result
