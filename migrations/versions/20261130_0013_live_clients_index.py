"""live clients index

The default clients list (not archived, by name) and its count read an index of their own
instead of scanning the table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("archived_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(
            'ix_clients_live_name_id', ['name', 'id'], unique=False, postgresql_where=LIVE, sqlite_where=LIVE
        )


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('ix_clients_live_name_id')
