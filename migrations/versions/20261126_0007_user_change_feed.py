"""user change feed

Every change to a user row is announced on the channel `desk_users` (payload: the user id), so
web processes can forget what they remembered about that user at once (backend.domains.auth.principals).
Also fires for changes made by foreign-key actions (a contact's deletion nulls users.contact_id).
PostgreSQL only; SQLite deployments are a single process that reads the user on every request.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION desk_users_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('desk_users', OLD.id::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users "
        "FOR EACH ROW EXECUTE FUNCTION desk_users_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER users_changed ON users")
    op.execute("DROP FUNCTION desk_users_changed()")
