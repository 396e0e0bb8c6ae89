"""Process versions: list with instance counts, upload a new version, diff it, migrate running instances.

An uploaded file goes through the same checks as ``yanxiu deploy`` (diagram and references, the
engine's parser and schema, the application's lanes, forms and operations) before it is stored.
Migration moves an instance to a newer version only when no step it has completed changed (see
:mod:`workflows.versions`); otherwise it is refused with the reasons. Nothing commits here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.errors import Conflict, DomainError, InvalidInput, NotFound, ProcessFailure
from app.extensions import db, engine
from app.i18n import N_
from app.models import HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, Role, TaskStatus, User
from app.processes.registry import adapter_for
from app.processes.repair import OPEN_STATES, lock_instance, require_admin
from app.processes.roles import LANE_ROLES
from app.processes.runtime import definition_ref, finish_run, load_runtime, resolve_candidate_org
from app.processes.services import check_application_references, latest_definition
from workflows import BpmnDeployError, WorkflowError, WorkflowRuntime, parse_definition
from workflows.diagram import check_diagram
from workflows.versions import (
    Blocker,
    MigrationRefused,
    SpecChanges,
    migrate,
    migration_blockers,
    spec_changes,
)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024

#: Spec attributes as administrators know them.
ATTRIBUTE_LABELS = {
    "bpmn_name": N_("名称"), "lane": N_("车道（办理角色）"), "extensions": N_("扩展属性（表单、期限等）"),
    "inputs": N_("流入连线"), "outputs": N_("流出连线"), "cond_task_specs": N_("分支条件"),
    "default_task_spec": N_("默认分支"), "script": N_("脚本"), "prescript": N_("前置脚本"),
    "postscript": N_("后置脚本"), "documentation": N_("说明"), "typename": N_("元素类型"),
    "operation_name": N_("服务操作"), "operation_params": N_("服务参数"), "event_definition": N_("事件定义"),
    "data_input_associations": N_("数据输入"), "data_output_associations": N_("数据输出"),
    "io_specification": N_("输入输出定义"), "decision_ref": N_("决策表"),
}
KIND_LABELS = {
    "UserTask": N_("用户任务"), "ServiceTask": N_("服务任务"), "ScriptTask": N_("脚本任务"),
    "BusinessRuleTask": N_("业务规则任务"), "ManualTask": N_("人工任务"), "NoneTask": N_("任务"),
    "SendTask": N_("发送任务"), "ReceiveTask": N_("接收任务"), "ExclusiveGateway": N_("排他网关"),
    "ParallelGateway": N_("并行网关"), "InclusiveGateway": N_("包容网关"), "EventBasedGateway": N_("事件网关"),
    "StartEvent": N_("开始事件"), "EndEvent": N_("结束事件"), "IntermediateCatchEvent": N_("中间捕获事件"),
    "IntermediateThrowEvent": N_("中间抛出事件"), "BoundaryEvent": N_("边界事件"),
    "SubWorkflowTask": N_("子流程"), "CallActivity": N_("调用活动"), "TransactionSubprocess": N_("事务子流程"),
}


def attribute_label(name: str) -> str:
    label = ATTRIBUTE_LABELS.get(name)
    return _(label) if label else name


def kind_label(name: str) -> str:
    label = KIND_LABELS.get(name)
    return _(label) if label else name


@dataclass(frozen=True)
class VersionRow:
    definition: ProcessDefinition
    counts: dict[InstanceStatus, int]


def list_versions(key: str) -> list[VersionRow]:
    """Every deployed version of ``key``, newest first, with its instances counted by status."""
    definitions = list(db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                          .order_by(ProcessDefinition.version.desc())))
    if not definitions:
        raise NotFound(_("流程不存在"))
    counts: dict[int, dict[InstanceStatus, int]] = {}
    for definition_id, status, n in db.session.execute(
            select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
            .where(ProcessInstance.process_key == key)
            .group_by(ProcessInstance.definition_id, ProcessInstance.status)):
        counts.setdefault(definition_id, {})[status] = n
    return [VersionRow(d, counts.get(d.id, {})) for d in definitions]


def get_version(key: str, version: int) -> ProcessDefinition:
    definition = db.session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version)).first()
    if definition is None:
        raise NotFound(_("流程版本不存在"))
    return definition


def previous_version(definition: ProcessDefinition) -> ProcessDefinition | None:
    return db.session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.key == definition.key, ProcessDefinition.version < definition.version)
        .order_by(ProcessDefinition.version.desc()).limit(1)).first()


# -- upload -------------------------------------------------------------------------------------
def upload_version(key: str, data: bytes, filename: str, *, actor: User) -> ProcessDefinition:
    """Validate an uploaded BPMN file as deploy would and store it as the next version of ``key``.

    Raises :class:`InvalidInput` (field ``file``) with the parser's message and line.
    """
    require_admin(actor)
    current = latest_definition(key)
    if current is None:
        raise NotFound(_("流程不存在"))
    name = Path(filename or "").name
    if not name.lower().endswith(".bpmn"):
        raise InvalidInput(_("请上传 .bpmn 文件"), field="file")
    if not data:
        raise InvalidInput(_("上传的文件是空的"), field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(_("文件超过 %(n)s MB", n=MAX_UPLOAD_BYTES // (1024 * 1024)), field="file")
    issues = check_diagram(data)
    if issues:
        raise InvalidInput("；".join(f"{name}:{i.line or '?'}: {i.message}" for i in issues[:5]), field="file")
    dmn = {p.name: p.read_bytes() for p in sorted(Path(current_app.config["BPMN_DIR"]).glob("*.dmn"))}
    try:
        parsed = parse_definition(data, name, dmn)
        check_application_references(parsed)
    except BpmnDeployError as err:
        raise InvalidInput(str(err), field="file") from err
    if parsed.key != key:
        raise InvalidInput(_("文件中的流程标识是 %(found)s，不是 %(key)s", found=parsed.key, key=key), field="file")
    if parsed.content_hash == current.content_hash:
        raise InvalidInput(_("文件内容与当前版本 v%(v)s 相同", v=current.version), field="file")
    definition = ProcessDefinition(key=key, version=current.version + 1, name=parsed.name, filename=name,
                                   content_hash=parsed.content_hash, bpmn_xml=parsed.bpmn_xml,
                                   spec_json=parsed.spec_json, deployed_by_id=actor.id)
    db.session.add(definition)
    db.session.flush()
    audit.record("process.upload", actor=actor, key=key, version=definition.version, filename=name,
                 hash=parsed.content_hash[:12])
    return definition


# -- diff ---------------------------------------------------------------------------------------
def version_changes(old: ProcessDefinition, new: ProcessDefinition) -> SpecChanges:
    """What ``new`` adds, removes and changes compared with ``old`` (SpiffWorkflow's SpecDiff)."""
    return spec_changes(engine.specs(definition_ref(old.id)), engine.specs(definition_ref(new.id)))


# -- migration ----------------------------------------------------------------------------------
def describe_blocker(blocker: Blocker) -> str:
    step = blocker.element.name
    if blocker.reason == "subprocess_removed":
        return _("子流程「%(step)s」在新版本中已不存在", step=step)
    if blocker.reason == "removed" and blocker.state in ("ready", "waiting"):
        return _("当前环节「%(step)s」在新版本中已被删除", step=step)
    if blocker.reason == "removed":
        return _("已完成的环节「%(step)s」在新版本中已被删除", step=step)
    what = "、".join(attribute_label(a) for a in blocker.attributes) or _("定义")
    return _("已完成的环节「%(step)s」在新版本中改变了：%(what)s", step=step, what=what)


@dataclass
class MigrationCheck:
    instance: ProcessInstance
    target: ProcessDefinition
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons


def _precheck(instance: ProcessInstance, target: ProcessDefinition) -> list[str]:
    if target.key != instance.process_key:
        return [_("目标版本属于另一个流程")]
    if instance.status not in OPEN_STATES:
        return [_("流程已结束（%(status)s），无需迁移", status=_(instance.status.label))]
    if target.version <= instance.definition.version:
        return [_("只能迁移到更新的版本（当前 v%(v)s）", v=instance.definition.version)]
    return []


def check_migration(instance: ProcessInstance, target: ProcessDefinition,
                    runtime: WorkflowRuntime | None = None) -> MigrationCheck:
    """Whether ``instance`` can move to ``target``, and if not, why (in the admin's words)."""
    reasons = _precheck(instance, target)
    if not reasons:
        runtime = runtime or load_runtime(instance, None)
        blockers = migration_blockers(runtime, engine.specs(definition_ref(target.id)))
        reasons = [describe_blocker(b) for b in blockers]
    return MigrationCheck(instance, target, reasons)


def _refresh_open_rows(instance: ProcessInstance, runtime: WorkflowRuntime) -> None:
    """Open steps that exist in both versions take the new version's name, form, properties and lane."""
    ready = {t.id: t for t in runtime.ready_human_tasks()}
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                          HumanTask.status == TaskStatus.OPEN)):
        task = ready.get(row.spiff_task_id)
        if task is None:
            continue  # no longer READY: finish_run cancels it
        row.name, row.properties, row.form_key = task.name, dict(task.properties), task.properties.get("formKey")
        role = LANE_ROLES.role_for(task.lane)
        if task.lane != row.lane and role is not None:
            row.lane, row.role = task.lane, role
            row.org_id = resolve_candidate_org(instance.school, role)
            if row.assignee is not None and not row.assignee.has_role(Role(role), row.org_id):
                row.assignee_id, row.claimed_at = None, None


