"""Every route x every persona (role, own/other school) against the table in tests/access_matrix.py,
plus CSRF on every state-changing route."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import url_for

from tests.access_fixtures import PERSONAS, build
from tests.access_matrix import MATRIX
from tests.conftest import BPMN_DIR, FAST_HASH, Browser

DENIED = {401, 403, 404}


def _routes(app):
    rules = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, rule)
    return rules


def _method(rule, entry) -> str:
    return entry.method or ("GET" if "GET" in rule.methods else "POST")


def _allowed(response, method: str) -> bool:
    if response.status_code in DENIED:
        return False
    if response.status_code in (301, 302, 303):
        return urlsplit(response.headers["Location"]).path != "/login"
    return response.status_code < 500 or method != "GET"


def test_every_route_has_an_entry(app):
    missing = sorted(set(_routes(app)) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(_routes(app)))
    assert not missing, "routes without an access-matrix entry (add them to tests/access_matrix.py): " + ", ".join(missing)
    assert not stale, "access-matrix entries for routes that no longer exist: " + ", ".join(stale)


@pytest.fixture
def matrix_world(app):
    with app.app_context():
        ns = build(BPMN_DIR, FAST_HASH)
        from app.extensions import db

        db.session.remove()
    return ns


def probe(app, ns) -> dict[str, set[str]]:
    """Open every route as every persona; return endpoint -> personas that were served."""
    browsers = {}
    for persona, username in PERSONAS.items():
        b = Browser(app.test_client())
        if username:
            b.login(username)
        browsers[persona] = b
    rules = _routes(app)
    urls = {}
    with app.test_request_context():
        for endpoint, entry in MATRIX.items():
            if endpoint in rules:
                urls[endpoint] = url_for(endpoint, **entry.params(ns))
    # Reads first, then writes, logout last; within a write, the personas expected to be refused go first so that an
    # allowed write (which may change the record) cannot hide a refusal.
    order = sorted(urls, key=lambda ep: (ep == "auth.logout", _method(rules[ep], MATRIX[ep]) != "GET"))
    actual: dict[str, set[str]] = {}
    for endpoint in order:
        entry = MATRIX[endpoint]
        method = _method(rules[endpoint], entry)
        personas = sorted(PERSONAS, key=lambda p: p in entry.allowed)
        actual[endpoint] = set()
        for persona in personas:
            b = browsers[persona]
            r = b.get(urls[endpoint]) if method == "GET" else b.post(urls[endpoint], data=entry.data(ns))
            assert r.status_code != 500, f"{endpoint} as {persona}: 500"
            if _allowed(r, method):
                actual[endpoint].add(persona)
    return actual


def test_access_matrix(app, matrix_world):
    actual = probe(app, matrix_world)
    problems = []
    for endpoint, got in sorted(actual.items()):
        want = set(MATRIX[endpoint].allowed)
        if got != want:
            problems.append(f"{endpoint}: unexpectedly allowed {sorted(got - want)}, unexpectedly refused {sorted(want - got)}")
    assert not problems, "\n".join(problems)


def test_every_state_changing_route_needs_the_csrf_token(app, matrix_world):
    b = Browser(app.test_client())
    b.login("admin")
    rules = _routes(app)
    with app.test_request_context():
        for endpoint, rule in sorted(rules.items()):
            if not (rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
                continue
            url = url_for(endpoint, **MATRIX[endpoint].params(matrix_world))
            r = b.client.post(url, data={})
            assert r.status_code == 400, f"{endpoint} accepted a POST without CSRF token ({r.status_code})"


DOWNLOADS = ["attachments.download", "inspections.material", "rectification.evidence", "rectification.notice_download",
             "rectification.ledger_download", "credits.export", "admin.audit_export", "teachers.template",
             "activities.attendance_template", "dashboards.export", "dashboards.ledger_download"]


def test_every_download_is_an_attachment(app, matrix_world):
    """Files are never rendered by the browser in the app's origin: each download route answers with
    Content-Disposition: attachment and nosniff."""
    b = Browser(app.test_client())
    b.login("admin")
    city = Browser(app.test_client())
    city.login("city")
    with app.test_request_context():
        urls = {ep: url_for(ep, **MATRIX[ep].params(matrix_world)) for ep in DOWNLOADS}
    for endpoint, url in urls.items():
        r = (b if "admin" in MATRIX[endpoint].allowed else city).get(url)
        assert r.status_code == 200, endpoint
        assert r.headers["Content-Disposition"].startswith("attachment"), endpoint
        assert r.headers["X-Content-Type-Options"] == "nosniff"
