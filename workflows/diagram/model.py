"""Reading a BPMN 2.0 file into what a diagram needs: elements, and the shapes and edges of its planes.

Namespaces are matched by URI, never by prefix, so files written by any modelling tool read the same:
``bpmn:task`` (bpmn.io, Camunda Modeler), a default namespace (Signavio, Bizagi), or the semantic model
and the diagram (BPMN DI) in any order. A file may hold several diagrams: the main one shows the
executable process (or the collaboration it takes part in); the others are drill-downs of collapsed
subprocesses or further processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NAMESPACES = frozenset({
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
})

EVENT_KINDS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                         "boundaryEvent"})
GATEWAY_KINDS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                           "complexGateway"})
ACTIVITY_KINDS = frozenset({"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
                            "receiveTask", "manualTask", "callActivity", "subProcess", "transaction",
                            "adHocSubProcess"})
SUBPROCESS_KINDS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
DATA_KINDS = frozenset({"dataObjectReference", "dataObject", "dataStoreReference", "dataInput", "dataOutput"})
FLOW_KINDS = frozenset({"sequenceFlow", "messageFlow", "association", "dataInputAssociation",
                        "dataOutputAssociation"})
#: Model elements that must be drawn: everything a reader of the process needs to see.
DRAWABLE_KINDS = (EVENT_KINDS | GATEWAY_KINDS | ACTIVITY_KINDS | {"sequenceFlow", "messageFlow", "association"}
                  | {"lane", "participant", "textAnnotation", "group", "dataObjectReference",
                     "dataStoreReference"})


class DiagramError(Exception):
    """A file that cannot be drawn: malformed XML, no BPMN definitions, or no diagram at all."""

    def __init__(self, message: str, *, line: int | None = None, element_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.element_id = element_id

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return where + self.message


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class Element:
    """One element of the semantic model, with what the drawing needs to know about it."""

    id: str
    kind: str
    name: str
    line: int | None
    attrs: dict[str, str] = field(default_factory=dict)
    #: Local names of event definitions (``timerEventDefinition`` …); several mean a multiple event.
    event_definitions: tuple[str, ...] = ()
    #: ``loop``, ``parallel`` or ``sequential`` (multi-instance), or None.
    loop: str | None = None
    has_condition: bool = False
    #: For data object references: whether the referenced data object is a collection.
    collection: bool = False
    #: Id of the enclosing element (process, subprocess, laneSet …), for telling expanded subprocesses.
    parent: str | None = None


@dataclass
class Shape:
    element_id: str
    bounds: Bounds
    label: Bounds | None
    horizontal: bool | None
    expanded: bool | None
    marker_visible: bool | None
    line: int | None


@dataclass
class Edge:
    element_id: str
    points: list[tuple[float, float]]
    label: Bounds | None
    line: int | None


@dataclass
class Plane:
    id: str
    element_id: str | None
    shapes: list[Shape] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass
class Document:
    elements: dict[str, Element]
    planes: list[Plane]
    root: etree._Element
    #: Index into ``planes`` of the diagram to show first.
    main: int = 0
    #: The process a viewer cares about (the executable one), if any.
    process_id: str | None = None


def _local(el: etree._Element) -> tuple[str | None, str]:
    qname = etree.QName(el)
    return qname.namespace, qname.localname


def _float(el: etree._Element, name: str) -> float:
    try:
        return float(el.get(name, "0"))
    except ValueError as err:
        raise DiagramError(f"坐标 {name}=\"{el.get(name)}\" 不是数字", line=el.sourceline) from err


def _bounds(parent: etree._Element) -> Bounds | None:
    for child in parent:
        if isinstance(child.tag, str) and _local(child)[1] == "Bounds":
            return Bounds(_float(child, "x"), _float(child, "y"), _float(child, "width"), _float(child, "height"))
    return None


def _label_bounds(parent: etree._Element) -> Bounds | None:
    for child in parent:
        if isinstance(child.tag, str) and _local(child)[1] == "BPMNLabel":
            return _bounds(child)
    return None


def _bool(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() == "true"


def _text_of(el: etree._Element, localname: str) -> str:
    for child in el:
        if isinstance(child.tag, str) and _local(child) == (BPMN_NS, localname):
            return (child.text or "").strip()
    return ""


def parse_xml(raw: bytes | str) -> etree._Element:
    """Parse XML safely (no entities, no network); raise :class:`DiagramError` with the line."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    try:
        return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True,
                                                             huge_tree=False))
    except etree.XMLSyntaxError as err:
        raise DiagramError(f"XML 格式错误: {err.msg}", line=err.lineno or None) from err


def _parent_id(el: etree._Element) -> str | None:
    parent = el.getparent()
    while parent is not None:
        if parent.get("id") and _local(parent)[0] == BPMN_NS:
            return parent.get("id")
        parent = parent.getparent()
    return None


