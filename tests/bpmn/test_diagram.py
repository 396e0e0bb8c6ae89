"""Server-side diagrams: every shipped and test BPMN file draws to well-formed SVG with every element,
in the shapes different modelling tools write; states overlay; broken files are refused with reasons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from workflows.diagram import check_diagram, overlay, render, render_svg
from workflows.diagram.text import text_width, wrap

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "render_cases"
FILES = sorted(ROOT.glob("bpmn/*.bpmn")) + sorted(CASES.glob("*.bpmn"))
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SVG = "{http://www.w3.org/2000/svg}"
DRAWN_KINDS = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
               "manualTask", "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent",
               "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
               "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
               "sequenceFlow", "messageFlow", "association", "lane", "participant", "textAnnotation", "group",
               "dataObjectReference", "dataStoreReference"}


def _model_ids(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    return {el.get("id") for el in root.iter() if isinstance(el.tag, str)
            and etree.QName(el).namespace == BPMN and etree.QName(el).localname in DRAWN_KINDS}


def _svg(raw) -> etree._Element:
    return etree.fromstring(render_svg(raw).encode("utf-8"))


def _group(svg: etree._Element, element_id: str) -> etree._Element:
    found = svg.findall(f".//{SVG}g[@data-element-id='{element_id}']")
    assert len(found) == 1, f"{element_id}: drawn {len(found)} times"
    return found[0]


def test_the_test_set_covers_every_tool_shape():
    names = {p.name for p in CASES.glob("*.bpmn")}
    assert {"catalogue_bpmnio.bpmn", "signavio_nested_lanes.bpmn", "trisotech_pools.bpmn",
            "several_diagrams.bpmn"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_draws_well_formed_svg_with_every_element(path: Path):
    svg = _svg(path.read_bytes())
    assert svg.tag == f"{SVG}svg"
    drawn = [g.get("data-element-id") for g in svg.iter(f"{SVG}g") if g.get("data-element-id")]
    assert len(drawn) == len(set(drawn)), "an element is drawn twice"
    missing = _model_ids(path) - set(drawn)
    assert not missing, f"not drawn: {sorted(missing)}"
    # No script and no event handlers: the SVG is inlined into pages.
    assert not svg.findall(f".//{SVG}script")
    assert not [a for el in svg.iter() for a in el.attrib if a.lower().startswith("on")]
    assert not check_diagram(path.read_bytes())


def test_prefixes_do_not_matter():
    """The same process written with a default namespace and with a prefix draws the same elements."""
    prefixed = (CASES / "signavio_nested_lanes.bpmn").read_text(encoding="utf-8")
    renamed = (prefixed.replace('xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"',
                                'xmlns:b="http://www.omg.org/spec/BPMN/20100524/MODEL"'))
    renamed = re.sub(r"<(/?)(?!bpmndi:|omgdc:|omgdi:|\?|!)([A-Za-z]+)", r"<\1b:\2", renamed)
    first, second = _svg(prefixed), _svg(renamed)
    ids = lambda svg: sorted(g.get("data-element-id") for g in svg.iter(f"{SVG}g") if g.get("data-element-id"))  # noqa: E731
    assert ids(first) == ids(second) and len(ids(first)) > 15


def test_nested_lanes_are_drawn_inside_their_parents():
    svg = _svg((CASES / "signavio_nested_lanes.bpmn").read_bytes())

    def rect(element_id):
        r = _group(svg, element_id).find(f"{SVG}rect")
        return [float(r.get(k)) for k in ("x", "y", "width", "height")]

    outer, inner, innermost = rect("sid-lane-bureau"), rect("sid-lane-town"), rect("sid-lane-town-staff")
    for parent, child in ((outer, inner), (inner, innermost)):
        assert parent[0] < child[0] and parent[1] <= child[1]
        assert child[0] + child[2] <= parent[0] + parent[2] and child[1] + child[3] <= parent[1] + parent[3]
    # A Chinese lane name is stacked upright, one character per line; an English one is rotated.
    assert [t.text for t in _group(svg, "sid-lane-principal").iter(f"{SVG}tspan")] == ["校", "长"]
    assert "rotate(-90" in etree.tostring(_group(svg, "sid-lane-town-staff"), encoding="unicode")


def test_long_chinese_names_wrap_inside_the_task():
    svg = _svg((CASES / "signavio_nested_lanes.bpmn").read_bytes())
    lines = [t.text for t in _group(svg, "sid-draft").iter(f"{SVG}tspan")]
    assert len(lines) >= 3
    assert "".join(lines).replace("…", "") in "编制本学期校本研修计划（含活动安排、经费预算与考核方式）"
    assert all(text_width(line, 12) <= 100 - 10 for line in lines)
    assert not any(line[0] in "，、）" for line in lines)


def test_wrapping_keeps_punctuation_and_words_together():
    # A closing mark hangs at the end of the line (行尾悬挂) rather than starting the next one.
    assert wrap("审核通过，请立项", 4 * 12, 12) == ["审核通过，", "请立项"]
    assert wrap("（市级）审核", 3 * 12 + 1, 12)[0] != "（"
    assert wrap("Review the plan", 60, 12) == ["Review", "the plan"]


def test_several_diagrams_show_the_executable_process_first():
    svg = _svg((CASES / "several_diagrams.bpmn").read_bytes())
    planes = svg.findall(f"{SVG}g")
    assert "sub-plane" not in planes[0].get("class")
    assert planes[0].find(f".//{SVG}g[@data-element-id='main_task']") is not None
    assert planes[1].find(f".//{SVG}g[@data-element-id='helper_script']") is not None


def test_notation_markers():
    svg = _svg((CASES / "catalogue_bpmnio.bpmn").read_bytes())
    assert "non-interrupting" in _group(svg, "Boundary_message").get("class")
    assert "non-interrupting" not in _group(svg, "Boundary_timer").get("class")
    assert "event-sub" in _group(svg, "Sub_event").get("class")
    assert "expanded" in _group(svg, "Sub_expanded").get("class")
    assert "expanded" not in _group(svg, "Sub_collapsed").get("class")
    # The drill-down plane of the collapsed subprocess is drawn below the main one.
    assert svg.find(f".//{SVG}g[@class='plane sub-plane']//{SVG}g[@data-element-id='Sub_c_task']") is not None
    # Default flow: slash mark; conditional flow out of a task: diamond; message flow: dashed with a circle.
    assert _group(svg, "Flow_g_default").find(f"{SVG}line") is not None
    assert len(_group(svg, "Flow_cond_from_task").findall(f"{SVG}polygon")) == 2
    pools = _svg((CASES / "trisotech_pools.bpmn").read_bytes())
    assert _group(pools, "tri-msg-report").find(f"{SVG}circle") is not None
    # Throwing events have filled markers, catching ones outlined.
    assert "filled" in _group(svg, "End_message").find(f"{SVG}path").get("class")
    assert "filled" not in _group(svg, "Catch_message").find(f"{SVG}path").get("class")


def test_overlay_highlights_states_scoped_to_the_drawing():
    drawing = render((ROOT / "bpmn" / "project_application.bpmn").read_bytes())
    svg = overlay(drawing, {"completed": ["Task_draft"], "active": ["Task_principal"], "taken": ["Flow_start"]},
                  dom_id="d1", notes={"Task_principal": "待 <校长> 办理"}, counts={"Task_draft": 2})
    root = etree.fromstring(svg.encode("utf-8"))
    assert root.get("id") == "d1"
    style = root.find(f"{SVG}style").text
    assert '#d1 [data-element-id="Task_draft"] > .shape' in style
    assert '#d1 [data-element-id="Flow_start"] > .line' in style
    assert "×2" in svg and root.find(f".//{SVG}rect[@class='ov-note']/{SVG}title").text == "待 <校长> 办理"
    with pytest.raises(ValueError):
        overlay(drawing, {}, dom_id="x\"><script>")
    assert drawing.svg.count("#d1") == 0, "the cached drawing must not change"


def _broken(old: str, new: str) -> bytes:
    text = (ROOT / "bpmn" / "project_application.bpmn").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def test_check_reports_malformed_xml_with_its_line():
    issues = check_diagram(_broken("</bpmn:process>", "</bpmn:proces>"))
    assert len(issues) == 1 and "XML" in issues[0].message and issues[0].line and issues[0].line > 150


def test_check_reports_missing_diagram_coordinates():
    issues = check_diagram(_broken('<bpmndi:BPMNShape id="Task_city_di" bpmnElement="Task_city">',
                                   '<bpmndi:BPMNShape id="Task_city_di" bpmnElement="Task_cityX">'))
    messages = " ".join(i.message for i in issues)
    assert "Task_cityX" in messages and "市级审核" in messages and "没有图形坐标" in messages
    no_di = re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "",
                   (ROOT / "bpmn" / "project_application.bpmn").read_text(encoding="utf-8"), flags=re.S)
    assert "没有图形信息" in check_diagram(no_di)[0].message


def test_check_reports_unknown_references():
    issues = check_diagram(_broken('sourceRef="Task_draft" targetRef="Task_principal"',
                                   'sourceRef="Task_draft" targetRef="Task_nowhere"'))
    assert any("Task_nowhere" in i.message and i.element_id == "Flow_to_principal" and i.line for i in issues)


def test_cli_check_and_render(app, tmp_path):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["bpmn", "check", str(ROOT / "bpmn" / "project_application.bpmn")])
    assert good.exit_code == 0 and "检查通过" in good.output
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(_broken('targetRef="Task_principal"', 'targetRef="Task_nowhere"'))
    result = runner.invoke(args=["bpmn", "check", str(bad)])
    assert result.exit_code == 1 and "bad.bpmn:" in result.output and "Task_nowhere" in result.output
    # A file the engine rejects (the schema wants DI after the processes) is refused with the parser's line.
    strict = runner.invoke(args=["bpmn", "check", str(CASES / "trisotech_pools.bpmn")])
    assert strict.exit_code == 1 and "trisotech_pools.bpmn:" in strict.output
    loose = runner.invoke(args=["bpmn", "check", "--diagram-only", str(CASES / "trisotech_pools.bpmn")])
    assert loose.exit_code == 0
    out = tmp_path / "out.svg"
    drawn = runner.invoke(args=["bpmn", "render", str(CASES / "catalogue_bpmnio.bpmn"), "-o", str(out)])
    assert drawn.exit_code == 0, drawn.output
    assert etree.parse(str(out)).getroot().tag == f"{SVG}svg"
    nodi = tmp_path / "nodi.bpmn"
    nodi.write_text(re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "",
                           (ROOT / "bpmn" / "project_application.bpmn").read_text(encoding="utf-8"), flags=re.S))
    failed = runner.invoke(args=["bpmn", "render", str(nodi), "-o", str(tmp_path / "x.svg")])
    assert failed.exit_code == 1 and "没有图形信息" in failed.output
