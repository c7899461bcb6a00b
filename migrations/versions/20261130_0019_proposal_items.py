"""proposal items

A fixed fee made of line items with options and alternatives; the acceptance records the options
chosen, the items in force, the agreed fee and the contract texts (AGB, AVV) accepted with it.
Pilots say whether they process personal data (the proposal then includes the AVV).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 19:11:19.315765
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal_items', sa.JSON(), server_default='[]', nullable=False))

    with op.batch_alter_table('pilots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processes_personal_data', sa.Boolean(), server_default='false', nullable=False))

    with op.batch_alter_table('proposal_acceptances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('items', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('fee_net', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch_op.add_column(sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('agreements', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('record_sha256', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('proposal_acceptances', schema=None) as batch_op:
        batch_op.drop_column('record_sha256')
        batch_op.drop_column('agreements')
        batch_op.drop_column('vat_rate')
        batch_op.drop_column('currency')
        batch_op.drop_column('fee_net')
        batch_op.drop_column('items')
        batch_op.drop_column('options')

    with op.batch_alter_table('pilots', schema=None) as batch_op:
        batch_op.drop_column('processes_personal_data')

    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_column('proposal_items')

