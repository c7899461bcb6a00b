"""timing codes

A timing round may have one-time participation codes (slips the works council hands out): then
a code, not a device, counts as a person.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('timing_rounds') as batch_op:
        batch_op.add_column(sa.Column('codes', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('timing_rounds') as batch_op:
        batch_op.drop_column('codes')
