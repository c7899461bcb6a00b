"""time entries

Effort recorded against engagements (time entries, locked once approved or invoiced and set
right by corrections that name them), each consultant's dated internal cost rate, and the hours
in a billed day per engagement (8 for those there are).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 11:53:14.415586
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cost_rates',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('hourly_cost', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cost_rates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_rates')),
    sa.UniqueConstraint('user_id', 'valid_from', name=op.f('uq_cost_rates_user_id_valid_from'))
    )
    op.create_table('time_entries',
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=True),
    sa.Column('pilot_id', sa.Integer(), nullable=True),
    sa.Column('deliverable_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('locked_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('lock_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['corrects_id'], ['time_entries.id'], name=op.f('fk_time_entries_corrects_id_time_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverables.id'], name=op.f('fk_time_entries_deliverable_id_deliverables'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_time_entries_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_time_entries_pilot_id_pilots'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_time_entries_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], name=op.f('fk_time_entries_workshop_id_workshops'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_entries'))
    )
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_entries_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index('ix_time_entries_engagement_id_day_id', ['engagement_id', 'day', 'id'], unique=False)
        batch_op.create_index('ix_time_entries_user_id_day_id', ['user_id', 'day', 'id'], unique=False)

    # NOT NULL on existing rows: added with a default (which the model keeps). Added in place,
    # not in a batch: SQLite rebuilds a table to change it, and dropping the old engagements
    # table would cascade into every row hanging off it.
    op.add_column('engagements', sa.Column('hours_per_day', sa.Numeric(precision=4, scale=2), nullable=False, server_default='8.00'))


def downgrade() -> None:
    op.drop_column('engagements', 'hours_per_day')  # in place on SQLite too (3.35+), no rebuild

    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_time_entries_user_id_day_id')
        batch_op.drop_index('ix_time_entries_engagement_id_day_id')
        batch_op.drop_index(batch_op.f('ix_time_entries_corrects_id'))

    op.drop_table('time_entries')
    op.drop_table('cost_rates')
