"""list indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:43:59.019592
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index('ix_clients_name_id', ['name', 'id'], unique=False)

    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.create_index('ix_deliverables_engagement_id_due_week_id', ['engagement_id', 'due_week', 'id'], unique=False)

    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.create_index('ix_engagements_start_date_id', ['start_date', 'id'], unique=False)
        batch_op.create_index('ix_engagements_status_start_date_id', ['status', 'start_date', 'id'], unique=False)
        batch_op.create_index('ix_engagements_title_id', ['title', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_index('ix_engagements_title_id')
        batch_op.drop_index('ix_engagements_status_start_date_id')
        batch_op.drop_index('ix_engagements_start_date_id')

    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.drop_index('ix_deliverables_engagement_id_due_week_id')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('ix_clients_name_id')

