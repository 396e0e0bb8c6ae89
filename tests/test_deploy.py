"""Deploying BPMN files as versioned definitions: no-op, new version, pinned instances, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import deploy_command
from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.processes.services import deploy_directory
from tests.conftest import BPMN_DIR
from tests.helpers import open_task, project, start_application, valid_application
from workflows import BpmnDeployError


@pytest.fixture
def bpmn_copy(tmp_path) -> Path:
    # Only the 项目申报 file: these tests count versions and results, which other shipped files would change.
    target = tmp_path / "bpmn"
    target.mkdir()
    for path in [BPMN_DIR / "project_application.bpmn", *BPMN_DIR.glob("*.dmn")]:
        shutil.copy(path, target / path.name)
    return target


def _versions(key="project_application"):
    return list(db.session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                                   .order_by(ProcessDefinition.version)))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unchanged_files_are_a_no_op_and_changes_add_a_version(ctx, bpmn_copy):
    first = deploy_directory(bpmn_copy)
    db.session.commit()
    assert {(r.key, r.version, r.changed) for r in first} >= {("project_application", 1, True)}
    assert all(r.version == 1 and r.changed for r in first)
    again = deploy_directory(bpmn_copy)
    db.session.commit()
    assert {(r.version, r.changed) for r in again} == {(1, False)}
    _edit(bpmn_copy / "project_application.bpmn", 'name="dueDays" value="10"', 'name="dueDays" value="7"')
    third = deploy_directory(bpmn_copy)
    db.session.commit()
    # Only the edited file gets a new version; the other processes are untouched.
    assert [(r.key, r.version, r.changed) for r in third if r.changed] == [("project_application", 2, True)]
    assert _versions() == [1, 2]


def test_running_instances_stay_on_their_version(app, world, make_browser, tmp_path):
    drafter = make_browser("s6_admin")
    old_pid = start_application(app, drafter, world.orgs["YY-S6"])
    changed = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, changed)
    # Version 2 renames the city step; the running instance must keep version 1's name.
    _edit(changed / "project_application.bpmn", '<bpmn:userTask id="Task_city" name="市级审核">',
          '<bpmn:userTask id="Task_city" name="市级终审">')
    with app.app_context():
        deploy_directory(changed)
        db.session.commit()
    new_pid = start_application(app, drafter, world.orgs["YY-S6"])
    for pid in (old_pid, new_pid):
        drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
        make_browser("s6_principal").post(f"/tasks/{open_task(app, pid).id}",
                                          data={"decision": "approve", "action": "submit"})
    assert open_task(app, old_pid).name == "市级审核"
    assert open_task(app, new_pid).name == "市级终审"
    city = make_browser("city")
    for pid in (old_pid, new_pid):
        city.post(f"/tasks/{open_task(app, pid).id}", data={"decision": "approve", "action": "submit"})
        assert project(app, pid).code is not None
    with app.app_context():
        versions = {i.id: i.definition.version for i in db.session.scalars(select(ProcessInstance))}
        assert sorted(versions.values()) == [1, 2]


def test_invalid_file_is_refused_and_nothing_is_deployed(ctx, bpmn_copy):
    _edit(bpmn_copy / "project_application.bpmn", 'name="dueDays" value="10"', 'name="dueDays" value="8"')
    broken = bpmn_copy / "zz_broken.bpmn"
    broken.write_text((bpmn_copy / "project_application.bpmn").read_text(encoding="utf-8")
                      .replace('id="project_application"', 'id="other_process"')
                      .replace("<bpmn:laneSet", "<bpmn:laneSet bogus='1'", 1), encoding="utf-8")
    with pytest.raises(BpmnDeployError) as info:
        deploy_directory(bpmn_copy)
    db.session.rollback()
    assert info.value.filename == "zz_broken.bpmn" and info.value.line
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


@pytest.mark.parametrize(("old", "new", "message"), [
    ('<bpmn:lane id="Lane_principal" name="校长">', '<bpmn:lane id="Lane_principal" name="副县长">', "副县长"),
    ('<spiffworkflow:property name="formKey" value="project.draft"/>',
     '<spiffworkflow:property name="formKey" value="no.such.form"/>', "no.such.form"),
    ('serviceTaskOperator id="project.register"', 'serviceTaskOperator id="project.teleport"', "project.teleport"),
])
def test_application_references_are_checked(ctx, bpmn_copy, old, new, message):
    _edit(bpmn_copy / "project_application.bpmn", old, new)
    with pytest.raises(BpmnDeployError, match=message.replace(".", r"\.")):
        deploy_directory(bpmn_copy)


def test_cli_deploy_prints_versions_and_fails_cleanly(app, bpmn_copy):
    runner = app.test_cli_runner()
    result = runner.invoke(deploy_command, ["--dir", str(bpmn_copy)])
    assert result.exit_code == 0, result.output
    assert "project_application" in result.output and "v1" in result.output
    _edit(bpmn_copy / "project_application.bpmn", "</bpmn:process>", "</bpmn:proces>")
    result = runner.invoke(deploy_command, ["--dir", str(bpmn_copy)])
    assert result.exit_code == 1
    assert "部署失败" in result.output and "project_application.bpmn:" in result.output
    with app.app_context():
        assert _versions() == [1]


def test_cli_runner_type_is_click(app):
    assert isinstance(app.test_cli_runner(), CliRunner)
