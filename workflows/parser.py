"""Parse and validate BPMN/DMN files into deployable process definitions.

A definition is refused with the parser's message and line when the XML is malformed, does not
validate against the BPMN 2.0 schema (plus SpiffWorkflow's extension schema), references elements
that do not exist, or contains a script or condition that the restricted environment would refuse.
Nothing here touches a database: callers decide what to store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from workflows.errors import BpmnDeployError, WorkflowError
from workflows.scripting import check_script
from workflows.serializer import spec_to_json

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass(frozen=True)
class UserTaskInfo:
    """What the application needs to know about a user task before any instance runs."""

    bpmn_id: str
    name: str
    lane: str | None
    properties: Mapping[str, str]


@dataclass(frozen=True)
class ParsedDefinition:
    """A parsed, validated process: everything needed to store it as a definition version."""

    key: str
    name: str
    filename: str
    content_hash: str
    bpmn_xml: str
    spec_json: str
    user_tasks: tuple[UserTaskInfo, ...] = field(default_factory=tuple)
    lanes: frozenset[str] = frozenset()
    service_operations: frozenset[str] = frozenset()
    #: Source line of every element with an id, and of every lane by name, for error messages.
    lines: Mapping[str, int] = field(default_factory=dict)
    lane_lines: Mapping[str, int] = field(default_factory=dict)


def _xml_error(err: etree.XMLSyntaxError, filename: str) -> BpmnDeployError:
    line = err.lineno if err.lineno else None
    return BpmnDeployError(f"XML 格式错误: {err.msg}", filename=filename, line=line)


def _validation_error(err: ValidationException, filename: str) -> BpmnDeployError:
    line = err.line_number if isinstance(err.line_number, int) and err.line_number else None
    return BpmnDeployError(str(err.args[0]) if err.args else str(err), filename=filename, line=line,
                           element_id=err.id or None)


def _source_lines(root: etree._Element) -> dict[str, int]:
    return {el.get("id"): el.sourceline for el in root.iter() if isinstance(el.tag, str) and el.get("id")}


def _choose_process(parser: SpiffBpmnParser, root: etree._Element, filename: str) -> tuple[str, str]:
    """Pick the file's executable process: the only process, or the only one marked executable."""
    processes = root.findall(f".//{{{BPMN_NS}}}process")
    if not processes:
        raise BpmnDeployError("文件中没有 bpmn:process 元素", filename=filename)
    candidates = [p for p in processes if p.get("isExecutable", "false").lower() == "true"] or processes
    if len(candidates) > 1:
        ids = ", ".join(p.get("id", "?") for p in candidates)
        raise BpmnDeployError(f"文件中有多个可执行流程 ({ids})；每个文件只能部署一个主流程",
                              filename=filename, line=candidates[1].sourceline)
    process = candidates[0]
    return process.get("id", ""), process.get("name") or process.get("id", "")


def _check_scripts(spec: Any, subprocess_specs: Mapping[str, Any], lines: Mapping[str, int],
                   filename: str) -> None:
    """Compile every script and condition now, so a refused one fails the deploy, not a user's task."""
    for wf_spec in [spec, *subprocess_specs.values()]:
        for task_spec in wf_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            try:
                if isinstance(task_spec, ScriptTask):
                    check_script(task_spec.script or "")
                if isinstance(task_spec, ExclusiveGateway | InclusiveGateway):
                    for condition, _target in getattr(task_spec, "cond_task_specs", []):
                        source = condition.args[0] if condition is not None and condition.args else None
                        if isinstance(source, str):
                            check_script(source, expression=True)
                if isinstance(task_spec, CatchingEvent):
                    expression = getattr(task_spec.event_definition, "expression", None)
                    if expression:
                        check_script(expression, expression=True)
            except WorkflowError as err:
                raise BpmnDeployError(err.message, filename=filename, line=lines.get(bpmn_id or ""),
                                      element_id=bpmn_id) from err


