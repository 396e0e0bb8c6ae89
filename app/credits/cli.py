"""``yanxiu credits open --region YY --term 2026-1``: open credit recognition for every school."""

from __future__ import annotations

import sys

import click

from app.credits import bp
from app.credits.services import batch_already_open, start_batch_for
from app.plans.cli import run_open


@bp.cli.command("open")
@click.option("--region", required=True, help="区域根单位代码，如 YY")
@click.option("--term", "term_code", required=True, help="学期代码，如 2026-1")
@click.option("--user", "username", default="admin", show_default=True, help="以该用户的身份开启")
def open_command(region: str, term_code: str, username: str) -> None:
    """Generate credit records from attendance and start 学分认定与登记 for every school."""
    code = run_open(region, term_code, username, already=batch_already_open, start=start_batch_for,
                    action="credit.open_term")
    if code:
        sys.exit(code)
