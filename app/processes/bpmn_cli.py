"""``yanxiu bpmn check FILE`` and ``yanxiu bpmn render FILE -o OUT.svg``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from workflows import BpmnDeployError, parse_definition
from workflows.diagram import DiagramError, check_diagram, render


@click.group("bpmn")
def bpmn_group() -> None:
    """Check and draw BPMN files."""


def check_file(path: Path, *, diagram_only: bool = False) -> list[str]:
    """Everything ``yanxiu deploy`` would refuse in ``path``, as ``file:line: message`` lines."""
    raw = path.read_bytes()
    problems = [f"{path.name}:{issue.line or '?'}: {issue.message}" for issue in check_diagram(raw)]
    if problems or diagram_only:
        return problems
    from app.processes.services import check_application_references

    dmn = {p.name: p.read_bytes() for p in sorted(path.parent.glob("*.dmn"))}
    try:
        check_application_references(parse_definition(raw, path.name, dmn))
    except BpmnDeployError as err:
        return [str(err)]
    return []


@bpmn_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--diagram-only", is_flag=True,
              help="Only check XML, references and diagram coordinates (files from other tools, not for deploy).")
@with_appcontext
def check_command(file: Path, diagram_only: bool) -> None:
    """Parse and validate FILE as deploy would; exit 1 with the reasons if it would be refused."""
    problems = check_file(file, diagram_only=diagram_only)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        click.echo(f"检查未通过：{len(problems)} 处问题", err=True)
        sys.exit(1)
    click.echo(f"{file.name}: 检查通过" + ("（仅图形与引用）" if diagram_only else "（可以部署）"))


@bpmn_group.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the SVG.")
def render_command(file: Path, output: Path) -> None:
    """Draw FILE's diagram (BPMN DI) as SVG."""
    try:
        drawing = render(file.read_bytes())
    except DiagramError as err:
        click.echo(f"{file.name}:{err.line or '?'}: {err.message}", err=True)
        sys.exit(1)
    output.write_text(drawing.svg, encoding="utf-8")
    click.echo(f"已写入 {output}（{drawing.width:.0f} × {drawing.height:.0f}）")
