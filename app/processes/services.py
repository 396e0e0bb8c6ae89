"""Deploying BPMN files as versioned process definitions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import ProcessDefinition, User
from app.processes.properties import task_property_error
from app.processes.registry import known_form_keys, known_operations
from app.processes.roles import LANE_ROLES
from workflows import BpmnDeployError, ParsedDefinition, parse_definition
from workflows.diagram import check_diagram


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    filename: str
    changed: bool


def check_application_references(parsed: ParsedDefinition) -> None:
    """Refuse lanes, form keys and service operations the application does not know."""
    for lane in LANE_ROLES.unknown(parsed.lanes):
        raise BpmnDeployError(f"车道「{lane}」不对应任何角色（可用角色代码或角色名称命名车道）",
                              filename=parsed.filename, line=parsed.lane_lines.get(lane))
    forms = known_form_keys()
    for task in parsed.user_tasks:
        form_key = task.properties.get("formKey")
        if not form_key:
            raise BpmnDeployError(f"用户任务「{task.name}」缺少 formKey 属性", filename=parsed.filename,
                                  line=parsed.lines.get(task.bpmn_id), element_id=task.bpmn_id)
        if form_key not in forms:
            raise BpmnDeployError(f"用户任务「{task.name}」的表单 {form_key} 不存在", filename=parsed.filename,
                                  line=parsed.lines.get(task.bpmn_id), element_id=task.bpmn_id)
        if not task.lane:
            raise BpmnDeployError(f"用户任务「{task.name}」不在任何车道中，无法确定办理角色",
                                  filename=parsed.filename, line=parsed.lines.get(task.bpmn_id),
                                  element_id=task.bpmn_id)
        problem = task_property_error(task.properties)
        if problem:
            raise BpmnDeployError(f"用户任务「{task.name}」：{problem}", filename=parsed.filename,
                                  line=parsed.lines.get(task.bpmn_id), element_id=task.bpmn_id)
    missing = sorted(parsed.service_operations - known_operations())
    if missing:
        raise BpmnDeployError(f"服务任务调用了未注册的操作: {', '.join(missing)}", filename=parsed.filename)


def parse_file(path: Path, dmn_files: dict[str, bytes]) -> ParsedDefinition:
    raw = path.read_bytes()
    issues = check_diagram(raw)
    if issues:
        raise BpmnDeployError(issues[0].message, filename=path.name, line=issues[0].line,
                              element_id=issues[0].element_id)
    parsed = parse_definition(raw, path.name, dmn_files)
    check_application_references(parsed)
    return parsed


def parse_directory(directory: Path) -> list[ParsedDefinition]:
    """Parse and check every ``*.bpmn`` file; raise on the first bad one, before anything is stored."""
    dmn_files = {p.name: p.read_bytes() for p in sorted(directory.glob("*.dmn"))}
    parsed = [parse_file(path, dmn_files) for path in sorted(directory.glob("*.bpmn"))]
    seen: dict[str, str] = {}
    for p in parsed:
        if p.key in seen:
            raise BpmnDeployError(f"流程 {p.key} 同时定义在 {seen[p.key]} 和 {p.filename}", filename=p.filename)
        seen[p.key] = p.filename
    return parsed


def latest_definition(key: str) -> ProcessDefinition | None:
    return db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                              .order_by(ProcessDefinition.version.desc()).limit(1)).first()


def store_definitions(parsed: list[ParsedDefinition], *, actor: User | None) -> list[DeployResult]:
    """Store each parsed definition as a new version unless its content is unchanged."""
    results = []
    for p in parsed:
        current = latest_definition(p.key)
        # Content deployed before (as any version) is a no-op, so that a version an admin uploaded
        # is not replaced by the older file in bpmn/ the next time the app starts.
        known = db.session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.key == p.key, ProcessDefinition.content_hash == p.content_hash)
            .order_by(ProcessDefinition.version.desc()).limit(1)).first()
        if known is not None:
            results.append(DeployResult(p.key, known.version, p.filename, changed=False))
            continue
        version = (current.version + 1) if current else 1
        definition = ProcessDefinition(key=p.key, version=version, name=p.name, filename=p.filename,
                                       content_hash=p.content_hash, bpmn_xml=p.bpmn_xml, spec_json=p.spec_json,
                                       deployed_by_id=actor.id if actor else None)
        db.session.add(definition)
        db.session.flush()
        audit.record("process.deploy", actor=actor, key=p.key, version=version, hash=p.content_hash[:12])
        results.append(DeployResult(p.key, version, p.filename, changed=True))
    return results


def deploy_directory(directory: Path, *, actor: User | None = None) -> list[DeployResult]:
    """Deploy every BPMN file in ``directory``: all or nothing.

    Every file is parsed and checked first; a file that fails raises :class:`BpmnDeployError` with
    the parser's message and line, and nothing is stored. The caller commits.
    """
    return store_definitions(parse_directory(directory), actor=actor)
