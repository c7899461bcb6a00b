import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from backend.kernel.config import DEV_SECRET, Settings
from backend.server.cli import main


def test_default_secret_is_refused_outside_dev() -> None:
    assert Settings(env="dev").secret_key == DEV_SECRET
    with pytest.raises(ValidationError, match="DESK_SECRET_KEY must be set"):
        Settings(env="production")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="production", secret_key="short")
    assert Settings(env="production", secret_key="p" * 40).env == "production"


def test_cli_migrates_creates_users_and_seeds(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    from backend.kernel.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(main, ["migrate"]).exit_code == 0
        created = runner.invoke(
            main,
            ["create-user", "--email", "anna@example.de", "--name", "Anna", "--role", "consultant"],
            input="ein-langes-passwort\nein-langes-passwort\n",
        )
        assert created.exit_code == 0, created.output
        assert "created user 1 <anna@example.de> (consultant)" in created.output
        duplicate = runner.invoke(
            main,
            ["create-user", "--email", "ANNA@example.de", "--name", "Anna", "--role", "admin"],
            input="ein-langes-passwort\nein-langes-passwort\n",
        )
        assert duplicate.exit_code == 1
        assert "already exists" in duplicate.output
        seeded = runner.invoke(main, ["seed-demo"])
        assert seeded.exit_code == 0, seeded.output
        assert "demo data loaded: 2 clients" in seeded.output
        again = runner.invoke(main, ["seed-demo", "--if-empty"])
        assert again.exit_code == 0 and "not loaded" in again.output
    finally:
        get_settings.cache_clear()


def test_send_digests_command(tmp_path, monkeypatch) -> None:
    from backend.kernel.config import get_settings

    monkeypatch.setenv("DESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'digests.sqlite3'}")
    monkeypatch.setenv("DESK_SMTP_URL", f"file://{tmp_path / 'outbox'}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(main, ["migrate"]).exit_code == 0
        assert runner.invoke(main, ["seed-demo"]).exit_code == 0
        preview = runner.invoke(main, ["send-digests", "--dry-run"])
        assert preview.exit_code == 0, preview.output
        assert "dry run" in preview.output
        assert "Sabine Müller <sabine.mueller@mueller-praezision.de> [de]: would send (new)" in preview.output
        assert not (tmp_path / "outbox").exists()
        sent = runner.invoke(main, ["send-digests"])
        assert "engagement 1: done, sent 2, already sent 0" in sent.output, sent.output
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
        again = runner.invoke(main, ["send-digests"])
        assert "engagement 1: done, sent 0, already sent 2" in again.output
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
        bad = runner.invoke(main, ["send-digests", "--week", "2026-48"])
        assert bad.exit_code == 2 and "2026-W48" in bad.output
        no_such_week = runner.invoke(main, ["send-digests", "--week", "2026-W99"])
        assert no_such_week.exit_code == 2 and "2026 has no ISO week 99" in no_such_week.output
    finally:
        get_settings.cache_clear()


def test_the_links_in_mails_follow_the_port_unless_the_public_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_PORT", "8001")
    assert Settings().public_url == "http://127.0.0.1:8001"
    assert Settings().serving(None, 9000).public_url == "http://127.0.0.1:9000"  # desk run --port 9000
    assert Settings().serving("0.0.0.0", None).public_url == "http://127.0.0.1:8001"
    assert Settings().link("/portal") == "http://127.0.0.1:8001/portal"
    monkeypatch.setenv("DESK_PUBLIC_URL", "https://desk.example.de")
    assert Settings().serving(None, 9000).public_url == "https://desk.example.de"


def test_logs_are_plain_lines_in_development_and_json_elsewhere() -> None:
    assert Settings(env="dev").log_format == "text"
    assert Settings(env="production", secret_key="p" * 40).log_format == "json"
    assert Settings(env="dev", log_format="json").log_format == "json"
    with pytest.raises(ValidationError, match="json or text"):
        Settings(log_format="xml")


def test_retention_command_says_what_would_go_and_refuses_less_than_the_law(tmp_path, monkeypatch) -> None:
    from backend.kernel.config import get_settings

    monkeypatch.setenv("DESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'retention.sqlite3'}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(main, ["migrate"]).exit_code == 0
        preview = runner.invoke(main, ["retention"])
        assert preview.exit_code == 0, preview.output
        assert "sign_in_links: 0 portal_login_links rows would be deleted" in preview.output
        assert "audit_detail: 0 audit_events rows would be stripped" in preview.output
        applied = runner.invoke(main, ["retention", "--apply"])
        assert "invoices: 0 invoices rows deleted" in applied.output, applied.output
        monkeypatch.setenv("DESK_RETENTION_INVOICE_YEARS", "5")
        get_settings.cache_clear()
        refused = runner.invoke(main, ["retention"])
        assert refused.exit_code == 1 and "DESK_RETENTION_INVOICE_YEARS" in refused.output
    finally:
        get_settings.cache_clear()
