"""``yanxiu plans open --region YY --term 2026-1 [--user admin]``: open a term's planning."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.models import User
from app.plans import bp
from app.plans.opening import open_term, term_by_code
from app.plans.services import plan_already_open, start_term_plan


def run_open(region: str, term: str, username: str, *, already, start, action: str) -> int:
    try:
        target = term_by_code(region, term)
        actor = db.session.scalars(select(User).where(User.username == username)).first()
        if actor is None:
            raise click.ClickException(f"用户 {username} 不存在")
        result = open_term(target.id, actor=actor, already=already, start=start, action=action)
    except DomainError as err:
        db.session.rollback()
        click.echo(f"未开启：{err.message}", err=True)
        return 1
    db.session.commit()
    click.echo(f"{target.name}：已开启 {len(result.started)} 所学校")
    for name, reason in result.skipped:
        click.echo(f"  跳过 {name}：{reason}")
    for name, reason in result.failed:
        click.echo(f"  失败 {name}：{reason}", err=True)
    return 0


@bp.cli.command("open")
@click.option("--region", required=True, help="区域根单位代码，如 YY")
@click.option("--term", "term_code", required=True, help="学期代码，如 2026-1")
@click.option("--user", "username", default="admin", show_default=True, help="以该用户的身份开启")
def open_command(region: str, term_code: str, username: str) -> None:
    """Start a 研修计划 draft task for every school of the region for the term."""
    code = run_open(region, term_code, username, already=plan_already_open, start=start_term_plan,
                    action="plan.open_term")
    if code:
        sys.exit(code)
