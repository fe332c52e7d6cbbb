"""Reserved for the documents work of issue #17 (attendance evidence): its schema changes go in
this revision (upgrade and downgrade below), so that 0009 (statement lines) follows it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
