"""Attachment storage (content-addressed, per instance folder) and permission-checked download."""

from flask import Blueprint

bp = Blueprint("attachments", __name__)

from app.attachments import views  # noqa: E402,F401
