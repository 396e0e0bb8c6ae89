"""Decide whether uploaded bytes really are the type their extension claims."""

from __future__ import annotations

import io
import zipfile

import filetype

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # legacy .doc / .xls / .ppt
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain; charset=utf-8",
    "zip": "application/zip",
}


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _ooxml_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return "zip"
    for ext, prefix in OOXML_PARTS.items():
        if any(name.startswith(prefix) for name in names):
            return ext
    return "zip"


def content_matches(extension: str, data: bytes) -> bool:
    """True when ``data`` looks like a file of type ``extension``."""
    if extension == "pdf":
        return data.startswith(b"%PDF-")
    if extension in ("doc", "xls", "ppt"):
        return data.startswith(OLE_MAGIC)
    if extension in ("docx", "xlsx", "pptx"):
        return _ooxml_kind(data) == extension
    if extension == "zip":
        return _ooxml_kind(data) is not None
    if extension in ("jpg", "jpeg"):
        kind = filetype.guess(data[:262])
        return kind is not None and kind.extension == "jpg"
    if extension == "png":
        kind = filetype.guess(data[:262])
        return kind is not None and kind.extension == "png"
    if extension == "txt":
        return _is_text(data)
    return False
