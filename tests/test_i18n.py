"""The English catalog is complete and compiled, and the language switch works end to end.

Message ids are the Chinese UI text; Chinese needs no catalog. When one of these tests fails after
adding a string, run the commands in DEVELOPERS.md ("UI and i18n"): extract, update, translate,
compile.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.errors import NotFound
from app.tasks.services import get_task

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _msgid(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _read_po(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def en_catalog():
    return _read_po(EN_PO)


@pytest.fixture(scope="module")
def extracted_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids in the code and templates now, extracted exactly as DEVELOPERS.md says."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    return {_msgid(m) for m in _read_po(pot) if m.id}


def test_every_english_entry_is_translated_and_not_fuzzy(en_catalog):
    entries = [m for m in en_catalog if m.id]
    assert len(entries) > 200
    untranslated = [_msgid(m) for m in entries if not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [_msgid(m) for m in entries if m.fuzzy]
    assert untranslated == [], f"msgids without an English msgstr: {untranslated}"
    assert fuzzy == [], f"fuzzy entries (check and clear the flag): {fuzzy}"


def test_translations_keep_their_placeholders(en_catalog):
    for m in en_catalog:
        if m.id:
            assert sorted(PLACEHOLDER.findall(_msgid(m))) == sorted(PLACEHOLDER.findall(m.string)), m.id


def test_every_string_in_the_code_is_in_the_english_catalog(en_catalog, extracted_ids):
    known = {_msgid(m) for m in en_catalog if m.id}
    missing = sorted(extracted_ids - known)
    assert missing == [], f"not in the en catalog (run pybabel update, translate, compile): {missing}"


def test_compiled_catalog_matches_the_po_file(en_catalog):
    with EN_MO.open("rb") as fh:
        compiled = read_mo(fh)
    po = {_msgid(m): m.string for m in en_catalog if m.id}
    mo = {_msgid(m): m.string for m in compiled if m.id}
    assert mo == po, "messages.mo is stale: run pybabel compile -d app/translations"


def test_services_translate_outside_a_request(app):
    # CLI commands and background jobs have no session: they get the default language, not an error.
    with app.app_context(), pytest.raises(NotFound, match="任务不存在"):
        get_task(0)


def test_language_switch_renders_english_and_chinese_stays_the_default(world, make_browser):
    city = make_browser("city")
    page = city.get("/tasks").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "待办" in page and "To-do" not in page

    r = city.post("/language", data={"lang": "en", "next": "/tasks"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/tasks")
    page = city.get("/tasks").get_data(as_text=True)
    assert 'lang="en"' in page
    for label in ("To-do", "Done", "Started by me", "Project applications", "City reviewer", "Nothing to do."):
        assert label in page, label
    assert "待办" not in page and "我发起的" not in page

    # Another user is not affected: Chinese is the default.
    other = make_browser("s1_admin").get("/tasks").get_data(as_text=True)
    assert "待办" in other and "To-do" not in other

    # The choice is remembered on the account and applies at the next login.
    again = make_browser("city").get("/tasks").get_data(as_text=True)
    assert "To-do" in again

    city.post("/language", data={"lang": "zh_CN"})
    assert "待办" in city.get("/tasks").get_data(as_text=True)


def test_forms_and_messages_follow_the_language(world, make_browser):
    anonymous = make_browser()
    anonymous.post("/language", data={"lang": "en"})
    r = anonymous.post("/login", data={"username": "", "password": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Username" in html and "Please enter your username." in html and "用户名" not in html

    r = anonymous.post("/login", data={"username": "city", "password": "wrong"})
    assert "Incorrect username or password." in r.get_data(as_text=True)
