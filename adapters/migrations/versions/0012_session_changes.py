"""Session changes: the work queue of the nightly's funding, documents and invoicing steps (issue 20)

Ingest and the funding step mark the sessions whose facts changed; the steps read only those
(adapters/session_changes.py). Every existing session is marked once for each step, so the
first night after the upgrade looks at the whole history one last time. PECs get an index on
their client's SIRET: the funding step looks up a client's PECs by it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.models

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('session_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('session_ref', sa.String(length=64), nullable=False),
    sa.Column('marked_at', adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_changes'))
    )
    op.create_index(op.f('ix_session_changes_step'), 'session_changes', ['step'], unique=False)
    op.create_index(op.f('ix_pecs_client_siret'), 'pecs', ['client_siret'], unique=False)
    for step in ('funding', 'documents', 'invoicing'):
        op.execute(sa.text(
            "INSERT INTO session_changes (step, session_ref, marked_at) "
            "SELECT :step, session_ref, CURRENT_TIMESTAMP FROM sessions").bindparams(step=step))


def downgrade() -> None:
    op.drop_index(op.f('ix_pecs_client_siret'), table_name='pecs')
    op.drop_index(op.f('ix_session_changes_step'), table_name='session_changes')
    op.drop_table('session_changes')
