"""privacy requests

The register of data subjects' requests (Art. 12 GDPR): who asked for what, when, by which
channel, the day the answer is due and the answer.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 06:50:00
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('privacy_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('right', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('erasure_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_privacy_requests_client_id_clients'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['erasure_id'], ['erasures.id'], name=op.f('fk_privacy_requests_erasure_id_erasures'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_privacy_requests_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests'))
    )
    with op.batch_alter_table('privacy_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_requests_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_requests_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_requests_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_requests_status'), ['status'], unique=False)
        batch_op.create_index(
            'uq_privacy_requests_open_from_portal',
            ['subject_kind', 'subject_id', 'right'],
            unique=True,
            sqlite_where=sa.text("status = 'open' AND channel = 'portal'"),
            postgresql_where=sa.text("status = 'open' AND channel = 'portal'"),
        )


def downgrade() -> None:
    with op.batch_alter_table('privacy_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_privacy_requests_open_from_portal')
        batch_op.drop_index(batch_op.f('ix_privacy_requests_status'))
        batch_op.drop_index(batch_op.f('ix_privacy_requests_due_on'))
        batch_op.drop_index(batch_op.f('ix_privacy_requests_subject_id'))
        batch_op.drop_index(batch_op.f('ix_privacy_requests_client_id'))

    op.drop_table('privacy_requests')
