"""Alembic: one head, and `upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Config

from app import MIGRATIONS_DIR
from app.extensions import db


def test_single_head():
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_upgraded_schema_matches_the_models(ctx):
    # The session fixture built this database with `alembic upgrade head`.
    with db.engine.connect() as connection:
        migration_context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(migration_context, db.metadata)
    assert diff == []


def test_migration_files_have_dated_names():
    from pathlib import Path

    names = [p.name for p in (Path(MIGRATIONS_DIR) / "versions").glob("*.py")]
    assert names and all(name[:8].isdigit() and name[8] == "_" for name in names)
