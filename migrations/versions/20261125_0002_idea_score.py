"""idea score

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:55:17.933830
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NOT NULL on existing rows: add with a temporary default, backfill with the formula of
    # backend/pilots/scoring.py (integer division on both databases), then drop the default.
    with op.batch_alter_table('use_case_ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_use_case_ideas_score'), ['score'], unique=False)
    op.execute(
        "UPDATE use_case_ideas SET score ="
        " (50 * (impact - 1) + 30 * (data_readiness - 1) + 20 * (5 - effort) + 2) / 4"
    )
    with op.batch_alter_table('use_case_ideas', schema=None) as batch_op:
        batch_op.alter_column('score', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('use_case_ideas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_use_case_ideas_score'))
        batch_op.drop_column('score')

