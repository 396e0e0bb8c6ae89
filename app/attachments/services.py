"""Storing and serving attachments.

Files are stored under ``<ATTACHMENT_ROOT>/instances/<instance id>/<sha256>``: the uploaded name
is kept in the database for display and download only and is never used as a path. Identical
content uploaded twice to one instance is stored once.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.attachments.sniff import CONTENT_TYPES, content_matches
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Attachment, User


@dataclass(frozen=True)
class StorageSettings:
    root: Path
    max_bytes: int
    types: tuple[str, ...]


def clean_filename(name: str) -> str:
    """A display name: the last path component, without control characters, at most 120 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext) if dot else name[:120]
    return name or "附件"


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(_("文件超过 %(mb)s MB 的上限", mb=limit // (1024 * 1024)), field="file")
    return data


def instance_dir(settings: StorageSettings, instance_id: int | None) -> Path:
    folder = f"instances/{instance_id}" if instance_id is not None else "unbound"
    return settings.root / folder


def store_upload(stream: BinaryIO, filename: str, *, settings: StorageSettings, owner_type: str, owner_id: int,
                 instance_id: int | None, school_id: int, actor: User) -> Attachment:
    """Validate and store one uploaded file; return its (flushed) Attachment row."""
    display = clean_filename(filename or "")
    extension = display.rsplit(".", 1)[-1].lower() if "." in display else ""
    if extension not in settings.types:
        raise InvalidInput(_("不支持的文件类型「.%(ext)s」，允许：%(allowed)s", ext=extension or _("无扩展名"),
                             allowed=_("、").join(settings.types)), field="file")
    data = _read_limited(stream, settings.max_bytes)
    if not data:
        raise InvalidInput(_("文件是空的"), field="file")
    if not content_matches(extension, data):
        raise InvalidInput(_("文件内容与扩展名 .%(ext)s 不符，请检查文件", ext=extension), field="file")
    digest = hashlib.sha256(data).hexdigest()
    folder = instance_dir(settings, instance_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        # Write to a temporary file and rename, so a crash never leaves a half-written file behind.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    attachment = Attachment(instance_id=instance_id, school_id=school_id, owner_type=owner_type,
                            owner_id=owner_id, sha256=digest, filename=display, extension=extension,
                            content_type=CONTENT_TYPES[extension], size=len(data), uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    audit.record("attachment.upload", actor=actor, instance_id=instance_id, school_id=school_id,
                 attachment_id=attachment.id, filename=display, size=len(data))
    return attachment


def attachments_of(owner_type: str, owner_id: int) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(
        Attachment.owner_type == owner_type, Attachment.owner_id == owner_id, Attachment.deleted.is_(False))
        .order_by(Attachment.uploaded_at, Attachment.id)))


def file_path(settings: StorageSettings, attachment: Attachment) -> Path:
    path = instance_dir(settings, attachment.instance_id) / attachment.sha256
    if not path.is_file():
        raise NotFound(_("附件文件不存在"))
    return path


def remove(attachment: Attachment, *, actor: User) -> None:
    """Soft-delete: the row is kept for the history, the file stays (other rows may share it)."""
    attachment.deleted = True
    audit.record("attachment.delete", actor=actor, instance_id=attachment.instance_id, school_id=attachment.school_id,
                 attachment_id=attachment.id, filename=attachment.filename)
