"""The facade's rewind: back to an earlier user task where the workflow's shape allows it, refused
with a reason where it does not (parallel branches, service tasks that already ran)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bpmn.fixtures.shapes import parallel_process, service_process
from workflows import DefinitionRef, RewindRefused, WorkflowEngine, parse_definition

ROOT = Path(__file__).resolve().parents[2]


def _start(xml: str, name: str, data: dict | None = None, services=None):
    parsed = parse_definition(xml, name)
    engine = WorkflowEngine()
    ref = DefinitionRef(parsed.content_hash, parsed.spec_json)
    return engine, ref, engine.start(ref, data or {}, services=services)


def _ready(runtime) -> dict[str, str]:
    return {t.bpmn_id: t.id for t in runtime.ready_human_tasks()}


def test_rewind_to_an_earlier_step_reopens_it_with_its_data_and_lists_what_is_undone():
    path = ROOT / "bpmn" / "project_application.bpmn"
    engine, ref, rt = _start(path.read_text(encoding="utf-8"), path.name, {"project_id": 1, "school_is_direct": False},
                             services=lambda *a: {})
    draft = _ready(rt)["Task_draft"]
    rt.complete(draft, {"note": "v1"})
    principal = _ready(rt)["Task_principal"]
    rt.complete(principal, {"principal_decision": "approve"})
    township = _ready(rt)["Task_township"]

    rt = engine.load(ref, rt.dumps(), engine.serializer_version, services=lambda *a: {})
    plan = rt.rewind_to(draft)
    assert plan.rolled_back == (principal,) and plan.open_tasks == (township,)
    assert _ready(rt) == {"Task_draft": draft}
    assert "principal_decision" not in rt.task_data(draft)  # decisions after the step no longer count
    rt.complete(draft, {})
    assert list(_ready(rt)) == ["Task_principal"]


def test_rewind_refuses_a_target_that_is_not_completed():
    path = ROOT / "bpmn" / "project_application.bpmn"
    _e, _r, rt = _start(path.read_text(encoding="utf-8"), path.name, {"project_id": 1, "school_is_direct": False},
                        services=lambda *a: {})
    with pytest.raises(RewindRefused) as err:
        rt.plan_rewind(_ready(rt)["Task_draft"])
    assert err.value.reason == "not_completed"


def test_rewind_across_a_parallel_split_is_refused():
    _e, _r, rt = _start(parallel_process(), "parallel.bpmn")
    draft = _ready(rt)["Task_draft"]
    rt.complete(draft, {"d0": "approve"})
    assert set(_ready(rt)) == {"Task_a", "Task_b"}
    with pytest.raises(RewindRefused) as err:
        rt.rewind_to(draft)
    assert err.value.reason == "parallel"
    assert set(_ready(rt)) == {"Task_a", "Task_b"}  # nothing changed


def test_rewind_across_a_service_task_that_ran_is_refused():
    calls = []
    _e, _r, rt = _start(service_process(), "service.bpmn", services=lambda op, params, data: calls.append(op) or {})
    draft = _ready(rt)["Task_draft"]
    rt.complete(draft, {})
    assert calls == ["test.op"]
    with pytest.raises(RewindRefused) as err:
        rt.plan_rewind(draft)
    assert err.value.reason == "side_effect"
