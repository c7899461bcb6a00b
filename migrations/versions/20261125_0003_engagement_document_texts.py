"""engagement document texts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:04:01.899735
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('situation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('terms', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('recommendations', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_column('recommendations')
        batch_op.drop_column('terms')
        batch_op.drop_column('situation')

