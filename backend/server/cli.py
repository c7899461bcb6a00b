"""`desk` — run the service, migrate, manage users, load demo data."""

from __future__ import annotations

import asyncio
import os
import sys

import click
from pydantic import ValidationError

from backend.kernel.config import Settings, get_settings
from backend.kernel.db import make_engine, make_sessionmaker, unit_of_work
from backend.kernel.enums import Role
from backend.kernel.errors import DomainError


def _with_session(fn):
    async def runner(*args, **kwargs):
        engine = make_engine(settings_or_exit().database_url)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await fn(session, *args, **kwargs)
        finally:
            await engine.dispose()

    return runner


async def _migrate() -> None:
    from backend.kernel.migrate import upgrade

    engine = make_engine(settings_or_exit().database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def settings_or_exit() -> Settings:
    """The settings, or one readable line per wrong one and exit 1 (not a traceback)."""
    try:
        return get_settings()
    except ValidationError as exc:
        # Each setting by the environment variable that gives it.
        named = (
            (f"DESK_{'_'.join(map(str, e['loc'])).upper()}" if e["loc"] else "settings", e["msg"]) for e in exc.errors()
        )
        problems = "; ".join(f"{name}: {message}" for name, message in named)
        raise click.ClickException(f"the configuration is not usable — {problems}") from None


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
    from backend.domains.auth.service import create_user

    async def go(session):
        user = await create_user(
            session,
            email=email,
            full_name=full_name,
            password=password,
            role=Role(role),
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
    from backend.server.demo import seed_demo

    try:
        summary = asyncio.run(_with_session(seed_demo)(only_if_empty=if_empty))
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} (use --if-empty to skip a loaded database)") from exc
    click.echo(summary)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=click.IntRange(1, 65535), default=None)
@click.option("--no-seed", is_flag=True, help="Do not load demo data into an empty database")
@click.option("--no-worker", is_flag=True, help="Serve only; run `desk worker` separately")
def run(host: str | None, port: int | None, no_seed: bool, no_worker: bool) -> None:
    """Migrate, load demo data into an empty database, serve the API and run the job worker."""
    from backend.kernel import logs
    from backend.server.demo import demo_logins

    settings = settings_or_exit().serving(host, port)
    logs.configure(settings.log_level, settings.log_format)
    if not settings.redis_url:
        from backend.kernel.queue import redis_settings

        try:  # the embedded Redis, now: a problem with it is said in one line, before anything runs
            redis_settings(settings)
        except (OSError, RuntimeError) as exc:
            raise click.ClickException(f"the embedded Redis could not start ({exc}); or set DESK_REDIS_URL") from exc
    asyncio.run(_migrate())
    if not no_seed:
        from backend.server.demo import seed_demo

        click.echo(asyncio.run(_with_session(seed_demo)(only_if_empty=True)))
    host, port = settings.host, settings.port
    site = f"http://{host}:{port}"
    mail = settings.smtp_url.removeprefix("file://") if settings.smtp_url.startswith("file://") else "SMTP"
    logins = asyncio.run(_with_session(demo_logins)(settings.demo_password))
    lines = [f"\n  Engagement Desk on {site}  (API docs: {site}/schema)"]
    if logins:
        lines.append(f"  demo logins, password {settings.demo_password}:")
        notes = {"consultant": "the README's tour signs in as this one", "client": f"client portal: {site}/portal"}
        lines += [f"    {role.value:<11} {email}  {notes.get(role.value, '')}".rstrip() for role, email in logins]
    lines += [f"  emails go to: {mail}", ""]
    click.echo("\n".join(lines))
    sys.stdout.flush()
    try:
        asyncio.run(_serve(settings, host, port, with_worker=not no_worker))
    except KeyboardInterrupt:  # Ctrl-C after a clean shutdown: say so, not "Aborted!"
        click.echo("Engagement Desk stopped.")


