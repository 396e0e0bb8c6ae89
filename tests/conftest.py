"""Test fixtures.

The suite runs on SQLite by default and on PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set
(e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). The schema is built once per run with
``alembic upgrade head``, so every run exercises the migrations. Tests commit for real (the
concurrency tests need separate connections), and every table is emptied after each test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, select, text

from app import create_app
from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from app.models import OrgUnit, User
from app.processes.services import deploy_directory

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"
FAST_HASH = "pbkdf2:sha256:1"  # test users only: real hashing would dominate the suite's run time


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("YANXIU_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def _drop_everything() -> None:
    meta = MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    files = tmp_path_factory.mktemp("files")
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "ATTACHMENT_ROOT": str(files),
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "localhost",
    })
    with application.app_context():
        _drop_everything()
        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    yield
    with app.app_context():
        db.session.rollback()
        _empty_tables()
        db.session.remove()
    # Emptied tables hand out the same ids again; caches keyed by id must not outlive the test.
    from app.processes import diagrams, runtime

    runtime._definition_hashes.clear()
    diagrams.clear_caches()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def world(app: Flask) -> SimpleNamespace:
    """The demo organisation and users, with the shipped BPMN deployed. Returns ids, not objects."""
    with app.app_context():
        seed_demo(password_method=FAST_HASH)
        deploy_directory(BPMN_DIR)
        db.session.commit()
        orgs = {o.code: o.id for o in db.session.scalars(select(OrgUnit))}
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        db.session.remove()
    return SimpleNamespace(orgs=orgs, users=users, password=DEMO_PASSWORD)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A test client that logs in and sends the CSRF token like a browser would."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self._token: str | None = None

    def _fetch_token(self) -> str:
        page = self.client.get("/login") if self._token is None else None
        if page is not None and page.status_code == 200:
            match = CSRF_RE.search(page.get_data(as_text=True))
            if match:
                return match.group(1)
        page = self.client.get("/account/password")
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self._fetch_token()
        return self._token

    def login(self, username: str, password: str = DEMO_PASSWORD):
        response = self.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    @staticmethod
    def _buffered(response):
        # Read and close at once: file downloads are streamed and would otherwise leak handles.
        response.get_data()
        response.close()
        return response

    def get(self, url: str, **kwargs):
        return self._buffered(self.client.get(url, **kwargs))

    def post(self, url: str, data: dict | None = None, **kwargs):
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.token)
        return self._buffered(self.client.post(url, data=payload, **kwargs))


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def make_browser(app: Flask):
    """Factory for several independent logged-in users in one test."""
    def make(username: str | None = None) -> Browser:
        b = Browser(app.test_client())
        if username:
            b.login(username)
        return b
    return make
