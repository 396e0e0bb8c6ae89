"""``yanxiu notify``: send the e-mail outbox once, or the daily digest (the worker schedules both)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.notifications.delivery import MailSettings, deliver_once, send_digests


@click.command("notify")
@click.option("--once", is_flag=True, help="Send every due notification e-mail, then exit.")
@click.option("--digest", is_flag=True, help="Send each digest user one e-mail with their collected notifications.")
@with_appcontext
def notify_command(once: bool, digest: bool) -> None:
    """Send notification e-mail from the outbox (SMTP settings from YANXIU_SMTP_*)."""
    if once == digest:
        click.echo("请指定 --once（发送到期的通知邮件）或 --digest（发送每日汇总）之一", err=True)
        sys.exit(2)
    settings = MailSettings.from_config(current_app.config)
    if settings is None:
        click.echo("未配置邮件服务器（YANXIU_SMTP_HOST），没有发送任何邮件", err=True)
        sys.exit(2)
    report = send_digests(settings) if digest else deliver_once(settings)
    click.echo(f"已发送 {report.sent} 封，待重试 {report.retrying} 条，已放弃 {report.failed} 条")
    for error in sorted(set(report.errors))[:5]:
        click.echo(f"  错误：{error}", err=True)
    if report.failed:
        sys.exit(1)
