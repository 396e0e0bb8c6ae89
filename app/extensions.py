"""Unbound Flask extensions; :func:`app.create_app` binds them."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.clock import now as clock_now
from app.models.base import Base
from workflows import WorkflowEngine

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: One engine per process: it caches restored specs and is safe to share between threads. Its timer
#: events fire by the application clock (app.clock), so tests that move the clock move them too.
engine = WorkflowEngine(now=clock_now)
