"""Deploy-time validation: the parser's message and line for each kind of broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows import BpmnDeployError, parse_definition

GOOD = (Path(__file__).resolve().parents[2] / "bpmn" / "project_application.bpmn").read_text(encoding="utf-8")


def test_malformed_xml_reports_the_line():
    broken = GOOD.replace('<bpmn:userTask id="Task_principal" name="校长审核签字">',
                          '<bpmn:userTask id="Task_principal" name="校长审核签字"', 1)
    with pytest.raises(BpmnDeployError) as info:
        parse_definition(broken, "broken.bpmn")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if 'id="Task_principal"' in text)
    assert info.value.filename == "broken.bpmn"
    assert info.value.line is not None and abs(info.value.line - line) <= 1
    assert "XML" in info.value.message


def test_schema_violation_reports_the_line():
    broken = GOOD.replace('<bpmn:startEvent id="StartEvent_apply" name="发起申报">',
                          '<bpmn:startEvent id="StartEvent_apply" name="发起申报" bogus="1">', 1)
    with pytest.raises(BpmnDeployError) as info:
        parse_definition(broken, "schema.bpmn")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if 'bogus="1"' in text)
    assert info.value.line == line
    assert "bogus" in info.value.message


def test_flow_to_a_missing_element_is_refused():
    broken = GOOD.replace('sourceRef="Service_register" targetRef="End_approved"',
                          'sourceRef="Service_register" targetRef="End_missing"', 1)
    with pytest.raises(BpmnDeployError) as info:
        parse_definition(broken, "ref.bpmn")
    assert "End_missing" in str(info.value)


def test_forbidden_condition_is_refused_at_deploy_with_its_line():
    broken = GOOD.replace('principal_decision == "approve"</bpmn:conditionExpression>',
                          'principal_decision.__class__ == "approve"</bpmn:conditionExpression>', 1)
    with pytest.raises(BpmnDeployError) as info:
        parse_definition(broken, "script.bpmn")
    assert "不被允许" in info.value.message
    assert info.value.element_id == "Gateway_principal"
    assert info.value.line is not None


def test_file_without_a_process_is_refused():
    with pytest.raises(BpmnDeployError, match="bpmn:process"):
        parse_definition('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                         'id="d" targetNamespace="x"/>', "empty.bpmn")


def test_changing_the_file_changes_the_hash():
    a = parse_definition(GOOD, "a.bpmn")
    b = parse_definition(GOOD.replace('value="10"', 'value="12"', 1), "a.bpmn")
    assert a.content_hash != b.content_hash
    assert parse_definition(GOOD, "a.bpmn").content_hash == a.content_hash
