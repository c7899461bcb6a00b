"""never reused ids

Timing rounds, whose links and participation codes are made from their ids, get AUTOINCREMENT
on SQLite (PostgreSQL's sequences never give an id twice), and a slip alert's improvements get
room for any difference two values can have.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0035'
down_revision: str | None = '0034'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('timing_rounds', recreate='always', table_kwargs={'sqlite_autoincrement': True}):
            pass
    with op.batch_alter_table('kpi_slip_alerts', schema=None) as batch_op:
        batch_op.alter_column('at_go_live', type_=sa.Numeric(16, 4), existing_type=sa.Numeric(14, 4))
        batch_op.alter_column('now', type_=sa.Numeric(16, 4), existing_type=sa.Numeric(14, 4))


def downgrade() -> None:
    with op.batch_alter_table('kpi_slip_alerts', schema=None) as batch_op:
        batch_op.alter_column('now', type_=sa.Numeric(14, 4), existing_type=sa.Numeric(16, 4))
        batch_op.alter_column('at_go_live', type_=sa.Numeric(14, 4), existing_type=sa.Numeric(16, 4))
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('timing_rounds', recreate='always', table_kwargs={'sqlite_autoincrement': False}):
            pass
