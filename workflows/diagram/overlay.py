"""Highlighting states on an already drawn diagram, cheaply.

The base SVG of a definition is drawn once and cached; an instance's state (or a version diff) is
laid over it as a handful of CSS rules keyed on ``data-element-id``, plus optional count badges and
hover notes. That is string work proportional to the number of highlighted elements, not to the
size of the diagram. Rules are scoped to the SVG's own ``id`` because a ``<style>`` inside inline SVG
applies to the whole HTML page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape

from workflows.diagram.render import RenderedDiagram, _fmt

#: State → CSS declarations for shapes (``shape``), their icons (``icon``) and edges (``line``).
STATE_STYLES: dict[str, dict[str, str]] = {
    "completed": {"shape": "stroke:#1e7b45;fill:#e6f4ea", "icon": "stroke:#1e7b45",
                  "line": "stroke:#1e7b45", "head": "stroke:#1e7b45;fill:#1e7b45"},
    "active": {"shape": "stroke:#1d5fa8;stroke-width:3.5;fill:#e2edfb", "icon": "stroke:#1d5fa8"},
    "waiting": {"shape": "stroke:#b86e00;stroke-width:3;fill:#fff3dd", "icon": "stroke:#b86e00"},
    "error": {"shape": "stroke:#b42318;stroke-width:3;fill:#fde7e6", "icon": "stroke:#b42318"},
    "taken": {"line": "stroke:#1e7b45;stroke-width:2.8", "head": "stroke:#1e7b45;fill:#1e7b45"},
    "added": {"shape": "stroke:#1e7b45;stroke-width:3;fill:#e6f4ea", "line": "stroke:#1e7b45;stroke-width:3",
              "head": "stroke:#1e7b45;fill:#1e7b45"},
    "changed": {"shape": "stroke:#b86e00;stroke-width:3;fill:#fff3dd", "line": "stroke:#b86e00;stroke-width:3",
                "head": "stroke:#b86e00;fill:#b86e00"},
    "removed": {"shape": "stroke:#b42318;stroke-width:3;fill:#fde7e6;stroke-dasharray:6 3",
                "line": "stroke:#b42318;stroke-width:3", "head": "stroke:#b42318;fill:#b42318"},
}
_PARTS = {"shape": "> .shape", "icon": "> .icon", "line": "> .line", "head": "> .head"}
_DOM_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _selector(dom_id: str, element_id: str) -> str:
    safe = element_id.replace("\\", "\\\\").replace('"', '\\"')
    return f'#{dom_id} [data-element-id="{safe}"]'


def overlay(diagram: RenderedDiagram, marks: Mapping[str, Iterable[str]], *, dom_id: str,
            notes: Mapping[str, str] | None = None, counts: Mapping[str, int] | None = None) -> str:
    """Return the diagram's SVG with ``marks`` (state → element ids) highlighted.

    ``notes`` become hover titles over shapes; ``counts`` above 1 become small badges (a step done
    three times in a loop shows ×3).
    """
    if not _DOM_ID.match(dom_id):
        raise ValueError(f"not a usable element id: {dom_id!r}")
    rules = []
    for state, ids in marks.items():
        ids = sorted(set(ids))
        styles = STATE_STYLES.get(state)
        if not ids or styles is None:
            continue
        for part, declarations in styles.items():
            selectors = ", ".join(f"{_selector(dom_id, i)} {_PARTS[part]}" for i in ids)
            rules.append(f"{selectors} {{{declarations}}}")
    extra = []
    for element_id, count in sorted((counts or {}).items()):
        box = diagram.boxes.get(element_id)
        if box is None or count < 2:
            continue
        x, y = box.x + box.w - 4, box.y + 2
        extra.append(f'<g class="ov-badge"><rect x="{_fmt(x - 12)}" y="{_fmt(y - 8)}" width="24" height="15" rx="7.5"'
                     f' style="fill:#1e7b45"/><text x="{_fmt(x)}" y="{_fmt(y + 3.5)}" text-anchor="middle"'
                     f' style="fill:#fff;font-size:10px">×{count}</text></g>')
    for element_id, note in sorted((notes or {}).items()):
        box = diagram.boxes.get(element_id)
        if box is None or not note:
            continue
        extra.append(f'<rect class="ov-note" x="{_fmt(box.x)}" y="{_fmt(box.y)}" width="{_fmt(box.w)}"'
                     f' height="{_fmt(box.h)}" style="fill:transparent"><title>{escape(note)}</title></rect>')
    svg = diagram.svg.replace('class="bpmn-diagram"', f'id="{dom_id}" class="bpmn-diagram"', 1)
    if rules:
        svg = svg.replace("</style>", "\n".join(rules) + "\n</style>", 1)
    if extra:
        svg = svg[: svg.rindex("</svg>")] + "".join(extra) + "</svg>"
    return svg
