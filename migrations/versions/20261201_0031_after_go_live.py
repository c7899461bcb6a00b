"""after go-live

The checkpoints 30, 60 and 90 days after an engagement ends (one per pilot and day, mailed
once), the alerts of KPIs slipping back (one per measurement), the pilots' actual run costs by
month, and each KPI's slip threshold.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 10:58:32.718146
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pilot_checkpoints',
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
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_pilot_checkpoints_pilot_id_pilots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilot_checkpoints')),
    sa.UniqueConstraint('pilot_id', 'days', name=op.f('uq_pilot_checkpoints_pilot_id_days'))
    )
    with op.batch_alter_table('pilot_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pilot_checkpoints_pilot_id'), ['pilot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pilot_checkpoints_status'), ['status'], unique=False)

    op.create_table('pilot_run_costs',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_pilot_run_costs_pilot_id_pilots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilot_run_costs')),
    sa.UniqueConstraint('pilot_id', 'month', name=op.f('uq_pilot_run_costs_pilot_id_month'))
    )
    with op.batch_alter_table('pilot_run_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pilot_run_costs_pilot_id'), ['pilot_id'], unique=False)

    op.create_table('kpi_slip_alerts',
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
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('measurement_id', sa.Integer(), nullable=False),
    sa.Column('at_go_live', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('now', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('kept_percent', sa.Numeric(precision=8, scale=1), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_kpi_slip_alerts_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_kpi_slip_alerts_measurement_id_measurements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_slip_alerts')),
    sa.UniqueConstraint('measurement_id', name=op.f('uq_kpi_slip_alerts_measurement_id'))
    )
    with op.batch_alter_table('kpi_slip_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_slip_alerts_kpi_id'), ['kpi_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_slip_alerts_status'), ['status'], unique=False)

    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slip_alert_percent', sa.Integer(), server_default='25', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_column('slip_alert_percent')

    with op.batch_alter_table('kpi_slip_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_slip_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_kpi_slip_alerts_kpi_id'))

    op.drop_table('kpi_slip_alerts')
    with op.batch_alter_table('pilot_run_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pilot_run_costs_pilot_id'))

    op.drop_table('pilot_run_costs')
    with op.batch_alter_table('pilot_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pilot_checkpoints_status'))
        batch_op.drop_index(batch_op.f('ix_pilot_checkpoints_pilot_id'))

    op.drop_table('pilot_checkpoints')
