from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.access import can_view_instance
from app.attachments.services import attachments_of, file_path, remove, store_upload
from app.attachments.views import storage_settings
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.forms import EmptyForm, choices, show_input_error
from app.models import (
    Attachment,
    ExtensionRequest,
    ExtensionStatus,
    OrderStatus,
    OrgType,
    OrgUnit,
    RectificationNotice,
    Role,
    Term,
    User,
)
from app.rectification import bp, services
from app.rectification.documents import ledger_xlsx, notice_pdf
from app.rectification.forms import (
    EvidenceForm,
    ExtensionDecisionForm,
    ExtensionForm,
    NewOrderForm,
    RespondForm,
)
from app.regions import term_bounds

EVIDENCE = "rect_item"
#: Forms repeated once per item carry a prefix; their CSRF token is checked by CSRFProtect for the whole
#: request (the templates send the plain ``csrf_token`` field), not once more per prefixed form.
NO_FORM_CSRF = {"csrf": False}


def _user() -> User:
    return current_user._get_current_object()


def schools_for_issuer(user: User) -> list[OrgUnit]:
    paths = [org.path for org in services.issuing_orgs(user)]
    if not paths:
        return []
    schools = db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL).order_by(OrgUnit.code))
    return [s for s in schools if any(s.path.startswith(p) for p in paths)]


def record_context(order, user: User) -> dict[str, Any]:
    """What the order partial shows to ``user``: evidence, the forms they may use, notices."""
    config = current_app.config
    respond_forms, extension_forms = {}, {}
    for item in order.items:
        if services.may_respond(user, item):
            respond_forms[item.id] = RespondForm(formdata=None, data={"measures": item.measures,
                                                                      "completed_on": item.completed_on},
                                                 prefix=f"r{item.id}", meta=NO_FORM_CSRF)
    may_extend = (user.has_role(Role.PRINCIPAL, order.school_id) or user.has_role(Role.SCHOOL_ADMIN, order.school_id)) \
        and order.status == OrderStatus.IN_PROGRESS
    if may_extend:
        for item in order.items:
            if item.round == order.round and item.status.value in ("open", "responded"):
                extension_forms[item.id] = ExtensionForm(prefix=f"x{item.id}", meta=NO_FORM_CSRF)
    extensions = list(db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.order_id == order.id)
                                         .order_by(ExtensionRequest.id)))
    may_decide = services.may_decide_extension(user, order)
    return {
        "evidence": {item.id: attachments_of(EVIDENCE, item.id) for item in order.items},
        "respond_forms": respond_forms,
        "extension_forms": extension_forms,
        "extensions": extensions,
        "decision_form": ExtensionDecisionForm() if may_decide and any(
            e.status == ExtensionStatus.PENDING for e in extensions) else None,
        "notices": list(db.session.scalars(select(RectificationNotice).where(RectificationNotice.order_id == order.id)
                                           .order_by(RectificationNotice.created_at, RectificationNotice.id))),
        "overdue_items": {i.id for i in order.items if services.item_overdue(i)},
        "evidence_form": EvidenceForm(),
        "accept": ",".join("." + ext for ext in config["ATTACHMENT_TYPES"]),
        "button_form": EmptyForm(),
    }


@bp.route("/rectification")
@login_required
def index():
    user = _user()
    status = request.args.get("status") or None
    if status not in {s.value for s in OrderStatus} | {services.OPEN_FILTER}:
        status = None
    overdue = request.args.get("overdue") == "1"
    school_id = request.args.get("school", type=int) or None
    term = db.session.get(Term, request.args.get("term", type=int) or 0)
    between = term_bounds(term) if term is not None else None
    form = NewOrderForm()
    form.school_id.choices = choices((s.id, s.name) for s in schools_for_issuer(user))
    orders = services.list_orders(user, status=status, overdue=overdue, school_id=school_id, issued_between=between)
    return render_template("rectification/index.html", orders=orders, statuses=list(OrderStatus), status=status,
                           overdue=overdue, new_form=form, notices=services.notices_for(user, limit=20),
                           school=db.session.get(OrgUnit, school_id) if school_id else None, term=term)


@bp.route("/rectification/new", methods=["POST"])
@login_required
def new():
    user = _user()
    form = NewOrderForm()
    form.school_id.choices = choices((s.id, s.name) for s in schools_for_issuer(user))
    if not form.validate_on_submit():
        flash(_("请选择整改学校"), "warning")
        return redirect(url_for("rectification.index"))
    order = services.create_order(actor=user, school_id=int(form.school_id.data))
    db.session.commit()
    task = services.open_task(order, "Task_draft")
    flash(_("已创建整改通知书草稿，请填写整改问题"), "success")
    return redirect(url_for("tasks.show", task_id=task.id) if task else url_for("rectification.show", order_id=order.id))


@bp.route("/rectification/<int:order_id>")
@login_required
def show(order_id: int):
    user = _user()
    order = services.get_visible_order(order_id, user)
    return render_template("rectification/order.html", order=order, record=order,
                           record_context=record_context(order, user),
                           instance_visible=order.instance is not None and can_view_instance(user, order.instance))


def _back(item):
    return redirect(url_for("rectification.show", order_id=item.order_id) + f"#item-{item.id}")


def _render_order(order, status: int, **overrides):
    user = _user()
    context = record_context(order, user)
    context.update(overrides)
    return render_template("rectification/order.html", order=order, record=order, record_context=context,
                           instance_visible=order.instance is not None and can_view_instance(user, order.instance)), status


