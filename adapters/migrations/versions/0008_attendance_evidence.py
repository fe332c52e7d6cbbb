"""Attendance evidence (issue #17): signature times and method, connection log per half-day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ("trainee_signed_at", "trainer_signed_at", "signature_method", "login_at", "logout_at")


def upgrade() -> None:
    # nullable columns only: plain ADD COLUMN on both databases (no table rebuild)
    for name in COLUMNS:
        kind = sa.String(length=16) if name == "signature_method" else \
            adapters.models.UTCDateTime(timezone=True)
        op.add_column('attendance', sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
