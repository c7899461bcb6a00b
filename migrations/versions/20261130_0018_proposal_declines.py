"""proposal declines

The client's "no" to a sent proposal version, or its request for changes, with the reason, and
the mail to the lead consultant (sent once); the notice that a sent proposal expires soon.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 17:59:32.100091
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proposal_declines',
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
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('document_number', sa.Integer(), nullable=False),
    sa.Column('change_request', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('declined_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_proposal_declines_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_proposal_declines_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_proposal_declines_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposal_declines_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_declines')),
    sa.UniqueConstraint('document_id', name=op.f('uq_proposal_declines_document_id'))
    )
    with op.batch_alter_table('proposal_declines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_declines_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_declines_status'), ['status'], unique=False)



    op.create_table('proposal_expiry_notices',
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
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_proposal_expiry_notices_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_proposal_expiry_notices_engagement_id_engagements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_expiry_notices')),
    sa.UniqueConstraint('document_id', name=op.f('uq_proposal_expiry_notices_document_id'))
    )
    with op.batch_alter_table('proposal_expiry_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_expiry_notices_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_expiry_notices_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposal_expiry_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_expiry_notices_status'))
        batch_op.drop_index(batch_op.f('ix_proposal_expiry_notices_engagement_id'))

    op.drop_table('proposal_expiry_notices')

    with op.batch_alter_table('proposal_declines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_declines_status'))
        batch_op.drop_index(batch_op.f('ix_proposal_declines_engagement_id'))

    op.drop_table('proposal_declines')
