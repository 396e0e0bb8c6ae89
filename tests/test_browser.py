"""End to end in a real browser: Debian's Chromium driven by Playwright, against the application
served by Werkzeug on a free port of this machine, on the test database.

A school admin submits an application, the principal sends it back with 退回, the admin sees the
reason and resubmits, and the principal finds the resubmission (round 2) in 待办. The browser must
be there: a missing one fails this test, it is never skipped (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("YANXIU_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app, world) -> Iterator[str]:
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("yanxiu2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/tasks.*"))


def _logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/login.*"))


def _fill_application(page) -> None:
    page.fill("#title", "浏览器测试：青年教师课堂观察研究")
    page.select_option("#domain", "教师发展")
    page.locator("input[name=modules]:visible").first.check()
    page.locator("input[name=forms]").first.check()
    page.fill("#problem", "青年教师课堂组织能力不足。")
    page.fill("#goals", "一学年完成 20 次观课议课。")
    page.select_option("#target_group", index=1)
    page.select_option("#start_term_id", index=2)
    page.select_option("#end_term_id", index=3)
    page.fill("#leader", "张敏")
    page.fill("#planned_hours", "36")
    page.fill("#budget", "12000")
    page.fill("#expected_outcomes", "课例集一册。")


def test_submit_return_and_resubmit_in_a_real_browser(live_server, chromium):
    base = live_server
    page = chromium.new_page()
    page.set_default_timeout(15000)

    _login(page, base, "s1_admin")
    page.goto(base + "/projects")
    page.get_by_role("button", name="新建申报").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    _fill_application(page)
    page.get_by_role("button", name="提交校长审核").click()
    page.wait_for_url(re.compile(r".*/tasks$"))
    _logout(page)

    _login(page, base, "s1_principal")
    page.get_by_role("link", name="浏览器测试：青年教师课堂观察研究").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    page.locator("#return_to summary").click()
    page.get_by_label(re.compile("填写申报书")).check()
    page.fill("#return_to-comment", "经费预算请按学期细化")
    page.locator("#return_to button").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    assert "已退回" in page.content()
    _logout(page)

    _login(page, base, "s1_admin")
    page.get_by_role("link", name="浏览器测试：青年教师课堂观察研究").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    body = page.content()
    assert "经费预算请按学期细化" in body and "退回" in body
    assert page.input_value("#title") == "浏览器测试：青年教师课堂观察研究"  # what was entered is kept
    page.fill("#budget", "15000")
    page.get_by_role("button", name="提交校长审核").click()
    page.wait_for_url(re.compile(r".*/tasks$"))
    _logout(page)

    _login(page, base, "s1_principal")
    page.get_by_role("link", name="浏览器测试：青年教师课堂观察研究").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    history = page.locator("#opinions").inner_text()
    assert "第 2 轮" in history and "退回" in history and "15000" in page.locator("#record").inner_text()
    page.close()
