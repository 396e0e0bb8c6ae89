"""Every shipped BPMN file has diagram coordinates and passes its scenario file.

A scenario lists the user tasks in the order they must become READY and the data each one is
completed with; the state is serialised and restored between every step, as it is in production.
Service results come from the file's ``services``, overridden by the scenario's own ``services``;
a list gives the results of successive calls (e.g. a check that fails, then passes).
A step may instead move the engine's clock (``{"at": iso, "fires": [timer ids]}``: the timers due by
then fire, exactly those listed) or deliver a message (``{"message": name}``). ``start_at`` sets the
clock the scenario starts at.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from workflows import DefinitionRef, WorkflowEngine, parse_definition

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
FLOW_ELEMENTS = ("startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask",
                 "exclusiveGateway", "parallelGateway", "inclusiveGateway", "intermediateCatchEvent",
                 "intermediateThrowEvent", "boundaryEvent", "sequenceFlow", "subProcess", "callActivity",
                 "lane", "participant", "textAnnotation", "association")


def _scenario_files() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.json"))


@pytest.mark.parametrize("bpmn", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_bpmn_file_has_a_scenario_file(bpmn: Path):
    assert (SCENARIO_DIR / f"{bpmn.stem}.json").exists(), f"write tests/bpmn/scenarios/{bpmn.stem}.json"


@pytest.mark.parametrize("bpmn", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_element_has_diagram_coordinates(bpmn: Path):
    root = etree.parse(str(bpmn)).getroot()
    drawn = {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNShape", NS)}
    drawn |= {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    ids = {el.get("id") for tag in FLOW_ELEMENTS for el in root.iterfind(f".//bpmn:{tag}", NS)}
    assert ids and not (ids - drawn), f"elements without DI: {sorted(ids - drawn)}"


def _cases():
    for path in _scenario_files():
        spec = json.loads(path.read_text(encoding="utf-8"))
        for scenario in spec["scenarios"]:
            yield pytest.param(spec, scenario, id=f"{path.stem}: {scenario['name']}")


@pytest.mark.parametrize(("spec", "scenario"), list(_cases()))
def test_scenario(spec: dict, scenario: dict):
    dmn = {p.name: p.read_bytes() for p in BPMN_DIR.glob("*.dmn")}
    parsed = parse_definition((BPMN_DIR / spec["bpmn"]).read_bytes(), spec["bpmn"], dmn)
    definition = DefinitionRef(parsed.content_hash, parsed.spec_json)
    calls: list[str] = []
    results = {**spec.get("services", {}), **scenario.get("services", {})}

    def services(operation, params, data):
        calls.append(operation)
        result = results.get(operation, {})
        if isinstance(result, list):
            return result[min(calls.count(operation), len(result)) - 1]
        return result

    clock = [datetime.fromisoformat(scenario.get("start_at", "2026-01-05T09:00:00+08:00"))]
    engine = WorkflowEngine(now=lambda: clock[0])
    runtime = engine.start(definition, scenario.get("start", {}), services=services)
    for number, step in enumerate(scenario["steps"], 1):
        runtime = engine.load(definition, runtime.dumps(), engine.serializer_version, services=services)
        if "at" in step:
            clock[0] = datetime.fromisoformat(step["at"])
            fired = sorted(t.bpmn_id for t in runtime.refresh_timers())
            assert fired == sorted(step.get("fires", [])), f"step {number}: fired {fired}"
            continue
        if "message" in step:
            assert runtime.catch_message(step["message"]), f"step {number}: nobody waits for {step['message']}"
            continue
        ready = {t.bpmn_id: t for t in runtime.ready_human_tasks()}
        assert step["task"] in ready, f"step {number}: expected {step['task']} READY, got {sorted(ready)}"
        runtime.complete(ready[step["task"]].id, step.get("data", {}))
    assert runtime.is_completed, f"still waiting at {[t.bpmn_id for t in runtime.ready_human_tasks()]}"
    assert runtime.reached_end_events()[-1] == scenario["end"]
    assert calls == scenario["service_calls"]
