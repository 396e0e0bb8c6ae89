"""Base form classes shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs; values are sent as strings."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def field_error(field, message: str) -> None:
    """Show ``message`` beside ``field`` (after validation, for checks a validator cannot make)."""
    if isinstance(field.errors, tuple):  # WTForms leaves a tuple on fields that were not validated
        field.errors = list(field.errors)
    field.errors.append(message)


def show_input_error(form, err, default: str | None = None) -> None:
    """Show a service's ``InvalidInput`` beside the field it names, else beside ``default`` (or the first field)."""
    names = [name for name in form._fields if name != "csrf_token"]
    field_error(form[err.field if err.field in names else default or names[0]], err.message)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BaseForm(FlaskForm):
    """All forms are CSRF-protected (Flask-WTF) and validated on the server."""

    def add_error(self, field_name: str, message: str) -> None:
        field_error(getattr(self, field_name), message)

    def check_required(self, names: tuple[str, ...], message: str | None = None) -> bool:
        """Require ``names`` to be filled (used when a draft is submitted, not when it is saved)."""
        message = message or _("此项为必填项")
        ok = True
        for name in names:
            data = getattr(self, name).data
            if data is None or data == "" or data == [] or (isinstance(data, str) and not data.strip()):
                self.add_error(name, message)
                ok = False
        return ok


class EmptyForm(FlaskForm):
    """A CSRF-only form for POST buttons (claim, logout, ...)."""


__all__ = ["BaseForm", "DataRequired", "EmptyForm", "InputRequired", "MultiCheckboxField", "choices", "field_error",
           "show_input_error"]
