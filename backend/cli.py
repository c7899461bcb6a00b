"""`desk` — run the service, migrate, manage users, load demo data."""

from __future__ import annotations

import asyncio
import sys

import click

from backend.config import get_settings
from backend.db import make_engine, make_sessionmaker, unit_of_work
from backend.enums import Role
from backend.errors import DomainError


def _with_session(fn):  # noqa: ANN001, ANN202 - tiny adapter for async CLI bodies
    async def runner(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        engine = make_engine(get_settings().database_url)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await fn(session, *args, **kwargs)
        finally:
            await engine.dispose()

    return runner


async def _migrate() -> None:
    from backend.migrate import upgrade

    engine = make_engine(get_settings().database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@click.group()
def main() -> None:
    """Engagement Desk: engagements, pilots with measured savings, documents and digests."""


@main.command()
def migrate() -> None:
    """Apply all database migrations."""
    asyncio.run(_migrate())
    click.echo("database is at the newest revision")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.consultant.value)
@click.option("--client-id", type=int, default=None, help="Only for role=client")
@click.password_option()
def create_user_cmd(email: str, full_name: str, role: str, client_id: int | None, password: str) -> None:
    """Create a user who can sign in."""
    from backend.auth.service import create_user

    async def go(session):  # noqa: ANN001, ANN202
        user = await create_user(
            session, email=email, full_name=full_name, password=password, role=Role(role),
            client_id=client_id,
        )
        return user.id

    try:
        user_id = asyncio.run(_with_session(go)())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"created user {user_id} <{email}> ({role})")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has clients")
def seed_demo_cmd(if_empty: bool) -> None:
    """Load the demo client Müller Präzisionstechnik GmbH with a running engagement."""
    from backend.demo import seed_demo

    try:
        summary = asyncio.run(_with_session(seed_demo)(only_if_empty=if_empty))
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} (use --if-empty to skip a loaded database)") from exc
    click.echo(summary)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--no-seed", is_flag=True, help="Do not load demo data into an empty database")
def run(host: str | None, port: int | None, no_seed: bool) -> None:
    """Migrate, load demo data into an empty database, and serve API + admin UI."""
    import uvicorn

    from backend.demo import DEMO_ADMIN_EMAIL

    settings = get_settings()
    asyncio.run(_migrate())
    if not no_seed:
        from backend.demo import seed_demo

        click.echo(asyncio.run(_with_session(seed_demo)(only_if_empty=True)))
    host = host or settings.host
    port = port or settings.port
    click.echo(
        f"\n  Engagement Desk on http://{host}:{port}  (API docs: http://{host}:{port}/schema)\n"
        f"  demo login: {DEMO_ADMIN_EMAIL} / {settings.demo_password}\n"
    )
    sys.stdout.flush()
    uvicorn.run("backend.app:create_app", factory=True, host=host, port=port, log_level="info")


if __name__ == "__main__":
    main()
