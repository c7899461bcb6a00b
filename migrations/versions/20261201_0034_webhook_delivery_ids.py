"""webhook delivery ids

A delivery's jobs are named by its id; on SQLite the ids of the newest rows came round again
once a subscription went with its deliveries, and the new delivery's job then clashed with the
old one's. AUTOINCREMENT gives no id twice (PostgreSQL's sequences never did).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-01 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table(
            'webhook_deliveries', recreate='always', table_kwargs={'sqlite_autoincrement': True}
        ):
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table(
            'webhook_deliveries', recreate='always', table_kwargs={'sqlite_autoincrement': False}
        ):
            pass
