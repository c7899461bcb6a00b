"""measurement spread

The standard deviation of a KPI's baseline and of each measurement over its cases: with the
sample sizes they give the savings' confidence (Welch's interval).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 08:17:44.491864
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('baseline_std_dev', sa.Numeric(precision=14, scale=4), nullable=True))

    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('std_dev', sa.Numeric(precision=14, scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_column('std_dev')

    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_column('baseline_std_dev')
