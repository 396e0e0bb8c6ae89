"""merge the inspection and planning heads

Revision ID: a37fb559335c
Revises: 93e88c1e80d8, 846e23a7073b
Create Date: 2026-11-23 22:25:50.741044

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a37fb559335c'
down_revision = ('93e88c1e80d8', '846e23a7073b')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
