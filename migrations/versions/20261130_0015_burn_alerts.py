"""burn alerts

Each engagement's budget thresholds (50, 80 and 100 % for those there are) and the alerts
that crossing one records once and mails once to the lead consultant.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 12:50:22.688669
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('burn_alerts',
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
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('used_pct', sa.Numeric(precision=8, scale=1), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_burn_alerts_engagement_id_engagements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_burn_alerts')),
    sa.UniqueConstraint('engagement_id', 'threshold', name=op.f('uq_burn_alerts_engagement_id_threshold'))
    )
    with op.batch_alter_table('burn_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_burn_alerts_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_burn_alerts_status'), ['status'], unique=False)

    # In place, never in a batch: SQLite would rebuild engagements, cascading into its rows.
    op.add_column('engagements', sa.Column('burn_alerts', sa.JSON(), server_default='[50, 80, 100]', nullable=False))



def downgrade() -> None:
    op.drop_column('engagements', 'burn_alerts')  # in place on SQLite too (3.35+)

    with op.batch_alter_table('burn_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_burn_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_burn_alerts_engagement_id'))

    op.drop_table('burn_alerts')
