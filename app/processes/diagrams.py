"""Drawings of deployed definitions, cached by content hash, and an instance's state laid over them.

A definition never changes once deployed, so its drawing is made once per process and reused; an
instance's highlights are recomputed only when the instance row's version changes (every engine
run bumps it), so a page view costs an overlay, not a drawing nor usually a deserialisation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.models import ACTION_LABELS, HumanTask, Opinion, ProcessDefinition, ProcessInstance, TaskStatus
from workflows.diagram import DiagramError, Document, RenderedDiagram, flows_between, overlay, read_document
from workflows.diagram.render import render_document
from workflows.progress import progress


class _LRU:
    def __init__(self, size: int):
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


@dataclass(frozen=True)
class Drawing:
    rendered: RenderedDiagram | None
    document: Document | None
    error: str | None = None


_drawings = _LRU(64)
_states = _LRU(2048)


def clear_caches() -> None:
    """Forget cached instance states (for tests, whose emptied tables hand out the same ids again)."""
    _states.clear()


def drawing_for(definition: ProcessDefinition) -> Drawing:
    """The definition's drawing (made on first use); ``error`` says why a file cannot be drawn."""
    def make() -> Drawing:
        xml = db.session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition.id))
        try:
            document = read_document(xml or "")
        except DiagramError as err:
            return Drawing(None, None, str(err))
        return Drawing(render_document(document, title=definition.name), document)

    return _drawings.get(definition.content_hash, make)


def definition_svg(definition: ProcessDefinition, marks: dict[str, set[str]] | None = None, *,
                   dom_id: str) -> Markup | None:
    """The definition's diagram with optional highlights (used by the version pages)."""
    drawing = drawing_for(definition)
    if drawing.rendered is None:
        return None
    return Markup(overlay(drawing.rendered, marks or {}, dom_id=dom_id))


def _when(value) -> str:
    return current_app.jinja_env.filters["localtime"](value)


def _notes(instance: ProcessInstance) -> dict[str, str]:
    """Hover notes for user tasks: who handles an open step, who handled a finished one and how."""
    notes: dict[str, str] = {}
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                              .order_by(HumanTask.id))
    decisions = {op.human_task_id: op.action for op in db.session.scalars(
        select(Opinion).where(Opinion.instance_id == instance.id))}
    for row in rows:
        if row.status == TaskStatus.OPEN:
            who = row.assignee.display_name if row.assignee else (row.org.display_name if row.org else "")
            notes[row.bpmn_id] = _("%(step)s：待 %(who)s 办理", step=row.name, who=who)
        elif row.status == TaskStatus.COMPLETED and row.completed_by is not None:
            label = ACTION_LABELS.get(decisions.get(row.id, ""), "")
            notes[row.bpmn_id] = _("%(step)s：%(who)s 于 %(when)s 办理%(decision)s", step=row.name,
                                   who=row.completed_by.display_name, when=_when(row.completed_at),
                                   decision=f"（{_(label)}）" if label else "")
    return notes


def instance_svg(instance: ProcessInstance) -> Markup | None:
    """The instance's diagram: done, open and waiting steps highlighted and the path taken drawn."""
    drawing = drawing_for(instance.definition)
    if drawing.rendered is None or drawing.document is None:
        return None
    document = drawing.document

    def make() -> tuple[dict[str, set[str]], dict[str, str], dict[str, int]]:
        from app.processes.runtime import load_runtime

        state = progress(load_runtime(instance, None))
        marks = {"completed": set(state.completed), "active": set(state.active), "waiting": set(state.waiting),
                 "error": set(state.error), "taken": flows_between(document, state.transitions)}
        return marks, _notes(instance), state.counts

    key = (instance.id, instance.version, instance.definition_id, str(get_locale()))
    marks, notes, counts = _states.get(key, make)
    return Markup(overlay(drawing.rendered, marks, dom_id=f"diagram-{instance.id}", notes=notes, counts=counts))
