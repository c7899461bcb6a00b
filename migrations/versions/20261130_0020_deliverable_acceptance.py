"""deliverable acceptance

Deliverable artefacts (files and links with their SHA-256), the request to accept delivered
work by a deadline, the Abnahme (explicit, recorded or deemed under § 640 (2) BGB) with its
protocol PDF, the mails about it, and the reservations a client notes when accepting.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 19:25:08.925704
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deliverable_acceptance_requests',
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
    sa.Column('deliverable_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('artefacts_sha256', sa.String(length=64), nullable=False),
    sa.Column('open_key', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('closed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_deliverable_acceptance_requests_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverables.id'], name=op.f('fk_deliverable_acceptance_requests_deliverable_id_deliverables'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_deliverable_acceptance_requests_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_deliverable_acceptance_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverable_acceptance_requests')),
    sa.UniqueConstraint('open_key', name=op.f('uq_deliverable_acceptance_requests_open_key'))
    )
    with op.batch_alter_table('deliverable_acceptance_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_requests_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_requests_deliverable_id'), ['deliverable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_requests_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_requests_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_requests_status'), ['status'], unique=False)

    op.create_table('deliverable_artefacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deliverable_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deliverable_artefacts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverables.id'], name=op.f('fk_deliverable_artefacts_deliverable_id_deliverables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverable_artefacts'))
    )
    with op.batch_alter_table('deliverable_artefacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverable_artefacts_deliverable_id'), ['deliverable_id'], unique=False)

    op.create_table('deliverable_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deliverable_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('accepted_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('accepted_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('reservations', sa.Text(), nullable=True),
    sa.Column('artefacts', sa.JSON(), nullable=False),
    sa.Column('artefacts_sha256', sa.String(length=64), nullable=False),
    sa.Column('record_sha256', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('protocol_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_deliverable_acceptances_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverables.id'], name=op.f('fk_deliverable_acceptances_deliverable_id_deliverables'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_deliverable_acceptances_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['deliverable_acceptance_requests.id'], name=op.f('fk_deliverable_acceptances_request_id_deliverable_acceptance_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deliverable_acceptances_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverable_acceptances')),
    sa.UniqueConstraint('deliverable_id', name=op.f('uq_deliverable_acceptances_deliverable_id'))
    )
    with op.batch_alter_table('deliverable_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverable_acceptances_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('deliverable_artefact_files',
    sa.Column('artefact_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['artefact_id'], ['deliverable_artefacts.id'], name=op.f('fk_deliverable_artefact_files_artefact_id_deliverable_artefacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('artefact_id', name=op.f('pk_deliverable_artefact_files'))
    )
    op.create_table('deliverable_acceptance_files',
    sa.Column('acceptance_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['acceptance_id'], ['deliverable_acceptances.id'], name=op.f('fk_deliverable_acceptance_files_acceptance_id_deliverable_acceptances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('acceptance_id', name=op.f('pk_deliverable_acceptance_files'))
    )
    op.create_table('deliverable_acceptance_notices',
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
    sa.Column('acceptance_id', sa.Integer(), nullable=True),
    sa.Column('deliverable_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['acceptance_id'], ['deliverable_acceptances.id'], name=op.f('fk_deliverable_acceptance_notices_acceptance_id_deliverable_acceptances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverables.id'], name=op.f('fk_deliverable_acceptance_notices_deliverable_id_deliverables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverable_acceptance_notices')),
    sa.UniqueConstraint('acceptance_id', 'audience', name=op.f('uq_deliverable_acceptance_notices_acceptance_id_audience'))
    )
    with op.batch_alter_table('deliverable_acceptance_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_notices_acceptance_id'), ['acceptance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_notices_deliverable_id'), ['deliverable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverable_acceptance_notices_status'), ['status'], unique=False)

    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reservations', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.drop_column('reservations')

    with op.batch_alter_table('deliverable_acceptance_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_notices_status'))
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_notices_acceptance_id'))
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_notices_deliverable_id'))

    op.drop_table('deliverable_acceptance_notices')
    op.drop_table('deliverable_acceptance_files')
    op.drop_table('deliverable_artefact_files')
    with op.batch_alter_table('deliverable_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptances_engagement_id'))

    op.drop_table('deliverable_acceptances')
    with op.batch_alter_table('deliverable_artefacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverable_artefacts_deliverable_id'))

    op.drop_table('deliverable_artefacts')
    with op.batch_alter_table('deliverable_acceptance_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_requests_status'))
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_requests_outcome'))
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_requests_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_requests_deliverable_id'))
        batch_op.drop_index(batch_op.f('ix_deliverable_acceptance_requests_deadline'))

    op.drop_table('deliverable_acceptance_requests')
