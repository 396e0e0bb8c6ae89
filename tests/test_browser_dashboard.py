"""The dashboard's charts draw in a real browser (Debian's Chromium through Playwright) under a strict
``script-src 'self'`` policy, without console errors, and the print page's 打印 button is wired."""

from __future__ import annotations

import re

from app.config import Defaults
from app.extensions import db
from tests.dashboard_seed import seed
from tests.test_browser import _login, chromium, live_server  # noqa: F401  (fixtures)

#: The policy the app sends (no inline script), enforced on every response of the page.
CSP = Defaults.CONTENT_SECURITY_POLICY


def _strict(page) -> None:
    """Serve every page with the strict policy another part of the app will send, so an inline script fails."""
    def handle(route):
        response = route.fetch(max_redirects=0)
        headers = {**response.headers, "content-security-policy": CSP}
        route.fulfill(response=response, headers=headers)
    page.route("**/*", handle)


def test_dashboard_charts_render_without_console_errors(app, live_server, chromium):  # noqa: F811
    with app.app_context():
        seed()
        db.session.commit()
    page = chromium.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    _strict(page)
    _login(page, live_server, "city")
    page.goto(live_server + "/dashboard?term=1")
    for key in ("activities", "attendance", "orders"):
        page.wait_for_selector(f'[data-chart="{key}"] svg')
        assert page.locator(f'[data-chart="{key}"] svg rect, [data-chart="{key}"] svg path').count() > 0
    # The table beside the charts carries the figures, and a figure opens the list behind it.
    assert page.locator("#school-table tbody tr").count() == 6
    page.locator('#school-table a[data-figure="activities"]').first.click()
    page.wait_for_url(re.compile(r".*/activities\?.*"))
    assert problems == [], problems
    page.close()


def test_print_button_opens_the_print_dialog(app, world, live_server, chromium):  # noqa: F811
    page = chromium.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    _strict(page)
    _login(page, live_server, "s1_admin")
    page.goto(live_server + "/projects")
    page.get_by_role("button", name="新建申报").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    task_page = page.url
    project_id = re.search(r'/projects/(\d+)/attachments', page.content())
    assert project_id, "the draft page names its project"
    page.add_init_script("window.print = () => { window.__printed = true; };")
    page.goto(f"{live_server}/projects/{project_id.group(1)}/print")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed === true")
    assert problems == [] and task_page
    page.close()
