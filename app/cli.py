"""The ``yanxiu`` command: every Flask command (``yanxiu db upgrade``, ``yanxiu run``) plus
``deploy`` and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from workflows import BpmnDeployError


def _create_app() -> Flask:
    from app import create_app

    return create_app()


#: Commands that read the checkout's migrations/ or bpmn/ folders (not installed as package data).
CHECKOUT_COMMANDS = frozenset({"db", "deploy", "demo"})
NOT_A_CHECKOUT = ("找不到 {path}：migrations/ 和 bpmn/ 不随软件包安装。请在代码检出目录中用 "
                  "`pip install -e .` 安装（见 docs/deployment.md 第 1 节）。")


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
@click.pass_context
def main(ctx: click.Context) -> None:
    """研修通 (yanxiu) command line."""
    if ctx.invoked_subcommand in CHECKOUT_COMMANDS:
        from app import MIGRATIONS_DIR

        if not Path(MIGRATIONS_DIR, "versions").is_dir():
            raise click.ClickException(NOT_A_CHECKOUT.format(path=MIGRATIONS_DIR))


def _deploy(directory: Path) -> int:
    from app.extensions import db
    from app.processes.services import deploy_directory

    if not any(directory.glob("*.bpmn")):
        shipped = directory == Path(current_app.config["BPMN_DIR"])
        click.echo(NOT_A_CHECKOUT.format(path=directory / "*.bpmn") if shipped
                   else f"{directory} 中没有 BPMN 文件，未做任何更改。", err=True)
        return 1
    try:
        results = deploy_directory(directory)
    except BpmnDeployError as err:
        db.session.rollback()
        click.echo(f"部署失败，未做任何更改：{err}", err=True)
        return 1
    db.session.commit()
    for r in results:
        state = "新版本" if r.changed else "未变化"
        click.echo(f"  {r.key:<28} v{r.version:<3} {state}  ({r.filename})")
    return 0


@click.command("deploy")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="BPMN directory (default: the shipped bpmn/ folder)")
@with_appcontext
def deploy_command(directory: Path | None) -> None:
    """Deploy the BPMN/DMN files as versioned process definitions (all or nothing)."""
    code = _deploy(directory or Path(current_app.config["BPMN_DIR"]))
    if code:
        sys.exit(code)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Delete the demo database and files first.")
@click.option("--no-serve", is_flag=True, help="Prepare the demo data and exit.")
@with_appcontext
def demo_command(host: str, port: int, reset: bool, no_serve: bool) -> None:
    """Create the demo organisation, users and processes on SQLite, then serve the app."""
    from flask_migrate import upgrade

    from app.demo import DEMO_PASSWORD, reset_demo_storage, seed_demo, seed_sample_applications
    from app.extensions import db
    from app.plans.demo import seed_planning_demo

    app = current_app._get_current_object()
    if reset:
        reset_demo_storage(app)
    upgrade()
    if _deploy(Path(app.config["BPMN_DIR"])):
        sys.exit(1)
    users = seed_demo()
    users += seed_planning_demo()
    db.session.commit()
    samples = seed_sample_applications()
    db.session.commit()
    from app.inspections.demo import seed_inspection_demo

    seed_inspection_demo()
    db.session.commit()
    from app.excellence.demo import seed_excellence_demo

    seed_excellence_demo()
    db.session.commit()
    click.echo("\n研修通演示环境已就绪。所有演示账号的密码均为：" + DEMO_PASSWORD + "\n")
    for username, name, role_text in users:
        click.echo(f"  {username:<16} {name:<8} {role_text}")
    if samples:
        click.echo(f"\n已创建 {samples} 份示例申报（处于不同审核阶段），新的申报请用 s1_admin 等学校管理员账号发起。")
    if no_serve:
        return
    # Timers and reminders need a worker; on the SQLite demo it runs in this process (one worker only).
    from app.jobs.worker import Worker

    Worker(app).start_thread()
    click.echo(f"\n请在浏览器打开 http://{host}:{port}/  （按 Ctrl+C 停止）\n")
    # Flask refuses app.run() inside its own CLI; the development server is Werkzeug's run_simple.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)


def register_commands(app: Flask) -> None:
    from app.directory.cli import (
        create_admin_command,
        create_term_command,
        import_orgs_command,
        import_users_command,
    )
    from app.jobs.cli import worker_command
    from app.notifications.cli import notify_command
    from app.processes.bpmn_cli import bpmn_group
    from app.serve import serve_command

    app.cli.add_command(deploy_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(bpmn_group)
    app.cli.add_command(notify_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(import_orgs_command)
    app.cli.add_command(import_users_command)
    app.cli.add_command(create_term_command)
