"""Fixtures for the planning, activity and credit tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OrgUnit, Term, User
from app.policy.demo import seed_regions
from tests.conftest import FAST_HASH


@pytest.fixture
def regions(app, world) -> SimpleNamespace:
    """The demo's five regions, each bound to its seed profile (余姚 from ``world`` plus four more)."""
    with app.app_context():
        seed_regions(password_method=FAST_HASH)
        db.session.commit()
        orgs = {o.code: o.id for o in db.session.scalars(select(OrgUnit))}
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        terms = {(t.region_id, t.code): t.id for t in db.session.scalars(select(Term))}
        db.session.remove()
    return SimpleNamespace(orgs=orgs, users=users, terms=terms, password=world.password)
