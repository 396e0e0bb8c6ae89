"""Structural checks a BPMN file must pass before it is drawn or deployed.

These come before the engine's parser on purpose: SpiffWorkflow reports a dangling ``sourceRef`` or a
missing diagram with a bare ``KeyError`` or not at all, while an administrator needs to read which
element on which line is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from workflows.diagram.model import (
    BPMN_NS,
    DI_NAMESPACES,
    DRAWABLE_KINDS,
    SUBPROCESS_KINDS,
    DiagramError,
    read_document,
)

#: Attributes whose value is the id of another element of the same file.
REF_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "processRef", "default", "dataObjectRef",
                  "dataStoreRef", "categoryValueRef", "messageRef", "signalRef", "errorRef", "escalationRef")
#: Child elements whose text is the id of another element.
REF_ELEMENTS = ("flowNodeRef", "incoming", "outgoing", "sourceRef", "targetRef")


@dataclass(frozen=True)
class DiagramIssue:
    message: str
    line: int | None = None
    element_id: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return where + self.message


def _local_ref(value: str) -> str:
    # QName references may carry a prefix (tns:Message_1); ids never contain a colon.
    return value.strip().split(":")[-1]


def _references(root: etree._Element, ids: set[str]) -> list[DiagramIssue]:
    issues = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        qname = etree.QName(el)
        if qname.namespace == BPMN_NS:
            owner = el.get("id") or ""
            for attr in REF_ATTRIBUTES:
                value = el.get(attr)
                if value and _local_ref(value) not in ids:
                    issues.append(DiagramIssue(
                        f"{qname.localname}「{owner or '?'}」的 {attr} 指向不存在的元素「{value}」",
                        el.sourceline, owner or None))
            if qname.localname in REF_ELEMENTS and el.text and _local_ref(el.text) not in ids:
                parent = el.getparent()
                owner = parent.get("id", "?") if parent is not None else "?"
                issues.append(DiagramIssue(f"「{owner}」的 {qname.localname} 指向不存在的元素「{el.text.strip()}」",
                                           el.sourceline, owner))
        elif qname.namespace in DI_NAMESPACES and qname.localname in ("BPMNShape", "BPMNEdge", "BPMNPlane"):
            ref = el.get("bpmnElement")
            if ref and _local_ref(ref) not in ids:
                issues.append(DiagramIssue(f"图形「{el.get('id', '?')}」的 bpmnElement 指向不存在的元素「{ref}」",
                                           el.sourceline, el.get("id")))
    return issues


def check_diagram(raw: bytes | str) -> list[DiagramIssue]:
    """Every problem that keeps the file from being drawn faithfully, in file order.

    Malformed XML, a root that is not BPMN, references to ids that do not exist, no diagram
    interchange (BPMN DI) at all, elements without a shape or edge, edges without two waypoints.
    """
    try:
        doc = read_document(raw)
    except DiagramError as err:
        return [DiagramIssue(err.message, err.line, err.element_id)]
    ids = set(doc.elements)
    issues = _references(doc.root, ids)
    drawn = {s.element_id for p in doc.planes for s in p.shapes} | {e.element_id for p in doc.planes for e in p.edges}
    collapsed = {s.element_id for p in doc.planes for s in p.shapes if s.expanded is False}
    for element in doc.elements.values():
        if element.kind not in DRAWABLE_KINDS or element.id in drawn:
            continue
        # Children of a collapsed subprocess may legitimately be drawn nowhere (older tools).
        parent = doc.elements.get(element.parent or "")
        if parent is not None and parent.kind in SUBPROCESS_KINDS and parent.id in collapsed:
            continue
        issues.append(DiagramIssue(f"{element.kind}「{element.name or element.id}」没有图形坐标（BPMN DI）",
                                   element.line, element.id))
    for plane in doc.planes:
        for edge in plane.edges:
            if len(edge.points) < 2:
                issues.append(DiagramIssue(f"连线「{edge.element_id}」的坐标点少于两个", edge.line, edge.element_id))
    return sorted(issues, key=lambda i: (i.line or 0, i.message))
