"""participants

A client's employees who attend its workshops (AI literacy, EU AI Act Art. 4): name, role group,
department, an optional address; no portal account, no contact needed.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 21:11:56.716608
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participants',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role_group', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_participants_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants')),
    sa.UniqueConstraint('client_id', 'email', name=op.f('uq_participants_client_id_email'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_participants_client_id_name_id', ['client_id', 'name', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_client_id_name_id')
        batch_op.drop_index(batch_op.f('ix_participants_client_id'))

    op.drop_table('participants')
