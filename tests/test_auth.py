"""Login, logout, safe `next`, password changes, CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.services import is_safe_next
from app.extensions import db
from app.models import AuditEvent, User
from tests.helpers import field_errors


def test_login_and_logout(world, browser):
    r = browser.post("/login", data={"username": "city", "password": world.password})
    assert r.status_code == 302 and r.headers["Location"].endswith("/tasks")
    assert browser.get("/tasks").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert browser.get("/tasks").status_code == 302


def test_wrong_password_shows_message_and_keeps_username(app, world, browser):
    r = browser.post("/login", data={"username": "city", "password": "nope"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_errors(html, "password") == ["用户名或密码不正确"]
    assert 'value="city"' in html
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("auth.%"))).all() == ["auth.login_failed"]


def test_unknown_user_gets_the_same_message(world, browser):
    r = browser.post("/login", data={"username": "ghost", "password": "x"})
    assert field_errors(r.get_data(as_text=True), "password") == ["用户名或密码不正确"]


def test_inactive_user_cannot_log_in(app, world, browser):
    with app.app_context():
        db.session.scalars(select(User).where(User.username == "city")).one().active = False
        db.session.commit()
    r = browser.post("/login", data={"username": "city", "password": world.password})
    assert r.status_code == 422


@pytest.mark.parametrize(("target", "safe"), [
    ("/projects", True), ("/tasks/3?x=1", True), ("https://evil.example/", False), ("//evil.example", False),
    ("/\\evil.example", False), ("javascript:alert(1)", False), ("", False), (None, False),
])
def test_next_must_be_a_local_path(target, safe):
    assert is_safe_next(target) is safe


def test_login_redirects_to_safe_next_only(world, browser):
    r = browser.post("/login", data={"username": "city", "password": world.password, "next": "/projects"})
    assert r.headers["Location"].endswith("/projects")
    browser.post("/logout")
    r = browser.post("/login", data={"username": "city", "password": world.password,
                                     "next": "https://evil.example/"})
    assert r.headers["Location"].endswith("/tasks")


def test_change_password(app, world, make_browser):
    user = make_browser("s1_admin")
    r = user.post("/account/password", data={"current_password": "wrong", "new_password": "abc12345",
                                              "confirm": "abc12345"})
    assert field_errors(r.get_data(as_text=True), "current_password") == ["当前密码不正确"]
    r = user.post("/account/password", data={"current_password": world.password, "new_password": "abcdefgh",
                                             "confirm": "abcdefgh"})
    assert field_errors(r.get_data(as_text=True), "new_password") == ["新密码须同时包含字母和数字"]
    r = user.post("/account/password", data={"current_password": world.password, "new_password": "tide7harbor",
                                             "confirm": "tide7harbor2"})
    assert field_errors(r.get_data(as_text=True), "confirm") == ["两次输入的新密码不一致"]
    for common in ("abc12345", "Yanxiu2026", "s1_admin99"):
        r = user.post("/account/password", data={"current_password": world.password, "new_password": common,
                                                 "confirm": common})
        assert r.status_code == 422
        assert field_errors(r.get_data(as_text=True), "new_password") in (
            ["该密码过于常见（如演示密码），请换一个"], ["密码不能包含用户名"])
    r = user.post("/account/password", data={"current_password": world.password, "new_password": "tide7harbor",
                                             "confirm": "tide7harbor"})
    assert r.status_code == 302
    fresh = make_browser()
    fresh.login("s1_admin", "tide7harbor")


def test_forced_password_change(app, world, make_browser):
    with app.app_context():
        db.session.scalars(select(User).where(User.username == "city")).one().must_change_password = True
        db.session.commit()
    user = make_browser("city")
    r = user.get("/tasks")
    assert r.status_code == 302 and "/account/password" in r.headers["Location"]


def test_posts_without_csrf_token_are_refused(app, world, make_browser):
    user = make_browser("s1_admin")
    r = user.client.post("/projects/new", data={"school_id": str(world.orgs["YY-S1"])})
    assert r.status_code == 400
    assert "页面已过期" in r.get_data(as_text=True)
