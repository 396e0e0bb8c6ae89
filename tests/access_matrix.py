"""The access matrix: for every route, which personas may open it.

Each entry maps an endpoint to (URL parameters built from the fixture ids in
``tests/access_fixtures.py``, the set of personas allowed). Personas are the keys of
``access_fixtures.PERSONAS``: a role, and for school and township roles whether the record belongs to
their own school/township (``.own``) or another (``.other``). "Allowed" means the request is served
(2xx, a redirect other than to the login page, or a 4xx that is not 401/403/404 such as a 422
form error or a 409 conflict); everyone else must get 403/404 (or the login page when anonymous).

A new route without an entry fails ``tests/test_access_matrix.py``: add it here (see DEVELOPERS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SCHOOL_OWN = frozenset({"school_admin.own", "principal.own"})
SCHOOL_ALL = frozenset({"school_admin.own", "principal.own", "school_admin.other", "principal.other"})
TEACHERS = frozenset({"teacher.own", "teacher.other"})
TOWNSHIPS = frozenset({"township.own", "township.other"})
CENTRE = frozenset({"city", "inspector", "center_head", "admin"})
STAFF = frozenset({"city", "inspector", "center_head", "finance", "expert", "admin"})
LOGGED_IN = SCHOOL_ALL | TEACHERS | TOWNSHIPS | STAFF
EVERYONE = LOGGED_IN | {"anon"}
OVERSEE_OWN = SCHOOL_OWN | {"township.own"} | CENTRE
#: Dashboards: the centre sees the region, a township its own schools, a school its own row.
DASHBOARD = SCHOOL_ALL | TOWNSHIPS | CENTRE
#: The organiser of the demo 评优 round: the city reviewer at the centre, and the region's admin.
ORGANISER = frozenset({"city", "admin"})


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str]
    params: Callable[[object], dict] = lambda f: {}
    method: str | None = None  # default: GET when the route has it, else POST
    #: Form fields for a POST. Most forms validate before they check who acts, so an empty form shows
    #: that the record is within the persona's scope (others get 404); give fields where the permission
    #: itself should be exercised.
    data: Callable[[object], dict] = lambda f: {}
    note: str = ""


def e(allowed, params=None, **kw) -> Entry:
    return Entry(frozenset(allowed), params or (lambda f: {}), **kw)


# Entries whose record the demo does not have (id 0) show only that nobody reaches a missing record.
MATRIX: dict[str, Entry] = {
    "activities.attendance": e({'school_admin.own'}, lambda f: {"record_id": f.record}),
    "activities.attendance_import": e(OVERSEE_OWN, lambda f: {"record_id": f.record}),
    "activities.attendance_template": e(OVERSEE_OWN, lambda f: {"record_id": f.record}),
    "activities.delete_evidence": e({'school_admin.own'}, lambda f: {"attachment_id": f.activity_file, "record_id": f.record}),
    "activities.index": e(OVERSEE_OWN | {'principal.other', 'school_admin.other', 'township.other'}),
    "activities.new": e({'school_admin.other', 'school_admin.own'}),
    "activities.progress": e(LOGGED_IN),
    "activities.show": e(OVERSEE_OWN, lambda f: {"record_id": f.record}),
    "activities.upload_evidence": e({'school_admin.own'}, lambda f: {"record_id": f.record}),
    "admin.audit": e({'admin'}),
    "admin.audit_export": e({'admin'}),
    "admin.instance": e({'admin'}, lambda f: {"instance_id": f.instance}),
    "admin.migrate": e({'admin'}, lambda f: {"instance_id": f.instance}),
    "admin.migrate_version": e({'admin'}, lambda f: {"key": f.process_key, "version": f.version}),
    "admin.processes": e({'admin'}),
    "admin.repair_action": e({'admin'}, lambda f: {"action": "suspend", "instance_id": f.instance}),
    "admin.rewind": e({'admin'}, lambda f: {"instance_id": f.instance}),
    "admin.upload": e({'admin'}, lambda f: {"key": f.process_key}),
    "admin.version": e({'admin'}, lambda f: {"key": f.process_key, "version": f.version}),
    "admin.versions": e({'admin'}, lambda f: {"key": f.process_key}),
    "attachments.download": e(OVERSEE_OWN, lambda f: {"attachment_id": f.project_file}),
    "auth.change_password": e(LOGGED_IN),
    "auth.login": e(EVERYONE),
    "auth.logout": e(()),
    "auth.set_language": e(EVERYONE),
    "credits.evidence": e((), lambda f: {"attachment_id": 0}),
    "credits.export": e(OVERSEE_OWN | {'principal.other', 'school_admin.other', 'township.other'}),
    "credits.index": e(OVERSEE_OWN | {'principal.other', 'school_admin.other', 'teacher.other', 'teacher.own', 'township.other'}),
    "credits.mine": e({'teacher.other', 'teacher.own'}),
    "credits.open_region": e({'admin', 'city'}),
    "credits.regenerate": e((), lambda f: {"batch_id": 0}),
    "credits.start": e(OVERSEE_OWN | {'principal.other', 'school_admin.other', 'township.other'}),
    "credits.teacher": e(OVERSEE_OWN | {'teacher.own'}, lambda f: {"teacher_id": f.teacher}),
    "credits.withdraw": e((), lambda f: {"record_id": 0}),
    "dashboards.export": e(DASHBOARD),
    "dashboards.index": e(DASHBOARD),
    "dashboards.ledger_download": e(OVERSEE_OWN, lambda f: {"school": f.school, "term": f.term}),
    "dashboards.print_inspection": e(CENTRE | {'finance'}, lambda f: {"inspection_id": f.inspection},
                                     note="the report prints for the school and township once it is published"),
    "dashboards.print_plan": e(OVERSEE_OWN, lambda f: {"plan_id": f.plan}),
    "dashboards.print_project": e(OVERSEE_OWN, lambda f: {"project_id": f.project}),
    "dashboards.steps": e(DASHBOARD),
    "directory.import_": e({'admin'}, lambda f: {"kind": "users"}),
    "directory.index": e({'admin'}),
    "directory.template": e({'admin'}, lambda f: {"kind": "orgs"}),
    "directory.terms": e({'admin'}),
    "excellence.check": e(ORGANISER, lambda f: {"round_id": f.round, "nomination_id": f.nomination}),
    "excellence.edit_round": e(ORGANISER, lambda f: {"round_id": f.round},
                               note="the demo round is open: its organiser is told it can no longer be edited (409)"),
    "excellence.index": e(LOGGED_IN),
    "excellence.new_round": e({'city'}),
    "excellence.nominate": e(SCHOOL_ALL | TOWNSHIPS, lambda f: {"round_id": f.round}),
    "excellence.nomination": e(ORGANISER | {'center_head', 'school_admin.own', 'principal.own', 'township.own'},
                               lambda f: {"round_id": f.round, "nomination_id": f.nomination}),
    "excellence.notice": e((), lambda f: {"round_id": f.round}, note="the list is not on 公示 yet"),
    "excellence.objection": e((), lambda f: {"round_id": f.round, "objection_id": 0}),
    "excellence.objection_file": e((), lambda f: {"round_id": f.round, "objection_id": 0, "attachment_id": 0}),
    "excellence.objections": e(ORGANISER, lambda f: {"round_id": f.round}),
    "excellence.ranking": e((), lambda f: {"round_id": f.round}, note="nobody sees the ranking before the review closes"),
    "excellence.results": e((), lambda f: {"round_id": f.round}, note="not published yet"),
    "excellence.show": e(LOGGED_IN, lambda f: {"round_id": f.round}),
    "excellence.submit_round": e(ORGANISER, lambda f: {"round_id": f.round}),
    "health.healthz": e(EVERYONE),
    "inspections.add_observation": e((), lambda f: {"inspection_id": f.inspection}),
    "inspections.campaign": e({'admin', 'center_head', 'city', 'finance', 'inspector', 'township.other', 'township.own'}, lambda f: {"campaign_id": f.campaign}),
    "inspections.delete_material": e({'school_admin.own'}, lambda f: {"attachment_id": f.material, "inspection_id": f.inspection}),
    "inspections.edit_template": e({'center_head', 'city', 'inspector'}, lambda f: {"template_id": f.template}),
    "inspections.index": e(LOGGED_IN),
    "inspections.material": e({'admin', 'center_head', 'city', 'finance', 'inspector', 'principal.own', 'school_admin.own', 'teacher.own'}, lambda f: {"attachment_id": f.material, "inspection_id": f.inspection}),
    "inspections.new_campaign": e({'center_head', 'city', 'inspector'}),
    "inspections.save_scores": e((), lambda f: {"inspection_id": f.inspection}),
    "inspections.show": e({'admin', 'center_head', 'city', 'finance', 'inspector', 'principal.own', 'school_admin.own', 'teacher.own'}, lambda f: {"inspection_id": f.inspection},
                          note="the township sees an inspection once its results are published"),
    "inspections.start": e({'admin', 'center_head', 'city', 'inspector'}, lambda f: {"campaign_id": f.campaign}),
    "inspections.template": e({'center_head', 'city', 'inspector'}, lambda f: {"template_id": f.template}),
    "inspections.templates": e({'center_head', 'city', 'inspector'}),
    "inspections.upload_material": e({'school_admin.own'}, lambda f: {"inspection_id": f.inspection, "item_id": f.score_item}),
    "instances.mine": e(LOGGED_IN),
    "instances.show": e(OVERSEE_OWN, lambda f: {"instance_id": f.instance}),
    "jobs.index": e({'admin'}),
    "jobs.retry": e({'admin'}, lambda f: {"job_id": f.job}),
    "notifications.index": e(LOGGED_IN),
    "notifications.open_": e({'township.own'}, lambda f: {"notification_id": f.notification}),
    "notifications.read_all": e(LOGGED_IN),
    "notifications.settings": e(LOGGED_IN),
    "plans.change": e({'school_admin.own'}, lambda f: {"plan_id": f.plan}),
    "plans.index": e(LOGGED_IN),
    "plans.open_planning": e({'admin', 'city'}),
    "plans.show": e(OVERSEE_OWN, lambda f: {"plan_id": f.plan}),
    "policy.add_override": e({'admin'}),
    "policy.delete_override": e((), lambda f: {"override_id": f.override}),
    "policy.edit": e({'admin'}),
    "policy.show": e(LOGGED_IN),
    "policy.version": e(LOGGED_IN, lambda f: {"version_no": 1}),
    "projects.delete_attachment": e((), lambda f: {"attachment_id": f.project_file, "project_id": f.project}),
    "projects.index": e(LOGGED_IN),
    "projects.new": e(LOGGED_IN, data=lambda f: {"school_id": f.school}),
    "projects.show": e(OVERSEE_OWN, lambda f: {"project_id": f.project}),
    "projects.upload": e((), lambda f: {"project_id": f.project}),
    "rectification.decide_extension": e((), lambda f: {"request_id": 0}),
    "rectification.delete_evidence": e((), lambda f: {"attachment_id": f.evidence, "item_id": f.item}),
    "rectification.evidence": e(OVERSEE_OWN, lambda f: {"attachment_id": f.evidence}),
    "rectification.index": e(LOGGED_IN),
    "rectification.ledger": e(LOGGED_IN),
    "rectification.ledger_download": e(LOGGED_IN),
    "rectification.new": e(LOGGED_IN),
    "rectification.notice": e(OVERSEE_OWN, lambda f: {"order_id": f.order}),
    "rectification.notice_download": e(OVERSEE_OWN, lambda f: {"order_id": f.order}),
    "rectification.request_extension": e(OVERSEE_OWN, lambda f: {"item_id": f.item}),
    "rectification.respond": e((), lambda f: {"item_id": f.item}),
    "rectification.show": e(OVERSEE_OWN, lambda f: {"order_id": f.order}),
    "rectification.upload_evidence": e((), lambda f: {"item_id": f.item}),
    "static": e(EVERYONE, lambda f: {"filename": "app.js"}),
    "tasks.add_signer": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.attach": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.bulk_approve": e(LOGGED_IN),
    "tasks.cc": e(OVERSEE_OWN, lambda f: {"instance_id": f.instance}),
    "tasks.claim": e({'township.own'}, lambda f: {"task_id": f.task}),
    "tasks.comment": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.copied": e(LOGGED_IN),
    "tasks.delegate": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.delete_inbox_filter": e({'township.own'}, lambda f: {"filter_id": f.saved_filter}),
    "tasks.done": e(LOGGED_IN),
    "tasks.inbox": e(LOGGED_IN),
    "tasks.index": e(EVERYONE, note="/ only redirects to 待办, which asks for a login"),
    "tasks.reclaim": e((), lambda f: {"task_id": f.task}),
    "tasks.remove_signer": e((), lambda f: {"task_id": f.task}),
    "tasks.resolve": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.return_to": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.save_inbox_filter": e(LOGGED_IN),
    "tasks.show": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.transfer": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.unclaim": e(OVERSEE_OWN, lambda f: {"task_id": f.task}),
    "tasks.urge": e({'principal.own', 'school_admin.own'}, lambda f: {"instance_id": f.instance}),
    "tasks.withdraw": e((), lambda f: {"instance_id": f.instance}),
    "teachers.account": e({'school_admin.own'}, lambda f: {"teacher_id": f.teacher}),
    "teachers.edit": e(OVERSEE_OWN | {'teacher.own'}, lambda f: {"teacher_id": f.teacher},
                        note="teacher.own is the teacher of this record"),
    "teachers.import_": e(LOGGED_IN, lambda f: {"school": f.school}),
    "teachers.index": e(LOGGED_IN),
    "teachers.new": e({'school_admin.own'}, lambda f: {"school": f.school}),
    "teachers.template": e(LOGGED_IN),
}
