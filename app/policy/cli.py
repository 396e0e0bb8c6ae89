"""``yanxiu policy bind --region CODE --profile yuyao``: give a region one of the shipped profiles."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.extensions import db
from app.models import OrgUnit
from app.policy import bp
from app.policy.profiles import all_profiles
from app.policy.services import bind_profile


@bp.cli.command("bind")
@click.option("--region", required=True, help="区域根单位代码，如 YY")
@click.option("--profile", "profile_key", required=True, type=click.Choice(sorted(all_profiles())))
def bind_command(region: str, profile_key: str) -> None:
    """Store the profile's values as a new policy version of the region, effective for every term."""
    org = db.session.scalars(select(OrgUnit).where(OrgUnit.code == region, OrgUnit.parent_id.is_(None))).first()
    if org is None:
        raise click.ClickException(f"区域 {region} 不存在（须为组织树的根单位代码）")
    version = bind_profile(org.id, profile_key, actor=None)
    db.session.commit()
    click.echo(f"{org.name}：已采用 {all_profiles()[profile_key].name}，政策第 {version.version} 版")


@bp.cli.command("profiles")
def profiles_command() -> None:
    """List the shipped profiles."""
    for profile in all_profiles().values():
        click.echo(f"  {profile.key:<10} {profile.name}  {profile.document or ''}")
