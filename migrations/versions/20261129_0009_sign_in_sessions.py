"""sign-in sessions

Every token names a session row, so signing out ends it at once; a session counts only in its
user's current epoch, which every deactivation raises. Changes to sessions are announced on the
user change feed like changes to users (PostgreSQL). Users remember who
deactivated them: an admin's deactivation is not undone by a portal sign-in. Users inactive
before this revision count as deactivated by an admin, unless their contact lost portal access
or their client was archived (the only reasons the system deactivates).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 20:01:31.857747
"""

from collections.abc import Sequence

import advanced_alchemy.types  # noqa: F401 - autogenerate renders DateTimeUTC
import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('auth_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('expires_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('ended_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_by', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE users SET deactivated_by = 'system' WHERE is_active = false AND role = 'client' AND EXISTS ("
        " SELECT 1 FROM contacts JOIN clients ON clients.id = contacts.client_id WHERE contacts.id = users.contact_id"
        " AND (contacts.portal_access = false OR clients.archived_at IS NOT NULL))"
    )
    op.execute("UPDATE users SET deactivated_by = 'admin' WHERE is_active = false AND deactivated_by IS NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION desk_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('desk_users', OLD.user_id::text);
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER auth_sessions_changed AFTER UPDATE OR DELETE ON auth_sessions "
            "FOR EACH ROW EXECUTE FUNCTION desk_sessions_changed()"
        )



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auth_sessions_changed ON auth_sessions")
        op.execute("DROP FUNCTION desk_sessions_changed()")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('deactivated_by')

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_sessions_user_id'))

    op.drop_table('auth_sessions')
