"""An index on the invoice a credit note cancels (issue 20)

Dunning, the ledger of payments and credit notes add up an invoice's credit notes by
`credit_note_of`: without an index, each lookup read the whole invoices table (16 ms an invoice on
three years of history, sixty a night: the invoicing step of the three-year busy Monday took
three times the one-year one).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:05:00
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_invoices_credit_note_of'), 'invoices', ['credit_note_of'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_invoices_credit_note_of'), table_name='invoices')
