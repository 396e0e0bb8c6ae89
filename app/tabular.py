"""Reading an uploaded table (CSV or Excel .xlsx) for bulk imports.

Headers are matched by name (with aliases, ignoring spaces and case), so columns may come in any
order and extra columns are ignored. Row numbers are the spreadsheet's own (the header is row 1
when it is the first row), so an error report points at the line the user sees. CSV files may be
UTF-8 (with or without BOM) or GB18030, which is what Excel on Chinese Windows writes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from app.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


@dataclass(frozen=True)
class Table:
    #: (spreadsheet row number, {column name: cleaned text}) for every non-blank data row.
    rows: list[tuple[int, dict[str, str]]]


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))   # Excel stores 工号 20230101 as a float
    # NUL never means anything in a spreadsheet cell, and PostgreSQL refuses it in text columns.
    return str(value).replace("\x00", "").strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 Excel (.xlsx) 文件"), field="file")


def _raw_rows(data: bytes, extension: str) -> Iterable[list[object]]:
    if extension == "csv":
        return csv.reader(io.StringIO(_decode(data)))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError,
            SyntaxError) as err:
        # Whatever a damaged or disguised upload makes openpyxl raise (zip, XML parse errors are
        # SyntaxError subclasses) is the user's file, not our failure.
        raise InvalidInput(_("无法读取该 Excel 文件，请确认是 .xlsx 格式"), field="file") from err


def read_table(stream: BinaryIO, filename: str, columns: Mapping[str, Iterable[str]],
               required: Iterable[str]) -> Table:
    """Read the first sheet (or the CSV) into rows keyed by column name.

    ``columns`` maps each column name to the header texts that mean it. Raises
    :class:`InvalidInput` (field ``file``) for a file that cannot be read, has no header row,
    lacks a required column or is too large.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ("csv", "xlsx"):
        raise InvalidInput(_("请上传 CSV 或 Excel (.xlsx) 文件"), field="file")
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("文件超过 %(mb)s MB 的上限", mb=MAX_BYTES // (1024 * 1024)), field="file")
    if not data:
        raise InvalidInput(_("文件是空的"), field="file")
    aliases = {_norm(alias): name for name, names in columns.items() for alias in (name, *names)}
    header: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, raw in enumerate(_raw_rows(data, extension), 1):
        cells = [_cell(v) for v in raw]
        if not any(cells):
            continue
        if header is None:
            header = {i: aliases[_norm(c)] for i, c in enumerate(cells) if _norm(c) in aliases}
            missing = [name for name in required if name not in header.values()]
            if missing:
                names = _("、").join(next(iter(columns[m]), m) for m in missing)
                raise InvalidInput(_("第 %(row)s 行应为表头，缺少列：%(columns)s", row=number, columns=names), field="file")
            continue
        rows.append((number, {name: cells[i] if i < len(cells) else "" for i, name in header.items()}))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(_("一次最多导入 %(n)s 行", n=MAX_ROWS), field="file")
    if header is None:
        raise InvalidInput(_("文件中没有内容"), field="file")
    if not rows:
        raise InvalidInput(_("文件只有表头，没有数据行"), field="file")
    return Table(rows)


@dataclass(frozen=True)
class RowError:
    row: int
    label: str
    message: str


@dataclass
class ImportReport:
    """What an all-or-nothing import did, or (``errors``) why it wrote nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def set_column_widths(sheet, widths) -> None:
    """Set an openpyxl sheet's column widths (in characters), from column A on."""
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
