"""BPF inputs: a trainee's status, a programme's objective and NSF specialty code (issue 19 part 4)

Optional columns of the platform export (docs/platform-export.md): NULL means unknown; the BPF
draft lists the sessions whose data is missing instead of guessing (docs/bpf.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable columns: a plain ALTER TABLE … ADD COLUMN on both databases, no table rebuilt
    op.add_column('trainees', sa.Column('bpf_status', sa.String(length=16), nullable=True))
    op.add_column('programmes', sa.Column('objective', sa.String(length=16), nullable=True))
    op.add_column('programmes', sa.Column('nsf_code', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('nsf_code')
        batch_op.drop_column('objective')
    with op.batch_alter_table('trainees', schema=None) as batch_op:
        batch_op.drop_column('bpf_status')
