"""Converting between the policy form and stored values (Decimals are stored as plain strings)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.policy.forms import FIELD_KEYS, PolicyForm
from app.policy.schema import DEFAULT_VALUES

#: Settings stored as decimal strings (JSON has no exact decimals).
DECIMAL_KEYS = frozenset({"funding.min_ratio", "credit.hours_per_credit_concentrated",
                          "credit.hours_per_credit_distributed", "credit.activity_annual_cap",
                          "credit.cycle_min", "credit.annual_min", "excellence.topic_ratio"})


def dec_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def form_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """Initial form data from stored values."""
    v = {**DEFAULT_VALUES, **dict(values)}
    data: dict[str, Any] = {}
    for field, key in FIELD_KEYS.items():
        value = v[key]
        data[field] = Decimal(value) if key in DECIMAL_KEYS and value not in (None, "") else value
    slots = v["schedule.fixed_slots"]
    data["slot_weekdays"] = [int(s["weekday"]) for s in slots]
    data["slot_period"] = int(slots[0]["period"]) if slots else None
    data["credit_items"] = [{"code": i["code"], "name": i["name"], "value": Decimal(str(i["value"])),
                             "annual_cap": Decimal(str(i["annual_cap"])) if i.get("annual_cap") not in (None, "") else None}
                            for i in v["credit.items"]]
    return data


def values_from_form(form: PolicyForm) -> dict[str, Any]:
    """Stored values from a validated form. Empty credit-item rows are dropped."""
    values: dict[str, Any] = {}
    for field, key in FIELD_KEYS.items():
        value = getattr(form, field).data
        values[key] = dec_str(value) if key in DECIMAL_KEYS else value
    weekdays = sorted(form.slot_weekdays.data or [])
    values["schedule.fixed_slots"] = [{"weekday": d, "period": form.slot_period.data} for d in weekdays]
    items = []
    for entry in form.credit_items:
        row = entry.data
        if not any(row.get(k) not in (None, "") for k in ("code", "name", "value", "annual_cap")):
            continue
        items.append({"code": (row.get("code") or "").strip(), "name": (row.get("name") or "").strip(),
                      "value": dec_str(row.get("value")), "annual_cap": dec_str(row.get("annual_cap"))})
    values["credit.items"] = items
    return values
