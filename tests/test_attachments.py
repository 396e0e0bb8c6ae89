"""Attachments: stored by content hash under the instance folder, size- and type-checked."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, AuditEvent
from tests.helpers import open_task, project, start_application, valid_application

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504E470D0A1A0A0000000D49484452000000010000000108060000001F15C4890000000D4944415478"
                    "9C6360000002000100FFFF03000006000557BFAB0000000049454E44AE426082")


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _upload(browser, pid, content, name):
    return browser.post(f"/projects/{pid}/attachments", data={"file": (io.BytesIO(content), name)},
                        content_type="multipart/form-data")


def _attachments(app, pid):
    with app.app_context():
        rows = list(db.session.scalars(select(Attachment).where(Attachment.owner_id == pid).order_by(Attachment.id)))
        db.session.expunge_all()
        return rows


def test_upload_stores_by_hash_and_downloads_as_attachment(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    r = _upload(drafter, pid, PDF, "../../etc/申报 方案.pdf")
    assert r.status_code == 302
    [att] = _attachments(app, pid)
    assert att.filename == "申报 方案.pdf" and att.size == len(PDF) and att.extension == "pdf"
    instance_id = project(app, pid).instance_id
    stored = Path(app.config["ATTACHMENT_ROOT"]) / "instances" / str(instance_id) / att.sha256
    assert stored.read_bytes() == PDF
    r = drafter.get(f"/attachments/{att.id}")
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert _upload(drafter, pid, _docx(), "计划.docx").status_code == 302
    assert _upload(drafter, pid, PNG, "照片.PNG").status_code == 302
    assert len(_attachments(app, pid)) == 3


def test_uploads_that_break_the_rules_are_refused_with_a_reason(app, world, make_browser):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    try:
        drafter = make_browser("s1_admin")
        pid = start_application(app, drafter, world.orgs["YY-S1"])
        cases = [
            (PDF + b"x" * 2000, "大文件.pdf", "上限"),
            (b"MZ\x90\x00binary", "病毒.exe", "不支持的文件类型"),
            (b"just text, not a pdf", "假的.pdf", "不符"),
            (b"", "空.txt", "空"),
            (_docx(), "表格.xlsx", "不符"),
        ]
        for content, name, reason in cases:
            r = _upload(drafter, pid, content, name)
            assert r.status_code == 302
            follow = drafter.get(r.headers["Location"]).get_data(as_text=True)
            assert reason in follow, (name, reason)
        assert _attachments(app, pid) == []
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = 20 * 1024 * 1024


def test_attachments_are_frozen_after_submission(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    _upload(drafter, pid, PDF, "a.pdf")
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    assert _upload(drafter, pid, PDF, "b.pdf").status_code == 403
    [att] = _attachments(app, pid)
    assert drafter.post(f"/projects/{pid}/attachments/{att.id}/delete").status_code == 403
    # A reviewer may read but not change them either.
    principal = make_browser("s1_principal")
    assert principal.get(f"/attachments/{att.id}").status_code == 200
    assert _upload(principal, pid, PDF, "c.pdf").status_code == 403


def test_delete_during_draft_is_soft_and_audited(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    _upload(drafter, pid, PDF, "a.pdf")
    [att] = _attachments(app, pid)
    assert drafter.post(f"/projects/{pid}/attachments/{att.id}/delete").status_code == 302
    assert drafter.get(f"/attachments/{att.id}").status_code == 404
    with app.app_context():
        assert db.session.get(Attachment, att.id).deleted
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("attachment.%")).order_by(AuditEvent.id)))
        assert actions == ["attachment.upload", "attachment.delete"]
