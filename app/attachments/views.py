from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, send_file
from flask_login import current_user, login_required

from app.access import require_instance_visible
from app.attachments import bp
from app.attachments.services import StorageSettings, file_path
from app.extensions import db
from app.models import Attachment, ProcessInstance


def storage_settings() -> StorageSettings:
    cfg = current_app.config
    return StorageSettings(Path(cfg["ATTACHMENT_ROOT"]), int(cfg["ATTACHMENT_MAX_BYTES"]),
                           tuple(cfg["ATTACHMENT_TYPES"]))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted:
        abort(404)
    instance = db.session.get(ProcessInstance, attachment.instance_id) if attachment.instance_id else None
    require_instance_visible(current_user, instance)
    return send_file(file_path(storage_settings(), attachment), mimetype=attachment.content_type,
                     as_attachment=True, download_name=attachment.filename, max_age=0)