@bp.route("/rectification/items/<int:item_id>/respond", methods=["POST"])
@login_required
def respond(item_id: int):
    user = _user()
    item = services.get_visible_item(item_id, user)
    if not services.may_respond(user, item):
        raise Forbidden(_("只有该项的责任人或本校校长、管理员可以在整改期间填报"))
    form = RespondForm(prefix=f"r{item.id}", meta=NO_FORM_CSRF)
    if form.validate_on_submit():
        try:
            services.respond(item, measures=form.measures.data, completed_on=form.completed_on.data, actor=user)
            db.session.commit()
            flash(_("第 %(n)s 项整改情况已保存", n=item.seq), "success")
            return _back(item)
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "measures")
    order = services.get_visible_order(item.order_id, user)
    forms = record_context(order, user)["respond_forms"]
    forms[item.id] = form
    return _render_order(order, 422, respond_forms=forms)


@bp.route("/rectification/items/<int:item_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(item_id: int):
    user = _user()
    item = services.get_visible_item(item_id, user)
    if not services.may_respond(user, item):
        raise Forbidden(_("只有该项的责任人或本校校长、管理员可以在整改期间上传佐证材料"))
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data or not form.file.data.filename:
        flash(_("请选择要上传的文件"), "warning")
        return _back(item)
    try:
        store_upload(form.file.data.stream, form.file.data.filename, settings=storage_settings(), owner_type=EVIDENCE,
                     owner_id=item.id, instance_id=item.order.instance_id, school_id=item.order.school_id, actor=user)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _back(item)
    flash(_("佐证材料已上传"), "success")
    return _back(item)


@bp.route("/rectification/items/<int:item_id>/evidence/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_evidence(item_id: int, attachment_id: int):
    user = _user()
    item = services.get_visible_item(item_id, user)
    if not services.may_respond(user, item):
        raise Forbidden(_("只有该项的责任人或本校校长、管理员可以在整改期间删除佐证材料"))
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or attachment.owner_type != EVIDENCE or attachment.owner_id != item.id:
        raise NotFound(_("附件不存在"))
    remove(attachment, actor=user)
    db.session.commit()
    flash(_("附件已删除"), "info")
    return _back(item)


@bp.route("/rectification/evidence/<int:attachment_id>")
@login_required
def evidence(attachment_id: int):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or attachment.owner_type != EVIDENCE:
        raise NotFound(_("附件不存在"))
    services.get_visible_item(attachment.owner_id, _user())
    return send_file(file_path(storage_settings(), attachment), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename, max_age=0)


@bp.route("/rectification/items/<int:item_id>/extension", methods=["POST"])
@login_required
def request_extension(item_id: int):
    user = _user()
    item = services.get_visible_item(item_id, user)
    form = ExtensionForm(prefix=f"x{item.id}", meta=NO_FORM_CSRF)
    if form.validate_on_submit():
        try:
            services.request_extension(item, requested=form.requested_deadline.data, reason=form.reason.data, actor=user)
            db.session.commit()
            flash(_("延期申请已提交，等待发文单位审批"), "success")
            return _back(item)
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "reason")
    order = services.get_visible_order(item.order_id, user)
    forms = record_context(order, user)["extension_forms"]
    forms[item.id] = form
    return _render_order(order, 422, extension_forms=forms)


@bp.route("/rectification/extensions/<int:request_id>/decide", methods=["POST"])
@login_required
def decide_extension(request_id: int):
    user = _user()
    extension = db.session.get(ExtensionRequest, request_id)
    if extension is None:
        raise NotFound(_("延期申请不存在"))
    order = services.get_visible_order(extension.order_id, user)
    form = ExtensionDecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_extension(request_id, approve=form.decision.data == "approve",
                                      comment=form.comment.data or "", actor=user)
            db.session.commit()
            flash(_("延期申请已处理"), "success")
            return redirect(url_for("rectification.show", order_id=order.id))
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "comment")
    return _render_order(order, 422, decision_form=form, decision_for=request_id)


@bp.route("/rectification/<int:order_id>/notice")
@login_required
def notice(order_id: int):
    order = services.get_visible_order(order_id, _user())
    return render_template("rectification/notice.html", order=order)


@bp.route("/rectification/<int:order_id>/notice.pdf")
@login_required
def notice_download(order_id: int):
    order = services.get_visible_order(order_id, _user())
    name = f"{order.doc_number or order.id}.pdf"
    response = Response(notice_pdf(order), mimetype="application/pdf")
    from urllib.parse import quote

    response.headers["Content-Disposition"] = f"attachment; filename=\"notice-{order.id}.pdf\"; filename*=UTF-8''{quote(name)}"
    return response


@bp.route("/rectification/ledger")
@login_required
def ledger():
    user = _user()
    status = request.args.get("status") or None
    if status not in {s.value for s in OrderStatus}:
        status = None
    rows = services.ledger_rows(user, status=status)
    return render_template("rectification/ledger.html", rows=rows, statuses=list(OrderStatus), status=status,
                           overdue={i.id for i in rows if services.item_overdue(i)})


@bp.route("/rectification/ledger.xlsx")
@login_required
def ledger_download():
    user = _user()
    status = request.args.get("status") or None
    if status not in {s.value for s in OrderStatus}:
        status = None
    rows = services.ledger_rows(user, status=status)
    data = ledger_xlsx(rows, {i.id for i in rows if services.item_overdue(i)})
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=rectification-ledger.xlsx"})
