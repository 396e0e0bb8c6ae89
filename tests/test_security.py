"""Production mode, login rate limit, security headers, passwords and the health endpoint."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import LoginFailure, User
from tests.helpers import field_errors

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = "登录失败次数过多，请 15 分钟后再试"


def _post_login(browser, username, password, address="10.0.0.1"):
    return browser.post("/login", data={"username": username, "password": password},
                        environ_base={"REMOTE_ADDR": address})


def test_account_is_blocked_after_five_failures_until_the_window_passes(app, world, make_browser):
    with use_clock(FrozenClock()) as clock:
        b = make_browser()
        for _ in range(5):
            r = _post_login(b, "s1_admin", "wrong-guess1")
            assert r.status_code == 422
        # The right password is refused too while the account is blocked, with the wait stated.
        r = _post_login(b, "s1_admin", world.password, address="10.0.0.2")
        assert r.status_code == 429
        assert field_errors(r.get_data(as_text=True), "password") == [BLOCKED]
        # Another account from the same address is not affected.
        assert _post_login(make_browser(), "s2_admin", world.password).status_code == 302
        clock.advance(timedelta(minutes=15, seconds=1))
        assert _post_login(b, "s1_admin", world.password).status_code == 302
    with app.app_context():
        # The success cleared the account's failures.
        assert db.session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == "s1_admin")) == 0


def test_address_is_blocked_after_twenty_failures_across_accounts(app, world, make_browser):
    with use_clock(FrozenClock()):
        b = make_browser()
        for i in range(20):
            assert _post_login(b, f"guess{i}", "wrong-guess1", address="10.9.9.9").status_code == 422
        r = _post_login(b, "city", world.password, address="10.9.9.9")
        assert r.status_code == 429 and BLOCKED in r.get_data(as_text=True)
        # The same account from elsewhere still logs in: the limit is per address as well as per account.
        assert _post_login(make_browser(), "city", world.password, address="10.9.9.10").status_code == 302


def test_production_refuses_the_default_secret_key(app):
    base = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "ENV": "production"}
    with pytest.raises(RuntimeError, match="YANXIU_SECRET_KEY"):
        create_app(base)
    with pytest.raises(RuntimeError, match="YANXIU_SECRET_KEY"):
        create_app({**base, "SECRET_KEY": "short"})
    prod = create_app({**base, "SECRET_KEY": "x" * 32})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
    assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}).config[
        "SESSION_COOKIE_SECURE"] is False


def test_production_session_cookie_is_secure_httponly_samesite(app, world):
    prod = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "ENV": "production",
                       "SECRET_KEY": "p" * 32, "TESTING": True, "SERVER_NAME": "localhost",
                       "ATTACHMENT_ROOT": app.config["ATTACHMENT_ROOT"]})
    client = prod.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": "city", "password": world.password, "csrf_token": token},
                    base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert r.status_code == 302
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The demo password works once, and then must be replaced before anything else.
    assert "/account/password" in r.headers["Location"]
    assert client.get("/tasks", base_url="https://localhost").headers["Location"].endswith("/account/password")
    with prod.app_context():
        assert db.session.scalar(select(User.must_change_password).where(User.username == "city")) is True
        db.session.remove()
        db.engine.dispose()  # this app's own pool: close its connections before the tables are emptied


def test_development_keeps_demo_passwords(app, world, make_browser):
    make_browser("city")
    with app.app_context():
        assert db.session.scalar(select(User.must_change_password).where(User.username == "city")) is False


def test_security_headers_on_every_page(world, make_browser, browser):
    for client, url in ((browser, "/login"), (make_browser("s1_admin"), "/tasks")):
        r = client.get(url)
        csp = r.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert script_src.strip() == "'self'"
        assert "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"


# A data block (type="application/json") is never executed, so the policy has nothing to say about it.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=[\"']application/json))[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)


def test_templates_have_no_inline_script():
    offenders = []
    for path in sorted(ROOT.glob("app/**/templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, re.compile("javascript:", re.I)):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_healthz_answers_without_login(browser):
    r = browser.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_oversized_request_is_refused_with_a_message(app, world, make_browser):
    user = make_browser("s1_admin")
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
    body += b"x" * limit + b"\r\n--b--\r\n"
    r = user.client.post("/teachers/import", data=body, content_type="multipart/form-data; boundary=b")
    assert r.status_code == 413
    assert "上传的内容过大" in r.get_data(as_text=True)


def test_nul_characters_are_refused_before_any_write(app, world, make_browser, browser):
    r = browser.post("/login", data={"username": "city\x00", "password": "x"})
    assert r.status_code == 400
    admin = make_browser("s1_admin")
    r = admin.post(f"/teachers/new?school={world.orgs['YY-S1']}", data={"name": "张\x00敏"})
    assert r.status_code == 400
    assert admin.get("/teachers?q=%00").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0