def parse_definition(bpmn: bytes | str, filename: str,
                     dmn_files: Mapping[str, bytes | str] | None = None) -> ParsedDefinition:
    """Parse and validate one BPMN file (with the DMN files it may reference).

    Raises :class:`BpmnDeployError` with the parser's message and the offending line.
    """
    raw = bpmn.encode("utf-8") if isinstance(bpmn, str) else bpmn
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as err:
        raise _xml_error(err, filename) from err
    lines = _source_lines(root)

    parser = SpiffBpmnParser(validator=VALIDATOR)
    used_dmn: dict[str, bytes] = {}
    try:
        dmn_roots: dict[str, etree._Element] = {}
        for dmn_name, dmn_content in sorted((dmn_files or {}).items()):
            dmn_raw = dmn_content.encode("utf-8") if isinstance(dmn_content, str) else dmn_content
            try:
                dmn_roots[dmn_name] = etree.fromstring(dmn_raw)
            except etree.XMLSyntaxError as err:
                raise _xml_error(err, dmn_name) from err
            parser.add_dmn_xml(dmn_roots[dmn_name], filename=dmn_name)
            used_dmn[dmn_name] = dmn_raw
        parser.add_bpmn_xml(root, filename=filename)
        key, name = _choose_process(parser, root, filename)
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except BpmnDeployError:
        raise
    except ValidationException as err:
        raise _validation_error(err, err.file_name or filename) from err
    except SpiffWorkflowException as err:
        raise BpmnDeployError(str(err), filename=filename) from err
    except (KeyError, ValueError, TypeError, AttributeError) as err:
        raise BpmnDeployError(f"无法解析流程: {type(err).__name__}: {err}", filename=filename) from err

    _check_scripts(spec, subprocess_specs, lines, filename)

    # Only the DMN files whose decisions this process uses count towards its content hash, so that
    # editing an unrelated decision table does not create a new version of every process.
    referenced = parser.get_dmn_dependencies()
    digest = hashlib.sha256(raw)
    for dmn_name, dmn_raw in sorted(used_dmn.items()):
        decision_ids = {el.get("id") for el in dmn_roots[dmn_name].iter() if
                        isinstance(el.tag, str) and etree.QName(el).localname == "decision"}
        if decision_ids & referenced:
            digest.update(dmn_name.encode("utf-8"))
            digest.update(hashlib.sha256(dmn_raw).digest())

    user_tasks = []
    lanes = set()
    operations = set()
    for wf_spec in [spec, *subprocess_specs.values()]:
        for task_spec in wf_spec.task_specs.values():
            if isinstance(task_spec, ServiceTask):
                operations.add(task_spec.operation_name)
            if isinstance(task_spec, UserTask):
                props = dict((task_spec.extensions or {}).get("properties", {}))
                user_tasks.append(UserTaskInfo(task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id,
                                               task_spec.lane, props))
                if task_spec.lane:
                    lanes.add(task_spec.lane)

    return ParsedDefinition(
        key=key,
        name=name,
        filename=filename,
        content_hash=digest.hexdigest(),
        bpmn_xml=raw.decode("utf-8"),
        spec_json=spec_to_json(spec, subprocess_specs),
        user_tasks=tuple(user_tasks),
        lanes=frozenset(lanes),
        service_operations=frozenset(operations),
        lines=lines,
        lane_lines={el.get("name"): el.sourceline for el in root.iter(f"{{{BPMN_NS}}}lane") if el.get("name")},
    )


def definition_summary(parsed: ParsedDefinition) -> dict[str, Any]:
    """A JSON-able summary for logs and the CLI."""
    return {"key": parsed.key, "name": parsed.name, "hash": parsed.content_hash[:12],
            "user_tasks": [t.bpmn_id for t in parsed.user_tasks], "lanes": sorted(parsed.lanes)}


__all__ = ["ParsedDefinition", "UserTaskInfo", "definition_summary", "parse_definition"]
