"""统计看板 pages, the list behind each approval-time figure, and the Excel downloads."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.access import oversees, oversight_paths
from app.dashboards import bp, ledger, services
from app.dashboards.export import dashboard_workbook
from app.errors import NotFound
from app.extensions import db
from app.models import HumanTask, OrgType, OrgUnit, ProcessInstance, Term, User
from app.pagination import paginate
from app.regions import academic_year, region_id_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user() -> User:
    user = current_user._get_current_object()
    if not oversight_paths(user):
        raise NotFound(_("没有可查看的统计"))
    return user


def _filters() -> services.Filters:
    return services.Filters(term_id=request.args.get("term", type=int) or None,
                            township_id=request.args.get("township", type=int) or None)


def xlsx_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"})


@bp.route("/dashboard")
@login_required
def index():
    user = _user()
    board = services.build(user, _filters())
    return render_template("dashboards/index.html", board=board, chart=services.chart_data(board),
                           year=academic_year(board.term), format_hours=services.format_hours)


@bp.route("/dashboard/export.xlsx")
@login_required
def export():
    """The dashboard table named by ``table`` (schools, townships or steps), from the same queries as the page."""
    user = _user()
    table = request.args.get("table", "schools")
    if table not in ("schools", "townships", "steps"):
        raise NotFound(_("没有这张表"))
    board = services.build(user, _filters())
    scope = board.township.name if board.township else _("全区域")
    return xlsx_response(dashboard_workbook(board, table), f"{board.term.name}-{scope}-{table}.xlsx")


@bp.route("/dashboard/steps")
@login_required
def steps():
    """The completed tasks behind one average approval time (process key + step name)."""
    user = _user()
    region_id, term, _terms, _townships, township = services.resolve(user, _filters())
    process, step = request.args.get("process", ""), request.args.get("step", "")
    stmt = (services.step_query(user, region_id, term, township)
            .where(ProcessInstance.process_key == process, HumanTask.name == step)
            .options(joinedload(HumanTask.instance).joinedload(ProcessInstance.school),
                     joinedload(HumanTask.completed_by))
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
    count = select(func.count()).select_from(stmt.with_only_columns(HumanTask.id).subquery())
    page = paginate(stmt, count, max(request.args.get("page", 1, type=int) or 1, 1), current_app.config["PAGE_SIZE"])
    return render_template("dashboards/steps.html", page=page, term=term, township=township, process=process,
                           step=step)


@bp.route("/ledger.xlsx")
@login_required
def ledger_download():
    """The school's 台帐 for a term: the eight sections of 余教〔2020〕14号, one sheet each."""
    user = current_user._get_current_object()
    school = db.session.get(OrgUnit, request.args.get("school", type=int) or 0)
    if school is None or school.type != OrgType.SCHOOL or not oversees(user, school):
        raise NotFound(_("找不到该学校，或您没有查看权限"))
    term = db.session.get(Term, request.args.get("term", type=int) or 0)
    if term is None or term.region_id != region_id_of(school):
        raise NotFound(_("学期不存在"))
    return xlsx_response(ledger.ledger_workbook(school, term), f"{school.name}-{term.name}-台帐.xlsx")
