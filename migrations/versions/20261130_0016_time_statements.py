"""time statements

A document version may state the time of a period (its first and last day); the client's
answer to such a version (approved or disputed, by whom, when, from where, which bytes); and
on each time entry the statement in which the client approved it; and an index for the list of
all entries, newest first.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 14:20:00
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('statement_decisions',
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
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('document_number', sa.Integer(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('typed_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('disputed', sa.JSON(), nullable=True),
    sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('decided_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_statement_decisions_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_statement_decisions_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_statement_decisions_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_statement_decisions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_decisions')),
    sa.UniqueConstraint('document_id', name=op.f('uq_statement_decisions_document_id'))
    )
    with op.batch_alter_table('statement_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_decisions_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_decisions_status'), ['status'], unique=False)

    # In place, never in a batch: SQLite would rebuild the tables, cascading into their rows.
    op.add_column('documents', sa.Column('period_start', sa.Date(), nullable=True))
    op.add_column('documents', sa.Column('period_end', sa.Date(), nullable=True))
    # A plain column, no reference: SQLite cannot add one in place, and rebuilding time_entries
    # would cascade its drop into the corrections copied already. A statement goes only with its
    # engagement, which takes the entries along.
    op.add_column('time_entries', sa.Column('statement_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_time_entries_statement_id'), 'time_entries', ['statement_id'], unique=False)
    # The list of all entries, newest first (GET /time-entries), without sorting them all.
    op.create_index('ix_time_entries_day_id', 'time_entries', ['day', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_time_entries_day_id', table_name='time_entries')
    op.drop_index(op.f('ix_time_entries_statement_id'), table_name='time_entries')
    op.drop_column('time_entries', 'statement_id')  # in place on SQLite too (3.35+)
    op.drop_column('documents', 'period_end')  # in place on SQLite too (3.35+)
    op.drop_column('documents', 'period_start')
    with op.batch_alter_table('statement_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_decisions_status'))
        batch_op.drop_index(batch_op.f('ix_statement_decisions_engagement_id'))
    op.drop_table('statement_decisions')
