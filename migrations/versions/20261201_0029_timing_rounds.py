"""timing rounds

Anonymous stopwatch rounds per KPI: the round, the devices that took part (a hashed key, no
reference from any time) and the timed tasks (a random id and the day), the latter two deleted
when the round ends.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 10:12:55.487715
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('timing_rounds',
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('task', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('min_contributors', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('contributors', sa.Integer(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('ended_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('measurement_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('checkpoint_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_timing_rounds_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_timing_rounds_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_timing_rounds_measurement_id_measurements'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timing_rounds'))
    )
    with op.batch_alter_table('timing_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timing_rounds_kpi_id'), ['kpi_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timing_rounds_status'), ['status'], unique=False)

    op.create_table('timing_contributors',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['timing_rounds.id'], name=op.f('fk_timing_contributors_round_id_timing_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_timing_contributors')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('timing_contributors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timing_contributors_round_id'), ['round_id'], unique=False)

    op.create_table('timing_samples',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['timing_rounds.id'], name=op.f('fk_timing_samples_round_id_timing_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timing_samples')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('timing_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timing_samples_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('timing_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timing_samples_round_id'))

    op.drop_table('timing_samples')
    with op.batch_alter_table('timing_contributors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timing_contributors_round_id'))

    op.drop_table('timing_contributors')
    with op.batch_alter_table('timing_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timing_rounds_status'))
        batch_op.drop_index(batch_op.f('ix_timing_rounds_kpi_id'))

    op.drop_table('timing_rounds')
