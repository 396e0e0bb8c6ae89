"""The organisation tree and its users: the first administrator of a fresh install and bulk imports
(``yanxiu create-admin``, ``import-orgs``, ``import-users``, and the region admin's import page)."""

from flask import Blueprint

bp = Blueprint("directory", __name__, template_folder="templates")

from app.directory import views  # noqa: E402,F401
