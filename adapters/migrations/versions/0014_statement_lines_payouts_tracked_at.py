"""When the payouts' tracking read a statement line (issue 20)

The tracking of trainer transfers read, every night, every payout ever executed and every
own-transfer and returned-credit line since the first one (a return can come back late): its
work grew with the history. Each such line is now read once, the night after it is imported,
and marked: the lines of the history are read one last time the first night after the upgrade
(those a payout already counts are skipped, as before).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.models

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('statement_lines', sa.Column(
        'payouts_tracked_at', adapters.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_statement_lines_payouts_tracked_at'), 'statement_lines',
                    ['payouts_tracked_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_statement_lines_payouts_tracked_at'), table_name='statement_lines')
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.drop_column('payouts_tracked_at')
