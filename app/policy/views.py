from __future__ import annotations

from datetime import date

import holidays
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.forms import EmptyForm, choices
from app.models.base import utcnow
from app.policy import bp
from app.policy.editing import form_data, values_from_form
from app.policy.forms import KEY_FIELDS, CalendarOverrideForm, PolicyForm
from app.policy.profiles import all_profiles
from app.policy.schema import SETTINGS
from app.policy.services import (
    calendar_overrides,
    editable_terms,
    get_version,
    remove_calendar_override,
    require_region_admin,
    save_version,
    set_calendar_override,
    version_in_force,
    versions,
)
from app.regions import current_term, get_region, is_region_admin, user_region_ids


def _region_arg() -> int:
    """The region the page is about: ?region=, else the user's first; only the user's own regions."""
    mine = user_region_ids(current_user)
    wanted = request.args.get("region", type=int) or (mine[0] if mine else None)
    if wanted not in mine or get_region(wanted) is None:
        raise NotFound(_("找不到该区域，或您没有查看权限"))
    return wanted


def _groups() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for key, (group, _label) in SETTINGS.items():
        groups.setdefault(group, []).append(key)
    return list(groups.items())


def _holidays_of(year: int) -> list[tuple[date, str, bool]]:
    """National days off and make-up workdays of the year, from the ``holidays`` library."""
    cn = holidays.country_holidays("CN", years=year, language="zh_CN")
    rows = [(day, name, False) for day, name in cn.items()]
    rows += [(day, _("调休上班"), True) for day in cn.weekend_workdays if day.year == year]
    return sorted(rows)


@bp.route("/policy")
@login_required
def show():
    return _render_show(_region_arg(), CalendarOverrideForm())


def _render_show(region_id: int, override_form: CalendarOverrideForm, status: int = 200):
    today = utcnow().date()
    term = current_term(region_id, today)
    in_force = version_in_force(region_id, term.start_date) if term else None
    history = versions(region_id)
    upcoming = [v for v in history if term and v.effective_from > term.start_date]
    return render_template(
        "policy/show.html", region=get_region(region_id), term=term, version=in_force, history=history,
        upcoming=upcoming, groups=_groups(), settings=SETTINGS, can_edit=is_region_admin(current_user, region_id),
        profiles=all_profiles(), overrides=calendar_overrides(region_id), holidays=_holidays_of(today.year),
        regions=[get_region(r) for r in user_region_ids(current_user)], override_form=override_form,
        button_form=EmptyForm()), status


@bp.route("/policy/versions/<int:version_no>")
@login_required
def version(version_no: int):
    region_id = _region_arg()
    v = get_version(region_id, version_no)
    return render_template("policy/version.html", region=get_region(region_id), version=v, groups=_groups(),
                           settings=SETTINGS, profiles=all_profiles())


@bp.route("/policy/edit", methods=["GET", "POST"])
@login_required
def edit():
    region_id = _region_arg()
    user = current_user._get_current_object()
    require_region_admin(user, region_id)
    today = utcnow().date()
    terms = editable_terms(region_id, today)
    term = current_term(region_id, today)
    base = version_in_force(region_id, term.start_date) if term else None
    if request.method == "POST":
        form = PolicyForm()
    else:
        form = PolicyForm(formdata=None, data=form_data(base.values if base else {}))
        form.credit_items.append_entry()
    form.effective_term_id.choices = choices((t.id, t.name) for t in terms)
    if request.method == "GET" and term is not None:
        form.effective_term_id.data = str(term.id)
    if request.method == "POST" and form.validate():
        if form.slot_weekdays.data and not form.slot_period.data:
            form.add_error("slot_period", _("选择了固定研修时段的星期，请填写第几节"))
        else:
            try:
                saved = save_version(region_id, values_from_form(form), effective_term_id=int(form.effective_term_id.data),
                                     note=form.note.data.strip(), actor=user)
            except InvalidInput as err:
                db.session.rollback()
                field = KEY_FIELDS.get(err.field or "", err.field or "")
                form.add_error(field if field and hasattr(form, field) else "note", err.message)
            else:
                db.session.commit()
                flash(_("已保存为第 %(v)s 版，自%(term)s起生效", v=saved.version, term=saved.effective_term.name), "success")
                return redirect(url_for("policy.show", region=region_id))
    status = 422 if request.method == "POST" else 200
    return render_template("policy/edit.html", form=form, region=get_region(region_id), base=base,
                           provenance=base.provenance if base else {}, key_fields=KEY_FIELDS), status


@bp.route("/policy/calendar", methods=["POST"])
@login_required
def add_override():
    region_id = _region_arg()
    user = current_user._get_current_object()
    require_region_admin(user, region_id)
    form = CalendarOverrideForm()
    if not form.validate_on_submit():
        return _render_show(region_id, form, 422)
    set_calendar_override(region_id, form.day.data, form.kind.data == "work", (form.note.data or "").strip(),
                          actor=user)
    db.session.commit()
    flash(_("已调整 %(day)s", day=form.day.data.isoformat()), "success")
    return redirect(url_for("policy.show", region=region_id) + "#calendar")


@bp.route("/policy/calendar/<int:override_id>/delete", methods=["POST"])
@login_required
def delete_override(override_id: int):
    region_id = _region_arg()
    if not EmptyForm().validate_on_submit():
        flash(_("页面已过期，请重试"), "warning")
        return redirect(url_for("policy.show", region=region_id) + "#calendar")
    remove_calendar_override(region_id, override_id, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("已删除该日历调整"), "info")
    return redirect(url_for("policy.show", region=region_id) + "#calendar")
