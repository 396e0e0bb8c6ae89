"""``yanxiu create-admin``, ``yanxiu import-orgs`` and ``yanxiu import-users``: set up a fresh install.

They ask nothing interactively (CI and provisioning scripts have no terminal): the admin's password comes
from standard input (``--password-stdin``) or ``YANXIU_ADMIN_PASSWORD``. Each command is one transaction
and exits non-zero, having written nothing, when anything is wrong.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.errors import InvalidInput

OPTION_OF_FIELD = {"username": "--username", "display_name": "--display-name", "password": "password",
                   "region_code": "--region-code", "region_name": "--region-name"}


def _fail(message: str) -> None:
    from app.extensions import db

    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


@click.command("create-admin")
@click.option("--username", required=True, help="Login name of the region's 系统管理员.")
@click.option("--display-name", required=True, help="The admin's name as shown in the app.")
@click.option("--region-code", help="Code of the region's root org (required when the database has none, "
                                    "or several).")
@click.option("--region-name", help="Name of the region's root org (e.g. 余姚市教育局) when it is created.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (else YANXIU_ADMIN_PASSWORD).")
@with_appcontext
def create_admin_command(username: str, display_name: str, region_code: str | None, region_name: str | None,
                         password_stdin: bool) -> None:
    """Create the first administrator (and the region's root org if there is none)."""
    from app.directory.services import create_admin
    from app.extensions import db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("YANXIU_ADMIN_PASSWORD", "")
    if not password:
        _fail("没有密码：请用 --password-stdin 从标准输入传入，或设置环境变量 YANXIU_ADMIN_PASSWORD。")
    try:
        result = create_admin(username=username, display_name=display_name, password=password,
                              region_code=region_code, region_name=region_name)
    except InvalidInput as err:
        _fail(f"未创建管理员（{OPTION_OF_FIELD.get(err.field or '', err.field)}）：{err.message}")
    db.session.commit()
    if result.region_created:
        click.echo(f"已创建区域根单位：{result.region.name}（代码 {result.region.code}）")
    click.echo(f"已创建系统管理员 {result.user.username}（{result.user.display_name}），"
               f"区域：{result.region.name}（代码 {result.region.code}）")


@click.command("create-term")
@click.option("--region-code", required=True, help="Code of the region's root org.")
@click.option("--code", required=True, help="Term code, e.g. 2026-1.")
@click.option("--name", required=True, help="Term name, e.g. 2026学年第一学期.")
@click.option("--start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@with_appcontext
def create_term_command(region_code: str, code: str, name: str, start, end) -> None:
    """Create a region's term (学期), or correct the name and dates of an existing one."""
    from app.directory.services import define_term
    from app.extensions import db

    try:
        term, outcome = define_term(region_code, code, name, start.date(), end.date())
    except InvalidInput as err:
        _fail(f"未保存学期：{err.message}")
    db.session.commit()
    done = {"created": "已创建", "updated": "已更新", "unchanged": "无变化"}[outcome]
    click.echo(f"{done}学期 {term.code} {term.name}：{term.start_date} 至 {term.end_date}")


def _report_errors(report) -> None:
    click.echo(f"文件有 {len(report.errors)} 处错误，未导入任何内容：", err=True)
    for error in report.errors:
        click.echo(f"  第 {error.row} 行 [{error.label}]：{error.message}", err=True)


def _read(path: Path, importer):
    from app.extensions import db

    try:
        with path.open("rb") as stream:
            report = importer(stream, path.name, actor=None)
    except InvalidInput as err:
        _fail(f"无法导入 {path.name}：{err.message}")
    if not report.ok:
        db.session.rollback()
        _report_errors(report)
        sys.exit(1)
    return report


@click.command("import-orgs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_orgs_command(file: Path) -> None:
    """Create or rename the org tree from a CSV/XLSX file (see docs/templates/orgs.csv)."""
    from app.directory.services import import_orgs
    from app.extensions import db

    report = _read(file, import_orgs)
    db.session.commit()
    click.echo(f"单位导入完成：新增 {report.created}，更名 {report.updated}，无变化 {report.unchanged}")


@click.command("import-users")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the generated initial passwords to this CSV file (mode 0600) instead of printing them.")
@with_appcontext
def import_users_command(file: Path, passwords_out: Path | None) -> None:
    """Create users and their roles from a CSV/XLSX file (see docs/templates/users.csv)."""
    from app.directory.services import import_users
    from app.extensions import db

    if passwords_out is not None and passwords_out.exists():
        _fail(f"{passwords_out} 已存在：为免覆盖之前的初始密码，请换一个文件名。")
    report = _read(file, import_users)
    if passwords_out is not None:
        # Written before the commit: if the file cannot be written, no user is created without a password.
        try:
            fd = os.open(passwords_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["用户名", "姓名", "初始密码"])
                writer.writerows(report.passwords)
        except OSError as err:
            _fail(f"无法写入 {passwords_out}：{err.strerror}，未导入任何内容。")
    db.session.commit()
    click.echo(f"用户导入完成：新增 {report.created}，更新 {report.updated}，无变化 {report.unchanged}，"
               f"新增角色 {report.roles_added}")
    if not report.passwords:
        return
    if passwords_out is not None:
        click.echo(f"{len(report.passwords)} 个初始密码已写入 {passwords_out}（仅此一次，首次登录须修改）")
        return
    click.echo("初始密码（仅显示这一次，首次登录须修改）：")
    for username, name, password in report.passwords:
        click.echo(f"  {username:<20} {name:<10} {password}")
