"""评优 pages: rounds, nominations and their formal check, ranking, the 公示 with objections, results."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.access import can_act
from app.attachments.services import attachments_of, file_path, store_upload
from app.attachments.views import storage_settings
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.excellence import bp, services
from app.excellence.eligibility import RULES
from app.excellence.forms import (
    CheckForm,
    HandleObjectionForm,
    NominationForm,
    ObjectionForm,
    RoundForm,
)
from app.excellence.services import NominationInput, RoundInput
from app.extensions import db
from app.forms import EmptyForm, choices, show_input_error
from app.models import (
    Attachment,
    HumanTask,
    NominationStatus,
    Objection,
    ObjectionDecision,
    OrgType,
    ProjectApplication,
    ProjectStatus,
    RoundStatus,
    RoundType,
    SelectionRound,
    TaskStatus,
    Teacher,
    User,
)
from app.models.base import utcnow
from app.regions import region_id_of
from app.workdays.moments import local_today

#: Attachments owned by an objection (its evidence files).
EVIDENCE = "exc_objection"


def _user() -> User:
    return current_user._get_current_object()


def _round(round_id: int) -> SelectionRound:
    round_ = services.get_round(round_id)
    services.require_view(_user(), round_)
    return round_


# -- rounds ------------------------------------------------------------------------------------
@bp.get("/excellence/")
@login_required
def index():
    user = _user()
    return render_template("excellence/index.html", rounds=services.visible_rounds(user),
                           can_create=bool(services.organizer_orgs(user)))


def _round_form(region_id: int, formdata=None, **data) -> RoundForm:
    form = RoundForm(formdata=formdata, data=data or None)
    form.template_id.choices = choices((t.id, t.name) for t in services.score_templates(region_id))
    form.expert_ids.choices = choices((u.id, f"{u.display_name}（{'、'.join(r.org.display_name for r in u.roles)}）")
                                      for u in services.expert_candidates(region_id))
    return form


def _round_input(form: RoundForm) -> RoundInput:
    return RoundInput(type=RoundType(form.type.data), title=form.title.data.strip(), level=form.level.data,
                      cycle_label=form.cycle_label.data.strip(), quota_count=form.quota_count.data,
                      quota_ratio=form.quota_ratio.data, township_quota=form.township_quota.data,
                      reserve_count=form.reserve_count.data, rules=list(form.rules.data or []),
                      template_id=int(form.template_id.data), aggregation=form.aggregation.data,
                      apply_start=form.apply_start.data, apply_end=form.apply_end.data,
                      review_due=form.review_due.data, notice_working_days=form.notice_working_days.data,
                      remind_working_days=form.remind_working_days.data, recommend_count=form.recommend_count.data,
                      award_valid_years=form.award_valid_years.data, expert_ids=list(form.expert_ids.data or []))


def _save_round(form: RoundForm, save, template: str, **context):
    if form.validate():
        try:
            round_ = save(_round_input(form))
            db.session.commit()
            return redirect(url_for("excellence.show", round_id=round_.id))
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "title")
    return render_template(template, form=form, **context), 422


@bp.route("/excellence/new", methods=["GET", "POST"])
@login_required
def new_round():
    user = _user()
    orgs = services.organizer_orgs(user)
    if not orgs:
        raise Forbidden(_("只有师干训中心的审核员可以设立评优活动"))
    org = orgs[0]
    region_id = region_id_of(org)
    if request.method == "POST":
        form = _round_form(region_id, request.form)
        return _save_round(form, lambda data: services.create_round(user, org, data), "excellence/round_form.html",
                           round=None)
    type_ = RoundType(request.args.get("type", RoundType.PREMIUM_PROJECT.value)) \
        if request.args.get("type") in {t.value for t in RoundType} else RoundType.PREMIUM_PROJECT
    proposal = services.propose_round(region_id, type_, local_today(utcnow()))
    form = _round_form(region_id, type=type_.value, reserve_count=2, remind_working_days=2, recommend_count=0,
                       title=f"{proposal['cycle_label']}{_(type_.label)}评选", **proposal)
    return render_template("excellence/round_form.html", form=form, round=None)


@bp.route("/excellence/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(round_id: int):
    user = _user()
    round_ = _round(round_id)
    services.require_organizer(user, round_)
    if round_.status != RoundStatus.DRAFT:
        raise Conflict(_("评优方案已提交审批，只有退回修改时才能编辑"))
    if request.method == "POST":
        form = _round_form(round_.region_id, request.form)
        return _save_round(form, lambda data: (services.update_round(user, round_, data), round_)[1],
                           "excellence/round_form.html", round=round_)
    data = {name: getattr(round_, name) for name in (
        "title", "level", "cycle_label", "quota_count", "quota_ratio", "township_quota", "reserve_count", "rules",
        "aggregation", "apply_start", "apply_end", "review_due", "notice_working_days", "remind_working_days",
        "recommend_count", "award_valid_years")}
    form = _round_form(round_.region_id, type=round_.type.value, template_id=str(round_.template_id),
                       expert_ids=[e.user_id for e in round_.experts], **data)
    return render_template("excellence/round_form.html", form=form, round=round_)


@bp.post("/excellence/<int:round_id>/submit")
@login_required
def submit_round(round_id: int):
    round_ = _round(round_id)
    services.submit_round(_user(), round_)
    db.session.commit()
    flash(_("评优方案已提交领导审批"), "success")
    return redirect(url_for("excellence.show", round_id=round_id))


def _my_task(round_: SelectionRound, user: User) -> HumanTask | None:
    if round_.instance_id is None:
        return None
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == round_.instance_id,
                                                      HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id))
    return next((t for t in rows if can_act(user, t)), None)


def _visible_nominations(round_: SelectionRound, user: User) -> list:
    if services.is_organizer(user, round_) or services.is_leader(user, round_):
        return list(round_.nominations)
    return [n for n in round_.nominations if services.nominating_org_for(user, n.school) is not None]


@bp.get("/excellence/<int:round_id>")
@login_required
def show(round_id: int):
    user = _user()
    round_ = _round(round_id)
    today = local_today(utcnow())
    return render_template(
        "excellence/round.html", round=round_, nominations=_visible_nominations(round_, user),
        organizer=services.is_organizer(user, round_), rules=RULES, my_task=_my_task(round_, user),
        may_nominate=services.window_open(round_, today) and bool(services.nominee_schools(user, round_)),
        scores_visible=services.scores_visible_to(user, round_), progress=services.review_progress(round_),
        quota=services.award_quota(round_, len(services.passed(round_))), button_form=EmptyForm())


# -- nominations -------------------------------------------------------------------------------
def _nomination_form(round_: SelectionRound, user: User, formdata=None, school_id: int | None = None,
                     **data) -> NominationForm:
    form = NominationForm(formdata=formdata, data=data or None)
    schools = services.nominee_schools(user, round_)
    form.school_id.choices = choices((s.id, s.name) for s in schools)
    chosen = form.school_id.data if formdata is not None else (school_id or (schools[0].id if schools else None))
    projects = list(db.session.scalars(select(ProjectApplication).where(
        ProjectApplication.school_id == chosen, ProjectApplication.status == ProjectStatus.APPROVED)
        .order_by(ProjectApplication.id))) if chosen else []
    form.project_id.choices = choices([(0, _("（不涉及项目）"))] + [(p.id, p.title) for p in projects])
    teachers = list(db.session.scalars(select(Teacher).where(Teacher.school_id == chosen, Teacher.active.is_(True))
                                       .order_by(Teacher.id))) if chosen else []
    form.teacher_ids.choices = choices((t.id, t.name) for t in teachers)
    form.is_township = any(services.nominating_org_for(user, s).type == OrgType.TOWNSHIP for s in schools)
    return form


def _nomination_input(form: NominationForm) -> NominationInput:
    return NominationInput(school_id=form.school_id.data, project_id=form.project_id.data or None,
                           teacher_ids=list(form.teacher_ids.data or []), summary=form.summary.data or "",
                           recommend_rank=form.recommend_rank.data)


@bp.route("/excellence/<int:round_id>/nominate", methods=["GET", "POST"])
@login_required
def nominate(round_id: int):
    user = _user()
    round_ = _round(round_id)
    if request.method == "POST":
        form = _nomination_form(round_, user, request.form)
        if form.validate():
            try:
                nomination = services.nominate(user, round_, _nomination_input(form))
                db.session.commit()
                flash(_("已提交申报，等待形式审查"), "success")
                return redirect(url_for("excellence.nomination", round_id=round_id, nomination_id=nomination.id))
            except InvalidInput as err:
                db.session.rollback()
                show_input_error(form, err, "summary")
        return render_template("excellence/nomination_form.html", round=round_, form=form), 422
    if not services.nominee_schools(user, round_):
        raise Forbidden(_("您不能为本地区的学校申报或推荐"))
    school_id = request.args.get("school_id", type=int)
    form = _nomination_form(round_, user, school_id=school_id)
    if school_id:
        form.school_id.data = school_id
    return render_template("excellence/nomination_form.html", round=round_, form=form)


def _nomination(round_: SelectionRound, nomination_id: int, user: User):
    nomination = services.get_nomination(round_, nomination_id)
    if nomination not in _visible_nominations(round_, user):
        raise NotFound(_("申报不存在"))
    return nomination


@bp.route("/excellence/<int:round_id>/nominations/<int:nomination_id>", methods=["GET", "POST"])
@login_required
def nomination(round_id: int, nomination_id: int):
    """The nomination; the applicant completes a returned one here within the window."""
    user = _user()
    round_ = _round(round_id)
    item = _nomination(round_, nomination_id, user)
    editable = services.can_edit_nomination(user, item)
    form = None
    status = 200
    if editable:
        if request.method == "POST":
            form = _nomination_form(round_, user, request.form)
            form.school_id.data = item.school_id
            if form.validate():
                try:
                    services.resubmit(user, item, _nomination_input(form))
                    db.session.commit()
                    flash(_("已重新提交，等待形式审查"), "success")
                    return redirect(url_for("excellence.nomination", round_id=round_id, nomination_id=nomination_id))
                except InvalidInput as err:
                    db.session.rollback()
                    show_input_error(form, err, "summary")
            status = 422
        else:
            form = _nomination_form(round_, user, school_id=item.school_id, summary=item.summary,
                                    teacher_ids=item.teacher_ids, recommend_rank=item.recommend_rank,
                                    project_id=item.project_id or 0)
            form.school_id.data = item.school_id
    elif request.method == "POST":
        raise Conflict(_("该申报当前不能修改"))
    check_form = CheckForm() if (services.is_organizer(user, round_) and item.status == NominationStatus.SUBMITTED
                                 and round_.status in (RoundStatus.OPEN, RoundStatus.CHECKING)) else None
    teachers = db.session.scalars(select(Teacher).where(Teacher.id.in_(item.teacher_ids or [-1]))).all()
    return render_template("excellence/nomination.html", round=round_, item=item, form=form, check_form=check_form,
                           teachers=teachers, rules=RULES), status


@bp.post("/excellence/<int:round_id>/nominations/<int:nomination_id>/check")
@login_required
def check(round_id: int, nomination_id: int):
    user = _user()
    round_ = _round(round_id)
    item = services.get_nomination(round_, nomination_id)
    services.require_organizer(user, round_)
    form = CheckForm()
    if form.validate():
        try:
            services.check_nomination(user, item, complete=form.result.data == "complete", note=form.note.data or "")
            db.session.commit()
            flash(_("形式审查结论：%(status)s", status=_(item.status.label)), "success")
            return redirect(url_for("excellence.show", round_id=round_id) + "#nominations")
        except InvalidInput as err:
            db.session.rollback()
            form.add_error("note", err.message)
    teachers = db.session.scalars(select(Teacher).where(Teacher.id.in_(item.teacher_ids or [-1]))).all()
    return render_template("excellence/nomination.html", round=round_, item=item, form=None, check_form=form,
                           teachers=teachers, rules=RULES), 422


# -- ranking, 公示, objections, results -----------------------------------------------------------
@bp.get("/excellence/<int:round_id>/ranking")
@login_required
def ranking(round_id: int):
    """The full ranking with every expert's scores: after the review, for the organiser, the
    leader and the panel; an expert sees only their own scores before that (on their task)."""
    user = _user()
    round_ = _round(round_id)
    if not services.scores_visible_to(user, round_):
        raise Forbidden(_("评审结束前不能查看其他专家的评分"))
    return render_template("excellence/ranking.html", round=round_, ranked=services.ranking(round_),
                           scores=services.all_scores(round_))


@bp.route("/excellence/<int:round_id>/notice", methods=["GET", "POST"])
@login_required
def notice(round_id: int):
    """The 公示: anyone logged in sees the list and may lodge a named objection with evidence."""
    user = _user()
    round_ = services.get_round(round_id)
    if round_.status not in (RoundStatus.NOTICE, RoundStatus.OBJECTIONS, RoundStatus.PUBLISHED):
        raise NotFound(_("公示不存在"))
    listed = services.listed(round_)
    form = ObjectionForm() if request.method == "POST" else ObjectionForm(formdata=None)
    form.nomination_id.choices = choices((n.id, n.nominee_name) for n in listed)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                lodged = services.lodge_objection(user, services.get_nomination(round_, form.nomination_id.data),
                                                  form.content.data, form.evidence.data)
                upload = form.file.data
                if upload and upload.filename:
                    store_upload(upload.stream, upload.filename, settings=storage_settings(),
                                 # Not tied to the instance: only the organiser and the objector may download it.
                                 owner_type=EVIDENCE, owner_id=lodged.id, instance_id=None,
                                 school_id=round_.org_id, actor=user)
                db.session.commit()
                flash(_("异议已提交，组织单位将核查处理"), "success")
                return redirect(url_for("excellence.notice", round_id=round_id))
            except InvalidInput as err:
                db.session.rollback()
                show_input_error(form, err, "content")
        status = 422
    mine = db.session.scalars(select(Objection).where(Objection.round_id == round_.id,
                                                      Objection.submitter_id == user.id).order_by(Objection.id)).all()
    return render_template("excellence/notice.html", round=round_, listed=listed, form=form,
                           open=services.notice_open(round_), mine=mine,
                           organizer=services.is_organizer(user, round_)), status


@bp.get("/excellence/<int:round_id>/objections")
@login_required
def objections(round_id: int):
    user = _user()
    round_ = _round(round_id)
    services.require_organizer(user, round_)
    return render_template("excellence/objections.html", round=round_, objections=services.objections_of(round_))


@bp.route("/excellence/<int:round_id>/objections/<int:objection_id>", methods=["GET", "POST"])
@login_required
def objection(round_id: int, objection_id: int):
    user = _user()
    round_ = _round(round_id)
    services.require_organizer(user, round_)
    item = db.session.get(Objection, objection_id)
    if item is None or item.round_id != round_.id:
        raise NotFound(_("异议不存在"))
    form = HandleObjectionForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate():
            try:
                promoted = services.handle_objection(user, item, ObjectionDecision(form.decision.data), form.note.data)
                db.session.commit()
                flash(_("已处理异议") + (_("，%(name)s 递补入选", name=promoted.nominee_name) if promoted else ""),
                      "success")
                return redirect(url_for("excellence.objections", round_id=round_id))
            except InvalidInput as err:
                db.session.rollback()
                form.add_error("note", err.message)
        return render_template("excellence/objection.html", round=round_, item=item, form=form,
                               files=attachments_of(EVIDENCE, item.id)), 422
    return render_template("excellence/objection.html", round=round_, item=item, form=form,
                           files=attachments_of(EVIDENCE, item.id))


@bp.get("/excellence/objection-files/<int:attachment_id>")
@login_required
def objection_file(attachment_id: int):
    """An objection's evidence file: for the organiser and for whoever lodged the objection."""
    user = _user()
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or attachment.owner_type != EVIDENCE:
        raise NotFound(_("附件不存在"))
    item = db.session.get(Objection, attachment.owner_id)
    round_ = services.get_round(item.round_id)
    if not (services.is_organizer(user, round_) or item.submitter_id == user.id):
        raise NotFound(_("附件不存在"))
    return send_file(file_path(storage_settings(), attachment), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename, max_age=0)


@bp.get("/excellence/<int:round_id>/results")
@login_required
def results(round_id: int):
    round_ = _round(round_id)
    if round_.status != RoundStatus.PUBLISHED:
        raise NotFound(_("结果尚未公布"))
    return render_template("excellence/results.html", round=round_, awards=services.awards_of(round_),
                           next_level=[n for n in services.ranking(round_) if n.next_level])

