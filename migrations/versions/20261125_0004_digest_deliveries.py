"""digest deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:24:12.879071
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('iso_week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('claimed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('sent_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_digest_deliveries_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_digest_deliveries_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_digest_deliveries_engagement_id_engagements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries')),
    sa.UniqueConstraint('engagement_id', 'iso_week', 'contact_id', name=op.f('uq_digest_deliveries_engagement_id_iso_week_contact_id'))
    )
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_deliveries_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_deliveries_iso_week'), ['iso_week'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_deliveries_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_deliveries_status'))
        batch_op.drop_index(batch_op.f('ix_digest_deliveries_iso_week'))
        batch_op.drop_index(batch_op.f('ix_digest_deliveries_engagement_id'))

    op.drop_table('digest_deliveries')
