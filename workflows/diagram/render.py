"""Drawing a :class:`~workflows.diagram.model.Document` as SVG.

The output is plain SVG (no script) with one ``<style>`` element scoped to ``svg.bpmn-diagram``; every
drawn element is a ``<g>`` carrying its BPMN id in ``data-element-id``, so state can be overlaid later
with a few CSS rules (see :mod:`workflows.diagram.overlay`) without drawing again. Arrowheads are
polygons rather than SVG markers: markers need document-wide ids, which would clash when several
diagrams share one HTML page, and could not take a highlight colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from workflows.diagram import icons
from workflows.diagram.model import (
    ACTIVITY_KINDS,
    DATA_KINDS,
    EVENT_KINDS,
    GATEWAY_KINDS,
    SUBPROCESS_KINDS,
    Bounds,
    Document,
    Edge,
    Element,
    Plane,
    Shape,
)
from workflows.diagram.text import fit, text_width, wrap

SVG_NS = "http://www.w3.org/2000/svg"
FONT = 12.0
LABEL_FONT = 11.0
LINE = 14.5
PLANE_GAP = 60.0

STYLE = """
svg.bpmn-diagram { font-family: "PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif; }
svg.bpmn-diagram text { font-size: 12px; fill: #1f2933; }
svg.bpmn-diagram text.ext { font-size: 11px; }
svg.bpmn-diagram .shape { fill: #fff; stroke: #1f2933; stroke-width: 1.5; }
svg.bpmn-diagram .k-participant > .shape, svg.bpmn-diagram .k-lane > .shape { fill: none; stroke-width: 1.2; }
svg.bpmn-diagram .k-participant > .band, svg.bpmn-diagram .k-lane > .band { fill: none; stroke: #1f2933; stroke-width: 1.2; }
svg.bpmn-diagram .k-lane > .shape { stroke: #8a96a3; }
svg.bpmn-diagram .expanded > .shape { fill: none; }
svg.bpmn-diagram .k-endEvent > .shape { stroke-width: 3.5; }
svg.bpmn-diagram .k-callActivity > .shape { stroke-width: 4; }
svg.bpmn-diagram .non-interrupting > .shape { stroke-dasharray: 5 3; }
svg.bpmn-diagram .event-sub > .shape { stroke-dasharray: 2 3; }
svg.bpmn-diagram .k-group > .shape { fill: none; stroke-dasharray: 9 4 2 4; stroke-width: 1.2; }
svg.bpmn-diagram .k-textAnnotation > .shape { fill: none; }
svg.bpmn-diagram .icon { fill: #fff; stroke: #1f2933; stroke-width: 1.2; stroke-linejoin: round; }
svg.bpmn-diagram .icon.filled { fill: #1f2933; stroke: #1f2933; }
svg.bpmn-diagram .icon.filled.msg { stroke: #fff; }
svg.bpmn-diagram .mark { fill: none; stroke: #1f2933; stroke-width: 1.3; }
svg.bpmn-diagram .gw { fill: #1f2933; stroke: none; }
svg.bpmn-diagram .gw.outline { fill: none; stroke: #1f2933; stroke-width: 1.2; }
svg.bpmn-diagram .line { fill: none; stroke: #1f2933; stroke-width: 1.5; stroke-linejoin: round; }
svg.bpmn-diagram .head { fill: #1f2933; stroke: #1f2933; stroke-width: 1; stroke-linejoin: round; }
svg.bpmn-diagram .head.open { fill: #fff; }
svg.bpmn-diagram .head.lines { fill: none; }
svg.bpmn-diagram .k-messageFlow > .line { stroke-dasharray: 9 5; }
svg.bpmn-diagram .k-association > .line, svg.bpmn-diagram .k-dataInputAssociation > .line,
svg.bpmn-diagram .k-dataOutputAssociation > .line { stroke-dasharray: 2 4; stroke-width: 1.3; }
svg.bpmn-diagram .plane-title { font-size: 14px; font-weight: 600; }
svg.bpmn-diagram .plane-rule { stroke: #8a96a3; stroke-dasharray: 4 4; }
"""


@dataclass
class RenderedDiagram:
    """The base SVG of a definition plus each shape's box, for overlays (badges, hover notes)."""

    svg: str
    boxes: dict[str, Bounds]
    width: float
    height: float


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


class _Painter:
    def __init__(self, doc: Document):
        self.doc = doc
        self.boxes: dict[str, Bounds] = {}

    # -- primitives ------------------------------------------------------------------------------
    @staticmethod
    def el(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
        node = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
        for key, value in attrs.items():
            if value is None:
                continue
            name = key.rstrip("_").replace("__", ":").replace("_", "-")
            node.set(name, _fmt(value) if isinstance(value, float) else str(value))
        return node

    def text(self, parent: etree._Element, lines: list[str], cx: float, top: float, *, size: float = FONT,
             anchor: str = "middle", cls: str | None = None) -> None:
        if not lines:
            return
        node = self.el(parent, "text", text_anchor=anchor, class_=cls)
        for i, line in enumerate(lines):
            span = self.el(node, "tspan", x=cx, y=top + size + i * (size + 2.5))
            span.text = line

    def group(self, parent: etree._Element, element_id: str, element: Element | None, *extra: str) -> etree._Element:
        kind = element.kind if element else "unknown"
        classes = " ".join(["el", f"k-{kind}", *[c for c in extra if c]])
        g = self.el(parent, "g", class_=classes, data_element_id=element_id)
        title = self.el(g, "title")
        title.text = (element.name if element and element.name else element_id)
        return g

    def path(self, parent: etree._Element, d: str, cls: str, transform: str | None = None,
             style: str | None = None) -> etree._Element:
        return self.el(parent, "path", d=d, class_=cls, transform=transform, style=style)

    # -- labels ------------------------------------------------------------------------------------
    def external_label(self, g: etree._Element, element: Element | None, shape: Shape) -> None:
        name = element.name if element else ""
        if not name:
            return
        if shape.label is not None and shape.label.w > 1:
            width = max(shape.label.w * 1.2, 48.0)
            lines = wrap(name, width, LABEL_FONT)
            self.text(g, lines, shape.label.cx, shape.label.y - 2, size=LABEL_FONT, cls="ext")
        else:
            lines = wrap(name, 90.0, LABEL_FONT)
            self.text(g, lines, shape.bounds.cx, shape.bounds.y + shape.bounds.h + 3, size=LABEL_FONT, cls="ext")

    def band_label(self, g: etree._Element, name: str, b: Bounds, vertical_band: bool) -> None:
        if not name:
            return
        if not vertical_band:  # band along the top (vertical pools and lanes)
            self.text(g, fit(name, b.w - 10, 28, FONT, LINE)[:1], b.cx, b.y + 7)
            return
        band = Bounds(b.x, b.y, 30.0, b.h)
        wide = sum(1 for ch in name if text_width(ch, 1) >= 1)
        if wide * 2 >= len(name):
            # Mostly Chinese: stack the characters upright, as printed forms do.
            room = max(1, int((band.h - 10) // 14))
            chars = list(name.replace(" ", ""))
            if len(chars) > room:
                chars = chars[:room - 1] + ["…"]
            top = band.cy - len(chars) * 14 / 2
            node = self.el(g, "text", text_anchor="middle")
            for i, ch in enumerate(chars):
                span = self.el(node, "tspan", x=band.cx, y=top + 11.5 + i * 14)
                span.text = ch
        else:
            line = fit(name, band.h - 10, 18, FONT, LINE)[:1]
            node = self.el(g, "text", text_anchor="middle", transform=f"rotate(-90 {_fmt(band.cx)} {_fmt(band.cy)})")
            span = self.el(node, "tspan", x=band.cx, y=band.cy + 4)
            span.text = line[0] if line else ""

    # -- shapes ------------------------------------------------------------------------------------
    def draw_shape(self, parent: etree._Element, shape: Shape, expanded_ids: set[str]) -> None:
        element = self.doc.elements.get(shape.element_id)
        kind = element.kind if element else "unknown"
        b = shape.bounds
        self.boxes.setdefault(shape.element_id, b)
        if kind in EVENT_KINDS:
            self.event(parent, element, shape)
        elif kind in GATEWAY_KINDS:
            self.gateway(parent, element, shape)
        elif kind in ACTIVITY_KINDS:
            self.activity(parent, element, shape, shape.element_id in expanded_ids)
        elif kind in ("participant", "lane"):
            self.container(parent, element, shape)
        elif kind in DATA_KINDS:
            self.data(parent, element, shape)
        elif kind == "textAnnotation":
            g = self.group(parent, shape.element_id, element)
            self.el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, class_="shape", style="stroke:none;fill:none")
            self.path(g, f"M{_fmt(b.x + 12)} {_fmt(b.y)} H{_fmt(b.x)} V{_fmt(b.y + b.h)} H{_fmt(b.x + 12)}", "mark")
            self.text(g, wrap(element.name if element else "", b.w - 10, FONT), b.x + 6, b.y + 2, anchor="start")
        elif kind == "group":
            g = self.group(parent, shape.element_id, element)
            self.el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=10, class_="shape")
            name = element.name if element else ""
            if shape.label is not None:
                self.text(g, wrap(name, max(shape.label.w * 1.2, 60), LABEL_FONT), shape.label.cx, shape.label.y - 2,
                          size=LABEL_FONT, cls="ext")
            else:
                self.text(g, wrap(name, b.w - 10, LABEL_FONT)[:2], b.cx, b.y + 3, size=LABEL_FONT, cls="ext")
        else:
            g = self.group(parent, shape.element_id, element, "generic")
            self.el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=4, class_="shape")
            self.text(g, fit(element.name if element else shape.element_id, b.w - 8, b.h - 6, FONT, LINE),
                      b.cx, b.y + 3)

    def event(self, parent: etree._Element, element: Element | None, shape: Shape) -> None:
        assert element is not None
        attrs = element.attrs
        interrupting = not (
            (element.kind == "boundaryEvent" and attrs.get("cancelActivity", "true").lower() == "false")
            or (element.kind == "startEvent" and attrs.get("isInterrupting", "true").lower() == "false"))
        g = self.group(parent, element.id, element, "event", "" if interrupting else "non-interrupting")
        b = shape.bounds
        r = min(b.w, b.h) / 2
        self.el(g, "circle", cx=b.cx, cy=b.cy, r=r, class_="shape")
        if element.kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            self.el(g, "circle", cx=b.cx, cy=b.cy, r=max(r - 3, 1.0), class_="shape", style="fill:none")
        throwing = element.kind in ("endEvent", "intermediateThrowEvent")
        definitions = element.event_definitions
        if len(definitions) > 1:
            key = "parallelMultiple" if attrs.get("parallelMultiple", "").lower() == "true" else "multiple"
        elif definitions:
            key = definitions[0]
        else:
            key = None
        scale = (2 * r) / 36.0
        transform = f"translate({_fmt(b.cx - 18 * scale)} {_fmt(b.cy - 18 * scale)}) scale({scale:.3f})"
        if key == "timerEventDefinition":
            self.path(g, icons.TIMER_FACE, "icon", transform)
            self.path(g, icons.TIMER_TICKS + " " + icons.TIMER_HANDS, "mark", transform)
        elif key in icons.EVENT_MARKERS:
            d, _closed = icons.EVENT_MARKERS[key]
            filled = throwing or key == "terminateEventDefinition"
            cls = "icon filled" if filled else "icon"
            if key == "messageEventDefinition" and filled:
                cls += " msg"
            self.path(g, d, cls, transform)
        self.external_label(g, element, shape)

    def gateway(self, parent: etree._Element, element: Element | None, shape: Shape) -> None:
        assert element is not None
        g = self.group(parent, element.id, element, "gateway")
        b = shape.bounds
        points = f"{_fmt(b.cx)},{_fmt(b.y)} {_fmt(b.x + b.w)},{_fmt(b.cy)} {_fmt(b.cx)},{_fmt(b.y + b.h)} {_fmt(b.x)},{_fmt(b.cy)}"
        self.el(g, "polygon", points=points, class_="shape")
        key = element.kind
        if key == "eventBasedGateway" and element.attrs.get("eventGatewayType", "").lower() == "parallel":
            key = "parallelEventBasedGateway"
        # An exclusive gateway's X is optional in BPMN DI; tools that omit the flag mostly mean "show it".
        show = not (key == "exclusiveGateway" and shape.marker_visible is False)
        if show and key in icons.GATEWAY_MARKERS:
            d, filled = icons.GATEWAY_MARKERS[key]
            scale = min(b.w, b.h) / 50.0
            transform = f"translate({_fmt(b.x)} {_fmt(b.y)}) scale({scale:.3f})"
            self.path(g, d, "gw" if filled else "gw outline", transform,
                      style="fill-rule:evenodd" if key == "inclusiveGateway" else None)
        self.external_label(g, element, shape)

    def activity(self, parent: etree._Element, element: Element | None, shape: Shape, expanded: bool) -> None:
        assert element is not None
        kind = element.kind
        b = shape.bounds
        extra = ["activity", "expanded" if expanded else ""]
        if kind in SUBPROCESS_KINDS and element.attrs.get("triggeredByEvent", "").lower() == "true":
            extra.append("event-sub")
        g = self.group(parent, element.id, element, *extra)
        self.el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=10, class_="shape")
        if kind == "transaction":
            self.el(g, "rect", x=b.x + 3, y=b.y + 3, width=max(b.w - 6, 1.0), height=max(b.h - 6, 1.0), rx=8,
                    class_="shape", style="fill:none")
        if kind in icons.TASK_ICONS:
            d, filled = icons.TASK_ICONS[kind]
            self.path(g, d, "icon filled msg" if filled else "icon", f"translate({_fmt(b.x + 6)} {_fmt(b.y + 6)})")
        markers = []
        if element.loop:
            markers.append(element.loop)
        if element.attrs.get("isForCompensation", "").lower() == "true":
            markers.append("compensation")
        if kind in SUBPROCESS_KINDS | {"callActivity"} and not expanded and kind != "callActivity":
            markers.append("collapsed")
        if kind == "adHocSubProcess":
            markers.append("adhoc")
        left = b.cx - (len(markers) * 16 - 4) / 2
        for i, marker in enumerate(markers):
            self.path(g, icons.ACTIVITY_MARKERS[marker], "mark", f"translate({_fmt(left + i * 16)} {_fmt(b.y + b.h - 16)})")
        name = element.name
        if expanded:
            self.text(g, fit(name, b.w - 16, 34, FONT, LINE), b.x + 8, b.y + 4, anchor="start")
        else:
            bottom = b.y + b.h - (16 if markers else 4)
            lines = fit(name, b.w - 10, bottom - b.y - 4, FONT, LINE)
            top = b.y + (b.h - len(lines) * LINE) / 2 - 2
            if kind in icons.TASK_ICONS and top < b.y + 20:
                # Keep a long name clear of the type icon in the corner.
                lines = fit(name, b.w - 10, bottom - b.y - 22, FONT, LINE)
                top = b.y + 20 + (bottom - b.y - 20 - len(lines) * LINE) / 2 - 2
            self.text(g, lines, b.cx, top)

    def container(self, parent: etree._Element, element: Element | None, shape: Shape) -> None:
        assert element is not None
        b = shape.bounds
        g = self.group(parent, element.id, element, "container")
        self.el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, class_="shape")
        horizontal = shape.horizontal is not False
        black_box = element.kind == "participant" and not element.attrs.get("processRef")
        if black_box:
            self.text(g, fit(element.name, b.w - 20, b.h - 6, FONT, LINE), b.cx, b.cy - LINE / 2 - 2)
            return
        if horizontal:
            self.path(g, f"M{_fmt(b.x + 30)} {_fmt(b.y)} V{_fmt(b.y + b.h)}", "band")
        else:
            self.path(g, f"M{_fmt(b.x)} {_fmt(b.y + 30)} H{_fmt(b.x + b.w)}", "band")
        self.band_label(g, element.name, b, horizontal)

    def data(self, parent: etree._Element, element: Element | None, shape: Shape) -> None:
        assert element is not None
        b = shape.bounds
        g = self.group(parent, element.id, element, "data")
        if element.kind == "dataStoreReference":
            e = min(8.0, b.h / 5)
            d = (f"M{_fmt(b.x)} {_fmt(b.y + e)} A{_fmt(b.w / 2)} {_fmt(e)} 0 0 1 {_fmt(b.x + b.w)} {_fmt(b.y + e)}"
                 f" V{_fmt(b.y + b.h - e)} A{_fmt(b.w / 2)} {_fmt(e)} 0 0 1 {_fmt(b.x)} {_fmt(b.y + b.h - e)} Z")
            self.path(g, d, "shape")
            for k in (0, 1, 2):
                y = b.y + e + k * 4
                self.path(g, f"M{_fmt(b.x)} {_fmt(y)} A{_fmt(b.w / 2)} {_fmt(e)} 0 0 0 {_fmt(b.x + b.w)} {_fmt(y)}", "mark")
        else:
            fold = min(12.0, b.w / 3)
            d = (f"M{_fmt(b.x)} {_fmt(b.y)} H{_fmt(b.x + b.w - fold)} L{_fmt(b.x + b.w)} {_fmt(b.y + fold)}"
                 f" V{_fmt(b.y + b.h)} H{_fmt(b.x)} Z")
            self.path(g, d, "shape")
            self.path(g, f"M{_fmt(b.x + b.w - fold)} {_fmt(b.y)} V{_fmt(b.y + fold)} H{_fmt(b.x + b.w)}", "mark")
            if element.collection:
                self.path(g, icons.ACTIVITY_MARKERS["parallel"], "mark",
                          f"translate({_fmt(b.cx - 6)} {_fmt(b.y + b.h - 14)})")
            if element.kind in ("dataInput", "dataOutput"):
                cls = "icon filled" if element.kind == "dataOutput" else "icon"
                self.path(g, "M1 4 H7 V1 L12 6 L7 11 V8 H1 Z", cls, f"translate({_fmt(b.x + 3)} {_fmt(b.y + 3)})")
        self.external_label(g, element, shape)

    # -- edges -------------------------------------------------------------------------------------
    @staticmethod
    def _head(tip: tuple[float, float], before: tuple[float, float], length: float = 11.0,
              half: float = 4.0) -> list[tuple[float, float]]:
        dx, dy = tip[0] - before[0], tip[1] - before[1]
        norm = math.hypot(dx, dy) or 1.0
        ux, uy = dx / norm, dy / norm
        bx, by = tip[0] - ux * length, tip[1] - uy * length
        return [tip, (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]

    @staticmethod
    def _pts(points: list[tuple[float, float]]) -> str:
        return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)

    def draw_edge(self, parent: etree._Element, edge: Edge) -> None:
        element = self.doc.elements.get(edge.element_id)
        points = edge.points
        g = self.group(parent, edge.element_id, element, "edge")
        if len(points) < 2:
            return
        self.el(g, "polyline", points=self._pts(points), class_="line")
        kind = element.kind if element else "unknown"
        start = next((p for p in points[1:] if p != points[0]), points[1])
        end_before = next((p for p in reversed(points[:-1]) if p != points[-1]), points[-2])
        if kind == "sequenceFlow" or kind == "unknown":
            self.el(g, "polygon", points=self._pts(self._head(points[-1], end_before)), class_="head")
            source = self.doc.elements.get(element.attrs.get("sourceRef", "")) if element else None
            if source is not None and element is not None and source.attrs.get("default") == element.id:
                self._default_mark(g, points[0], start)
            elif (source is not None and element is not None and element.has_condition
                  and source.kind in ACTIVITY_KINDS):
                self._condition_mark(g, points[0], start)
        elif kind == "messageFlow":
            self.el(g, "circle", cx=points[0][0], cy=points[0][1], r=4.0, class_="head open")
            self.el(g, "polygon", points=self._pts(self._head(points[-1], end_before)), class_="head open")
        elif kind in ("dataInputAssociation", "dataOutputAssociation"):
            self._open_arrow(g, points[-1], end_before)
        elif kind == "association" and element is not None:
            direction = element.attrs.get("associationDirection", "None")
            if direction in ("One", "Both"):
                self._open_arrow(g, points[-1], end_before)
            if direction == "Both":
                self._open_arrow(g, points[0], start)
        name = element.name if element else ""
        if name:
            if edge.label is not None and edge.label.w > 1:
                lines = wrap(name, max(edge.label.w * 1.2, 40), LABEL_FONT)
                self.text(g, lines, edge.label.cx, edge.label.y - 2, size=LABEL_FONT, cls="ext")
            else:
                mid = len(points) // 2
                (x1, y1), (x2, y2) = points[mid - 1], points[mid]
                self.text(g, wrap(name, 80, LABEL_FONT), (x1 + x2) / 2 + 4, (y1 + y2) / 2 - 16,
                          size=LABEL_FONT, anchor="start", cls="ext")

    def _open_arrow(self, g: etree._Element, tip: tuple[float, float], before: tuple[float, float]) -> None:
        head = self._head(tip, before, 10.0, 5.0)
        self.el(g, "polyline", points=self._pts([head[1], tip, head[2]]), class_="head lines")

    def _default_mark(self, g: etree._Element, origin: tuple[float, float], toward: tuple[float, float]) -> None:
        dx, dy = toward[0] - origin[0], toward[1] - origin[1]
        norm = math.hypot(dx, dy) or 1.0
        ux, uy = dx / norm, dy / norm
        cx, cy = origin[0] + ux * 12, origin[1] + uy * 12
        # A slash across the line at 45 degrees.
        ax, ay = (ux - uy) * 5, (uy + ux) * 5
        self.el(g, "line", x1=cx - ax, y1=cy - ay, x2=cx + ax, y2=cy + ay, class_="head lines", style="stroke-width:1.5")

    def _condition_mark(self, g: etree._Element, origin: tuple[float, float], toward: tuple[float, float]) -> None:
        dx, dy = toward[0] - origin[0], toward[1] - origin[1]
        norm = math.hypot(dx, dy) or 1.0
        ux, uy = dx / norm, dy / norm
        p1 = origin
        p2 = (origin[0] + ux * 8 - uy * 5, origin[1] + uy * 8 + ux * 5)
        p3 = (origin[0] + ux * 16, origin[1] + uy * 16)
        p4 = (origin[0] + ux * 8 + uy * 5, origin[1] + uy * 8 - ux * 5)
        self.el(g, "polygon", points=self._pts([p1, p2, p3, p4]), class_="head open")

    # -- planes ------------------------------------------------------------------------------------
    def expanded_ids(self, plane: Plane) -> set[str]:
        on_plane = {s.element_id for s in plane.shapes}
        parents = {self.doc.elements[i].parent for i in on_plane if i in self.doc.elements}
        expanded = set()
        for s in plane.shapes:
            element = self.doc.elements.get(s.element_id)
            if element is None or element.kind not in SUBPROCESS_KINDS | {"callActivity"}:
                continue
            if s.expanded is True or (s.expanded is None and element.id in parents):
                expanded.add(element.id)
        return expanded

    def draw_plane(self, parent: etree._Element, plane: Plane, skip: set[str]) -> None:
        expanded = self.expanded_ids(plane)

        def rank(shape: Shape) -> tuple[int, float]:
            element = self.doc.elements.get(shape.element_id)
            kind = element.kind if element else ""
            area = -shape.bounds.w * shape.bounds.h
            if kind == "participant":
                return (0, area)
            if kind == "lane":
                return (1, area)
            if shape.element_id in expanded:
                return (2, area)
            if kind == "group":
                return (4, area)
            return (3, 0.0)

        for shape in sorted((s for s in plane.shapes if s.element_id not in skip), key=rank):
            self.draw_shape(parent, shape, expanded)
        for edge in plane.edges:
            if edge.element_id not in skip:
                self.draw_edge(parent, edge)


def _extent(plane: Plane) -> Bounds | None:
    xs: list[float] = []
    ys: list[float] = []
    for s in plane.shapes:
        for b in (s.bounds, s.label):
            if b is not None:
                xs += [b.x, b.x + b.w]
                ys += [b.y, b.y + b.h]
        if s.label is None and s.bounds.h <= 60:
            ys.append(s.bounds.y + s.bounds.h + 34)  # room for a default label under events/gateways
    for e in plane.edges:
        for x, y in e.points:
            xs.append(x)
            ys.append(y)
        if e.label is not None:
            xs += [e.label.x, e.label.x + e.label.w]
            ys += [e.label.y, e.label.y + e.label.h]
    if not xs:
        return None
    return Bounds(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def render_document(doc: Document, *, title: str | None = None) -> RenderedDiagram:
    """Draw the main plane and, below it, every other plane that shows something not yet drawn."""
    painter = _Painter(doc)
    root = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    root.set("class", "bpmn-diagram")
    root.set("role", "img")
    style = etree.SubElement(root, f"{{{SVG_NS}}}style")
    style.text = STYLE
    label = title or (doc.elements[doc.process_id].name if doc.process_id in doc.elements else "") or "BPMN"
    root.set("aria-label", label)

    order = [doc.main] + [i for i in range(len(doc.planes)) if i != doc.main]
    drawn: set[str] = set()
    min_x = min_y = math.inf
    max_x = max_y = -math.inf
    cursor_y: float | None = None
    for index in order:
        plane = doc.planes[index]
        fresh = {s.element_id for s in plane.shapes} | {e.element_id for e in plane.edges}
        if not (fresh - drawn):
            continue
        extent = _extent(plane)
        if extent is None:
            continue
        if cursor_y is None:
            dx = dy = 0.0
            layer = etree.SubElement(root, f"{{{SVG_NS}}}g", {"class": "plane"})
        else:
            dx = (min_x if math.isfinite(min_x) else 0.0) - extent.x
            dy = cursor_y + PLANE_GAP + 30 - extent.y
            layer = etree.SubElement(root, f"{{{SVG_NS}}}g", {"class": "plane sub-plane",
                                                               "transform": f"translate({_fmt(dx)} {_fmt(dy)})"})
            owner = doc.elements.get(plane.element_id or "")
            heading = painter.el(layer, "text", x=extent.x, y=extent.y - 12, class_="plane-title")
            heading.text = "▸ " + ((owner.name or owner.id) if owner else (plane.element_id or plane.id))
            painter.el(layer, "line", x1=extent.x, y1=extent.y - 34, x2=extent.x + extent.w, y2=extent.y - 34,
                       class_="plane-rule")
        before = dict(painter.boxes)
        painter.draw_plane(layer, plane, drawn)
        if dx or dy:
            for key, box in painter.boxes.items():
                if key not in before:
                    painter.boxes[key] = Bounds(box.x + dx, box.y + dy, box.w, box.h)
        drawn |= fresh
        min_x = min(min_x, extent.x + dx)
        min_y = min(min_y, extent.y + dy - (34 if cursor_y is not None else 0))
        max_x = max(max_x, extent.x + extent.w + dx)
        max_y = max(max_y, extent.y + extent.h + dy)
        cursor_y = max_y
    margin = 12.0
    x0, y0 = min_x - margin, min_y - margin
    width, height = (max_x - min_x) + 2 * margin, (max_y - min_y) + 2 * margin
    root.set("viewBox", f"{_fmt(x0)} {_fmt(y0)} {_fmt(width)} {_fmt(height)}")
    root.set("width", _fmt(width))
    root.set("height", _fmt(height))
    svg = etree.tostring(root, encoding="unicode")
    return RenderedDiagram(svg=svg, boxes=painter.boxes, width=width, height=height)
