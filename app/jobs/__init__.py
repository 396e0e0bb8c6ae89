"""Durable jobs and the worker: timers and other background work stored as rows (see app.models.job).

Feature packages register job kinds (:func:`app.jobs.registry.register_job_kind`); `yanxiu worker`
runs them. BPMN timer events become jobs through a run hook (:mod:`app.jobs.timers`).
"""

from flask import Blueprint

bp = Blueprint("jobs", __name__, template_folder="templates")

from app.jobs import mail, timers, views  # noqa: E402,F401  (job kinds, run hook, admin pages)
