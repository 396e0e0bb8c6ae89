"""merge the inspection/rectification and approval-actions heads

Revision ID: 846e23a7073b
Revises: 983967694cf8, 0af4b7eadddf
Create Date: 2026-11-23 22:09:15.261135

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '846e23a7073b'
down_revision = ('983967694cf8', '0af4b7eadddf')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