async def _serve(settings, host: str, port: int, *, with_worker: bool) -> None:
    """Web server and, for the zero-setup default, the job worker in the same process."""
    import uvicorn

    from backend.server.app import create_app

    app = create_app(settings, embedded_worker=with_worker)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    )
    await server.serve()


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=click.IntRange(1, 65535), default=None)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Server processes")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Production server: the API and pages only (run `desk migrate` and `desk worker` apart)."""
    settings = settings_or_exit().serving(host, port)
    # The server processes read their settings from the environment: the links in mails follow
    # the port given here unless DESK_PUBLIC_URL is set.
    os.environ["DESK_PUBLIC_URL"] = settings.public_url
    sys.stdout.flush()
    # Settings checked: the supervisor that stays needs nothing of what this process imported.
    args = [settings.host, str(settings.port), str(workers), settings.forwarded_allow_ips]
    os.execv(sys.executable, [sys.executable, "-m", "backend.server.supervise", *args])


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty")
def worker(burst: bool) -> None:
    """Run the job worker (documents, weekly digests)."""
    from backend.kernel import logs
    from backend.server.worker import make_worker

    settings = settings_or_exit()
    logs.configure(settings.log_level, settings.log_format)
    # It waits for Redis to come up, and out any outage later, instead of exiting.
    make_worker(settings, burst=burst).run()


@main.command("check-worker")
def check_worker() -> None:
    """Exit 0 if a worker of this queue wrote a heartbeat recently (for container health checks)."""
    from backend.kernel.queue import queue_pool
    from backend.web.api.health import worker_heartbeat

    settings = settings_or_exit()

    async def beat() -> str | None:
        async with queue_pool(settings) as pool:
            return await worker_heartbeat(pool, settings.queue_name)

    found = asyncio.run(beat())
    click.echo(found or "no worker heartbeat")
    sys.exit(0 if found else 1)


@main.command("send-digests")
@click.option("--week", "iso_week", default=None, help="ISO week, e.g. 2026-W48 (default: this week)")
@click.option("--engagement", "engagement_ids", type=int, multiple=True, help="Only these engagements")
@click.option("--dry-run", is_flag=True, help="Show who would get which digest; send and change nothing")
def send_digests(iso_week: str | None, engagement_ids: tuple[int, ...], dry_run: bool) -> None:
    """Send the weekly status digests now, in this process (already delivered ones are skipped)."""
    import re

    from backend.flows.digests.operator import send_digests_now
    from backend.kernel.schema import existing_iso_week

    if iso_week is not None:
        if not re.fullmatch(r"\d{4}-W\d{2}", iso_week):
            raise click.BadParameter("use the form 2026-W48", param_hint="--week")
        try:
            existing_iso_week(iso_week)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--week") from exc
    for line in asyncio.run(send_digests_now(settings_or_exit(), iso_week, list(engagement_ids), dry_run=dry_run)):
        click.echo(line)


@main.command("retention")
@click.option("--apply", "apply_now", is_flag=True, help="Delete and strip now (default: only say what would go)")
def retention(apply_now: bool) -> None:
    """Retention (GDPR Art. 5 (1)(e)): what each policy deletes today, rows held back by a legal hold."""
    from backend.flows.privacy.retention import apply_retention
    from backend.kernel.time import today
    from backend.server import tables  # noqa: F401 - retention reads every table from the metadata

    async def go() -> list[str]:
        settings = settings_or_exit()
        engine = make_engine(settings.database_url)
        try:
            report = await apply_retention(make_sessionmaker(engine), settings, today(), dry_run=not apply_now)
        finally:
            await engine.dispose()
        lines = []
        for policy in report.policies:
            for step in policy.steps:
                verb = step.action if apply_now else f"would be {step.action}"
                lines.append(
                    f"{policy.key}: {step.rows} {step.table} rows {verb} (older than {policy.cutoff}, "
                    f"{policy.period}); {step.held} held back by a legal hold"
                )
        return lines

    for line in asyncio.run(go()):
        click.echo(line)


@main.command("api-doc")
@click.option("--output", default="docs/api.md", show_default=True, help="Where to write the table; - for stdout")
def api_doc(output: str) -> None:
    """Write the table of every API operation (method, path, roles, parameters, body)."""
    from pathlib import Path

    from backend.server.apidoc import api_table
    from backend.server.app import create_app

    table = api_table(create_app())
    if output == "-":
        click.echo(table, nl=False)
    else:
        Path(output).write_text(table, encoding="utf-8")
        click.echo(f"wrote {output}")


if __name__ == "__main__":
    main()
