"""share link mail claims

A job mailing a release takes each link before it sends (and frees it after a failure), so
jobs of two releases running at once never mail the same recipient twice; and a document has
one live mailing link per purpose and recipient (releases at once made one each before: the
older ones are withdrawn here, the newest stays).

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


LIVE_MAILING = "revoked_at IS NULL AND purpose <> 'manual'"


def upgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_claimed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True))
    op.execute(
        f"UPDATE share_links SET revoked_at = CURRENT_TIMESTAMP WHERE {LIVE_MAILING} AND id NOT IN ("
        f" SELECT max(id) FROM share_links WHERE {LIVE_MAILING} GROUP BY document_id, purpose, contact_id)"
    )
    op.create_index(
        'uq_share_links_live_mailing', 'share_links', ['document_id', 'purpose', 'contact_id'], unique=True,
        sqlite_where=sa.text(LIVE_MAILING), postgresql_where=sa.text(LIVE_MAILING),
    )



def downgrade() -> None:
    op.drop_index('uq_share_links_live_mailing', table_name='share_links')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_column('mail_claimed_at')

