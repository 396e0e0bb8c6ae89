"""Server-side BPMN diagrams: SVG drawn from a file's own diagram interchange (BPMN DI).

``render_svg(xml)`` draws a file; ``render(xml)`` also returns each shape's box so that
:func:`overlay` can lay an instance's state (or a version diff) over the cached drawing;
``check_diagram(xml)`` lists what keeps a file from being drawn. Pure lxml, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflows.diagram.check import DiagramIssue, check_diagram
from workflows.diagram.model import Bounds, DiagramError, Document, read_document
from workflows.diagram.overlay import STATE_STYLES, overlay
from workflows.diagram.render import RenderedDiagram, render_document


def render(raw: bytes | str, *, title: str | None = None) -> RenderedDiagram:
    """Draw a BPMN file; raise :class:`DiagramError` when it has no diagram or is not BPMN XML."""
    return render_document(read_document(raw), title=title)


def render_svg(raw: bytes | str, *, title: str | None = None) -> str:
    """The SVG text of a BPMN file's diagram."""
    return render(raw, title=title).svg


def flows_between(doc: Document, transitions: Iterable[tuple[str, str]]) -> set[str]:
    """Ids of the sequence flows that connect each (source id, target id) pair."""
    index: dict[tuple[str, str], list[str]] = {}
    for element in doc.elements.values():
        if element.kind == "sequenceFlow":
            key = (element.attrs.get("sourceRef", ""), element.attrs.get("targetRef", ""))
            index.setdefault(key, []).append(element.id)
    return {flow for pair in transitions for flow in index.get(pair, [])}


__all__ = [
    "STATE_STYLES",
    "Bounds",
    "DiagramError",
    "DiagramIssue",
    "Document",
    "RenderedDiagram",
    "check_diagram",
    "flows_between",
    "overlay",
    "read_document",
    "render",
    "render_svg",
]