def _read_elements(root: etree._Element) -> dict[str, Element]:
    elements: dict[str, Element] = {}
    category_values: dict[str, str] = {}
    data_objects: dict[str, bool] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ns, kind = _local(el)
        if ns != BPMN_NS:
            continue
        if kind == "categoryValue" and el.get("id"):
            category_values[el.get("id", "")] = el.get("value", "")
        if kind == "dataObject" and el.get("id"):
            data_objects[el.get("id", "")] = _bool(el.get("isCollection")) or False
        if not el.get("id"):
            continue
        name = el.get("name") or ""
        if kind == "textAnnotation":
            name = _text_of(el, "text")
        children = [c for c in el if isinstance(c.tag, str) and _local(c)[0] == BPMN_NS]
        definitions = tuple(_local(c)[1] for c in children if _local(c)[1].endswith("EventDefinition"))
        definitions += tuple("eventDefinitionRef" for c in children if _local(c)[1] == "eventDefinitionRef")
        loop = None
        for c in children:
            if _local(c)[1] == "standardLoopCharacteristics":
                loop = "loop"
            elif _local(c)[1] == "multiInstanceLoopCharacteristics":
                loop = "sequential" if _bool(c.get("isSequential")) else "parallel"
        elements[el.get("id", "")] = Element(
            id=el.get("id", ""), kind=kind, name=name, line=el.sourceline,
            attrs={k: v for k, v in el.attrib.items() if isinstance(k, str) and not k.startswith("{")},
            event_definitions=definitions, loop=loop,
            has_condition=any(_local(c)[1] == "conditionExpression" for c in children),
            parent=_parent_id(el))
    for element in elements.values():
        if element.kind == "group" and not element.name:
            element.name = category_values.get(element.attrs.get("categoryValueRef", ""), "")
        if element.kind == "dataObjectReference":
            element.collection = data_objects.get(element.attrs.get("dataObjectRef", ""), False)
        if element.kind == "dataObject":
            element.collection = data_objects.get(element.id, False)
    return elements


def _read_planes(root: etree._Element) -> list[Plane]:
    planes = []
    for plane_el in root.iter():
        if not isinstance(plane_el.tag, str) or _local(plane_el)[1] != "BPMNPlane":
            continue
        if _local(plane_el)[0] not in DI_NAMESPACES:
            continue
        plane = Plane(id=plane_el.get("id", ""), element_id=plane_el.get("bpmnElement"))
        for el in plane_el.iter():
            if not isinstance(el.tag, str):
                continue
            kind = _local(el)[1]
            if kind == "BPMNShape":
                bounds = _bounds(el)
                if bounds is None:
                    raise DiagramError(f"图形 {el.get('id') or el.get('bpmnElement')} 缺少 dc:Bounds",
                                       line=el.sourceline, element_id=el.get("bpmnElement"))
                plane.shapes.append(Shape(
                    element_id=el.get("bpmnElement", ""), bounds=bounds, label=_label_bounds(el),
                    horizontal=_bool(el.get("isHorizontal")), expanded=_bool(el.get("isExpanded")),
                    marker_visible=_bool(el.get("isMarkerVisible")), line=el.sourceline))
            elif kind == "BPMNEdge":
                points = [(_float(p, "x"), _float(p, "y")) for p in el
                          if isinstance(p.tag, str) and _local(p)[1] == "waypoint"]
                plane.edges.append(Edge(element_id=el.get("bpmnElement", ""), points=points,
                                        label=_label_bounds(el), line=el.sourceline))
        planes.append(plane)
    return planes


def _main_plane(elements: dict[str, Element], planes: list[Plane]) -> tuple[int, str | None]:
    processes = [e for e in elements.values() if e.kind == "process"]
    executable = [p for p in processes if (p.attrs.get("isExecutable") or "").lower() == "true"]
    process = (executable or processes or [None])[0]
    process_id = process.id if process else None
    wanted = []
    if process_id:
        for participant in elements.values():
            if participant.kind == "participant" and participant.attrs.get("processRef") == process_id:
                wanted += [e.id for e in elements.values() if e.kind == "collaboration"]
        wanted.append(process_id)
    for target in wanted:
        for index, plane in enumerate(planes):
            if plane.element_id == target:
                return index, process_id
    # A plane that draws a participant of the process, or failing that the first one with content.
    for index, plane in enumerate(planes):
        if plane.shapes or plane.edges:
            return index, process_id
    return 0, process_id


def read_document(raw: bytes | str) -> Document:
    """Parse a BPMN file into a :class:`Document`; raise :class:`DiagramError` if it cannot be drawn."""
    root = parse_xml(raw)
    ns, kind = _local(root)
    if ns != BPMN_NS or kind != "definitions":
        raise DiagramError("根元素不是 BPMN 2.0 的 definitions（命名空间应为 " + BPMN_NS + "）",
                           line=root.sourceline)
    elements = _read_elements(root)
    planes = _read_planes(root)
    if not any(p.shapes or p.edges for p in planes):
        raise DiagramError("文件没有图形信息（BPMN DI：bpmndi:BPMNDiagram / BPMNShape），无法绘制流程图",
                           line=root.sourceline)
    main, process_id = _main_plane(elements, planes)
    return Document(elements=elements, planes=planes, root=root, main=main, process_id=process_id)
