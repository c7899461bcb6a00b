"""share link mail claims

A job mailing a release takes each link before it sends (and frees it after a failure), so
jobs of two releases running at once never mail the same recipient twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:09:18.664843
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_claimed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_column('mail_claimed_at')