def migrate_instance(instance_id: int, target_id: int, *, actor: User) -> ProcessInstance:
    """Move one instance to ``target``; raise :class:`Conflict` with the reasons when it is not safe."""
    require_admin(actor)
    instance = lock_instance(instance_id)
    target = db.session.get(ProcessDefinition, target_id)
    if target is None:
        raise NotFound(_("流程版本不存在"))
    runtime = load_runtime(instance, actor)
    check = check_migration(instance, target, runtime)
    if not check.ok:
        raise Conflict(_("不能迁移：%(reasons)s", reasons="；".join(check.reasons)))
    old_version = instance.definition.version
    try:
        migrate(runtime, engine.specs(definition_ref(target.id)), target.content_hash)
    except MigrationRefused as err:  # the state changed between check and lock; never half-migrate
        raise Conflict(_("不能迁移：%(reasons)s", reasons="；".join(describe_blocker(b) for b in err.blockers))) from err
    except WorkflowError as err:
        raise ProcessFailure(_("流程执行出错，未做任何更改：%(error)s", error=err)) from err
    instance.definition_id = target.id
    instance.definition = target
    _refresh_open_rows(instance, runtime)
    audit.record("instance.migrate", actor=actor, instance=instance, from_version=old_version,
                 to_version=target.version)
    finish_run(instance, runtime, actor, adapter_for(instance.process_key).load_record(instance))
    return instance


@dataclass
class MigrationSummary:
    migrated: list[ProcessInstance] = field(default_factory=list)
    refused: list[tuple[ProcessInstance, str]] = field(default_factory=list)


def migratable_instances(target: ProcessDefinition) -> list[ProcessInstance]:
    """Running and suspended instances of ``target``'s process on an older version."""
    return list(db.session.scalars(
        select(ProcessInstance).join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.process_key == target.key, ProcessDefinition.version < target.version,
               ProcessInstance.status.in_(OPEN_STATES)).order_by(ProcessInstance.id)))


def migrate_all(target: ProcessDefinition, *, actor: User) -> MigrationSummary:
    """Migrate every safe instance to ``target``; each one all or nothing (a savepoint), the rest refused."""
    require_admin(actor)
    summary = MigrationSummary()
    for instance in migratable_instances(target):
        try:
            with db.session.begin_nested():
                summary.migrated.append(migrate_instance(instance.id, target.id, actor=actor))
        except DomainError as err:
            summary.refused.append((instance, err.message))
    return summary
