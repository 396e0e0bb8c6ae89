"""User-task properties for approval behaviour, checked at deploy time.

- ``signRule``: ``all`` | ``any`` | ``sequential`` | ``ratio:0.6`` — see :mod:`app.processes.signing`.
  Only review steps (``formKey="decision"``) may have one.
- ``bulkSafe="true"``: the step may be approved in bulk from 待办 (review steps offering ``approve``).
- ``disabledActions``: comma-separated actions the step does not offer (``transfer``, ``delegate``,
  ``return_to``, ``withdraw``, ``add_sign``, ``cc``, ``urge``), e.g. ``disabledActions="add_sign"``.

Deploy messages are for administrators and stay in Chinese, like the parser's.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.processes.signing import parse_rule

CONFIGURABLE_ACTIONS = ("transfer", "delegate", "return_to", "withdraw", "add_sign", "cc", "urge")


def disabled_actions(properties: Mapping[str, str] | None) -> frozenset[str]:
    raw = (properties or {}).get("disabledActions", "")
    return frozenset(a.strip() for a in raw.split(",") if a.strip())


def task_property_error(properties: Mapping[str, str]) -> str | None:
    """What is wrong with a user task's approval properties, or None."""
    is_review = properties.get("formKey") == "decision"
    decisions = [d.strip() for d in properties.get("decisions", "approve,return").split(",") if d.strip()]
    try:
        rule = parse_rule(properties.get("signRule"))
    except ValueError as err:
        return str(err)
    if rule is not None and not is_review:
        return "只有审核环节（formKey=decision）可以设置 signRule"
    bulk = properties.get("bulkSafe")
    if bulk not in (None, "true", "false"):
        return f"bulkSafe 只能是 true 或 false，而不是「{bulk}」"
    if bulk == "true" and not (is_review and "approve" in decisions):
        return "只有提供「通过」结论的审核环节可以设置 bulkSafe=true"
    unknown = sorted(disabled_actions(properties) - set(CONFIGURABLE_ACTIONS))
    if unknown:
        return f"disabledActions 中有未知的操作：{', '.join(unknown)}（可用：{', '.join(CONFIGURABLE_ACTIONS)}）"
    return None
