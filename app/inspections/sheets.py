"""Score-sheet templates: the shipped ones, listing, and editing as a new version."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, update

from app import audit
from app.errors import NotFound
from app.extensions import db
from app.inspections.metrics import metric
from app.inspections.seeds import BANDS, BUILTIN
from app.models import ScoreItem, ScoreSheetTemplate, User

CODE = re.compile(r"^\d{1,2}(\.\d{1,2}){0,2}$")


@dataclass
class Row:
    """One edited row; ``errors`` maps a field name to its message."""

    code: str
    title: str
    points: str
    guidance: str = ""
    area: str = ""
    metric: str = ""
    finance: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not (self.code.strip() or self.title.strip() or self.points.strip())


def install_builtin(region_id: int, actor: User | None = None) -> list[ScoreSheetTemplate]:
    """Create the shipped templates for a region unless it already has them (idempotent)."""
    have = set(db.session.scalars(select(ScoreSheetTemplate.code).where(ScoreSheetTemplate.region_id == region_id)))
    created = []
    for spec in BUILTIN:
        if spec["code"] in have:
            continue
        template = ScoreSheetTemplate(region_id=region_id, code=spec["code"], version=1, name=spec["name"],
                                      kind=spec["kind"], description=spec["description"], source=spec["source"],
                                      grading_bands=[list(b) for b in BANDS], latest=True,
                                      created_by_id=actor.id if actor else None)
        rows = [Row(code, title, str(points), guidance, area, metric_key or "", finance)
                for code, title, points, guidance, area, metric_key, finance in spec["rows"]]
        _fill(template, rows)
        db.session.add(template)
        created.append(template)
    db.session.flush()
    return created


def _fill(template: ScoreSheetTemplate, rows: Sequence[Row]) -> None:
    by_code: dict[str, ScoreItem] = {}
    for seq, row in enumerate(rows, 1):
        item = ScoreItem(seq=seq, code=row.code.strip(), title=row.title.strip(), max_points=Decimal(row.points),
                         guidance=row.guidance.strip(), area=row.area.strip(), metric=row.metric or None,
                         finance=row.finance)
        parent_code = item.code.rpartition(".")[0]
        if parent_code:
            item.parent = by_code[parent_code]
        by_code[item.code] = item
        template.items.append(item)


def validate_rows(rows: Sequence[Row]) -> bool:
    """Check codes, hierarchy and points; put messages on the rows. True when all is well."""
    filled = [r for r in rows if not r.blank]
    codes: dict[str, Row] = {}
    ok = True
    for row in filled:
        code = row.code.strip()
        if not CODE.match(code):
            row.errors["code"] = _("编号格式应为 1、1.2 或 1.2.3")
        elif code in codes:
            row.errors["code"] = _("编号 %(code)s 重复", code=code)
        else:
            parent = code.rpartition(".")[0]
            if parent and parent not in codes:
                row.errors["code"] = _("上级指标 %(code)s 须写在本行之前", code=parent)
            codes[code] = row
        if not row.title.strip():
            row.errors["title"] = _("请填写指标名称")
        elif len(row.title) > 200:
            row.errors["title"] = _("不能超过 200 字")
        try:
            points = Decimal(row.points.strip())
            if points <= 0 or points > 1000 or points != points.quantize(Decimal("0.1")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            row.errors["points"] = _("分值须为大于 0 的数（最多一位小数）")
        if row.metric and metric(row.metric) is None:
            row.errors["metric"] = _("未知的自动指标")
        ok = ok and not row.errors
    if not filled:
        filled_rows = list(rows)
        if filled_rows:
            filled_rows[0].errors["code"] = _("至少需要一个指标")
        return False
    if not ok:
        return False
    for code, row in codes.items():
        children = [r for c, r in codes.items() if c.rpartition(".")[0] == code]
        if children:
            total = sum(Decimal(c.points) for c in children)
            if Decimal(row.points) != total:
                row.errors["points"] = _("分值应等于下级指标之和 %(total)s", total=total)
                ok = False
            if row.metric:
                row.errors["metric"] = _("自动指标只能设在末级指标上")
                ok = False
    return ok


def rows_of(template: ScoreSheetTemplate) -> list[Row]:
    return [Row(i.code, i.title, f"{i.max_points.normalize():f}", i.guidance, i.area, i.metric or "", i.finance)
            for i in template.items]


def save_version(template: ScoreSheetTemplate, *, name: str, description: str, rows: Sequence[Row],
                 actor: User) -> ScoreSheetTemplate:
    """Save the edit as version n+1; campaigns keep the version they were created with."""
    latest = db.session.scalar(select(ScoreSheetTemplate.version).where(
        ScoreSheetTemplate.region_id == template.region_id, ScoreSheetTemplate.code == template.code)
        .order_by(ScoreSheetTemplate.version.desc()).limit(1))
    db.session.execute(update(ScoreSheetTemplate).where(ScoreSheetTemplate.region_id == template.region_id,
                                                        ScoreSheetTemplate.code == template.code)
                       .values(latest=False))
    new = ScoreSheetTemplate(region_id=template.region_id, code=template.code, version=(latest or 0) + 1,
                             name=name.strip() or template.name, kind=template.kind, description=description.strip(),
                             source=template.source, grading_bands=template.grading_bands, latest=True,
                             created_by_id=actor.id)
    _fill(new, [r for r in rows if not r.blank])
    db.session.add(new)
    db.session.flush()
    audit.record("inspection.template_version", actor=actor, template=new.code, version=new.version,
                 items=len(new.items))
    return new


def templates_for(region_id: int, *, latest_only: bool = True) -> list[ScoreSheetTemplate]:
    stmt = select(ScoreSheetTemplate).where(ScoreSheetTemplate.region_id == region_id)
    if latest_only:
        stmt = stmt.where(ScoreSheetTemplate.latest.is_(True))
    return list(db.session.scalars(stmt.order_by(ScoreSheetTemplate.code, ScoreSheetTemplate.version.desc())))


def get_template(template_id: int, region_ids: Sequence[int]) -> ScoreSheetTemplate:
    template = db.session.get(ScoreSheetTemplate, template_id)
    if template is None or template.region_id not in region_ids:
        raise NotFound(_("评分表不存在"))
    return template


def grade_for(template: ScoreSheetTemplate, total: Decimal) -> str:
    """The grade band of a total score, by percentage of the template's points."""
    full = template.total_points or Decimal(1)
    percent = total * 100 / full
    for minimum, grade in sorted(template.grading_bands or BANDS, key=lambda b: -b[0]):
        if percent >= Decimal(str(minimum)):
            return grade
    return (template.grading_bands or BANDS)[-1][1]
