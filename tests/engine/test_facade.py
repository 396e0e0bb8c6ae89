"""The engine facade on its own: no Flask, no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows import DefinitionRef, TaskNotReady, WorkflowEngine, WorkflowError, parse_definition

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "project_application.bpmn"


@pytest.fixture(scope="module")
def definition() -> DefinitionRef:
    parsed = parse_definition(BPMN.read_bytes(), BPMN.name)
    return DefinitionRef(parsed.content_hash, parsed.spec_json)


def test_workflows_package_never_imports_flask():
    root = Path(__file__).resolve().parents[2] / "workflows"
    for source in root.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "import flask" not in text and "from flask" not in text, source.name
        assert "from app" not in text and "import app" not in text, source.name


def test_parse_reports_key_lanes_user_tasks_and_operations():
    parsed = parse_definition(BPMN.read_bytes(), BPMN.name)
    assert parsed.key == "project_application"
    assert parsed.name == "项目申报"
    assert parsed.lanes == {"学校管理员", "校长", "乡镇审核员", "市级审核员"}
    assert {t.bpmn_id for t in parsed.user_tasks} == {"Task_draft", "Task_principal", "Task_township", "Task_city"}
    assert parsed.service_operations == {"project.register"}
    assert len(parsed.content_hash) == 64


def test_state_round_trip_keeps_position_and_data(definition):
    engine = WorkflowEngine()
    runtime = engine.start(definition, {"project_id": 3, "school_is_direct": False})
    draft = runtime.ready_human_tasks()[0]
    state = runtime.dumps()
    assert "spec_ref" in json.loads(state)
    restored = WorkflowEngine().load(definition, state, engine.serializer_version)
    assert [t.id for t in restored.ready_human_tasks()] == [draft.id]
    restored.complete(draft.id, {})
    assert [t.bpmn_id for t in restored.ready_human_tasks()] == ["Task_principal"]
    assert restored.task_data(restored.ready_human_tasks()[0].id)["project_id"] == 3


def test_state_does_not_embed_the_spec(definition):
    runtime = WorkflowEngine().start(definition, {"project_id": 1, "school_is_direct": False})
    dct = json.loads(runtime.dumps())
    assert "spec" not in dct and "subprocess_specs" not in dct


def test_completing_a_task_twice_is_refused(definition):
    engine = WorkflowEngine()
    runtime = engine.start(definition, {"project_id": 1, "school_is_direct": False})
    draft = runtime.ready_human_tasks()[0]
    runtime.complete(draft.id, {})
    with pytest.raises(TaskNotReady):
        runtime.complete(draft.id, {})


def test_unknown_serializer_version_is_refused(definition):
    engine = WorkflowEngine()
    state = engine.start(definition, {"project_id": 1, "school_is_direct": False}).dumps()
    with pytest.raises(WorkflowError):
        engine.load(definition, state, "spiff-1.5/yx-0")


def test_service_task_calls_the_injected_handler(definition):
    calls = []

    def handler(operation, params, data):
        calls.append((operation, dict(params)))
        return {"code": "XM20260001"}

    engine = WorkflowEngine()
    runtime = engine.start(definition, {"project_id": 42, "school_is_direct": True}, services=handler)
    runtime.complete(runtime.ready_human_tasks()[0].id, {})
    runtime.complete(runtime.ready_human_tasks()[0].id, {"principal_decision": "approve"})
    assert [t.bpmn_id for t in runtime.ready_human_tasks()] == ["Task_city"]  # 直属: no township step
    runtime.complete(runtime.ready_human_tasks()[0].id, {"city_decision": "approve"})
    assert runtime.is_completed
    assert calls == [("project.register", {"project_id": 42})]
    assert runtime.data["registration"] == {"code": "XM20260001"}
    assert runtime.reached_end_events() == ["End_approved"]
    assert [s.bpmn_id for s in runtime.steps] == ["Service_register", "End_approved"]


def test_service_failure_surfaces_the_real_error(definition):
    def handler(operation, params, data):
        raise RuntimeError("编号服务不可用")

    runtime = WorkflowEngine().start(definition, {"project_id": 1, "school_is_direct": True}, services=handler)
    runtime.complete(runtime.ready_human_tasks()[0].id, {})
    runtime.complete(runtime.ready_human_tasks()[0].id, {"principal_decision": "approve"})
    with pytest.raises(WorkflowError, match="编号服务不可用"):
        runtime.complete(runtime.ready_human_tasks()[0].id, {"city_decision": "approve"})
