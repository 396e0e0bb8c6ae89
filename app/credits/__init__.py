"""学分认定与登记 (W2c): credits generated from attendance by the region's rules, items declared
by teachers, per-level recognition with per-record rejection, registration, the teacher's own
view by year and cycle, and the 学分登记表 Excel export."""

from flask import Blueprint

bp = Blueprint("credits", __name__, template_folder="templates")

from app.credits import adapter, cli, views  # noqa: E402,F401
