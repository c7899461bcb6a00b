"""job outbox

Jobs a request plans are recorded here in the request's own transaction and relayed to the
queue after commit (backend.kernel.outbox), so a Redis outage loses no accepted work.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 19:42:29.976254
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=100), nullable=False),
    sa.Column('function', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('enqueued_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('pushes', sa.Integer(), nullable=False),
    sa.Column('done_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
    sa.UniqueConstraint('job_id', name=op.f('uq_job_outbox_job_id'))
    )
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_job_outbox_done_at_id', ['done_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_job_outbox_done_at_id')

    op.drop_table('job_outbox')
