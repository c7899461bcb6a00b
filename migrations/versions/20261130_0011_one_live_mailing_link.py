"""one live mailing link; addresses in lower case

A document has one live mailing link per purpose and recipient: releases at once made one
each before (the older ones are withdrawn here, the newest stays). Addresses are kept in one
spelling, lower case, from now on; stored ones follow, except where two rows of the same
owner differ only in case (they stay as they are, for a person to merge).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_MAILING = "revoked_at IS NULL AND purpose <> 'manual'"


def upgrade() -> None:
    op.execute(
        f"UPDATE share_links SET revoked_at = CURRENT_TIMESTAMP WHERE {LIVE_MAILING} AND id NOT IN ("
        f" SELECT max(id) FROM share_links WHERE {LIVE_MAILING} GROUP BY document_id, purpose, contact_id)"
    )
    op.create_index(
        "uq_share_links_live_mailing",
        "share_links",
        ["document_id", "purpose", "contact_id"],
        unique=True,
        sqlite_where=sa.text(LIVE_MAILING),
        postgresql_where=sa.text(LIVE_MAILING),
    )
    op.execute(
        "UPDATE contacts SET email = lower(email) WHERE email <> lower(email) AND NOT EXISTS ("
        " SELECT 1 FROM contacts AS other WHERE other.client_id = contacts.client_id"
        " AND lower(other.email) = lower(contacts.email) AND other.id <> contacts.id)"
    )
    op.execute(
        "UPDATE users SET email = lower(email) WHERE email <> lower(email) AND NOT EXISTS ("
        " SELECT 1 FROM users AS other WHERE lower(other.email) = lower(users.email) AND other.id <> users.id)"
    )


def downgrade() -> None:
    op.drop_index("uq_share_links_live_mailing", table_name="share_links")
