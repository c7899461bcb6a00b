"""privacy request notices

The team's mail of a request a person made in the portal: one per recipient and request, sent
exactly once.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 14:20:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('privacy_request_notices',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('claimed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('sent_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_requests.id'], name=op.f('fk_privacy_request_notices_request_id_privacy_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request_notices')),
    sa.UniqueConstraint('request_id', 'email', name=op.f('uq_privacy_request_notices_request_id_email'))
    )
    with op.batch_alter_table('privacy_request_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_request_notices_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_request_notices_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('privacy_request_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_request_notices_status'))
        batch_op.drop_index(batch_op.f('ix_privacy_request_notices_request_id'))
    op.drop_table('privacy_request_notices')
