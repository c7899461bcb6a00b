"""One settings object for the whole app; every value comes from a `DESK_` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from stdnum import bic, iban
from stdnum.eu import vat

from backend.kernel.tax_ids import valid_country

DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
VAR_DIR = Path("var")


# What an upload request may carry at most, whatever the setting (the handler's body limit).
ARTEFACT_CEILING_MIB = 200


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", env_file=".env", extra="ignore")

    # "dev" allows the built-in secret so `make run` needs no setup; anything else must set one.
    env: str = "dev"
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'desk.sqlite3'}"
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = 12 * 60
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    sql_echo: bool = False
    demo_password: str = "demo-passwort-2026"

    # The consultancy as it appears on every document (letterhead and legal footer).
    brand_name: str = "Engagement Desk KI-Beratung GmbH"
    brand_street: str = "Königstraße 28"
    brand_postal_code: str = "70173"
    brand_city: str = "Stuttgart"
    brand_country: str = "DE"
    brand_email: str = "kontakt@engagement-desk.de"
    brand_phone: str = "+49 711 123456-0"
    brand_website: str = "www.engagement-desk.de"
    brand_vat_id: str = "DE298765435"
    # Steuernummer of the tax office; an invoice names it, or the VAT id, or both (§ 14 (4) 2 UStG).
    brand_tax_number: str = "99/012/34567"
    brand_register: str = "Amtsgericht Stuttgart HRB 765432"
    brand_managing_director: str = "Dr. Lea Hoffmann"
    brand_bank_name: str = "BW-Bank Stuttgart"
    brand_iban: str = "DE22 6005 0101 0001 2345 67"
    brand_bic: str = "SOLADEST600"
    # Who a client's accounts department asks about an invoice (XRechnung's seller contact, BG-6).
    invoice_contact_name: str = "Buchhaltung"
    invoice_contact_phone: str = "+49 711 123456-20"
    invoice_contact_email: str = "rechnung@engagement-desk.de"
    # Path to an SVG logo; empty for a text-only letterhead.
    brand_logo_svg: str = ""
    # The language the team writes its notes in (situation, goals, recommendations); documents
    # in another language quote them as written and say so.
    team_language: str = "de"
    proposal_validity_days: int = Field(default=30, ge=1, le=365)
    # Days before a sent, unanswered proposal expires that its lead consultant is told (0: never).
    proposal_expiry_notice_days: int = Field(default=5, ge=0, le=60)
    payment_terms_days: int = 14
    # Months after which a trained person needs a refresher (AI literacy register); an AI system
    # may set its own.
    literacy_refresh_months: int = Field(default=12, ge=1, le=60)
    # Retention (GDPR Art. 5 (1)(e)), applied each night: sign-in link records and digest delivery
    # rows after these days, the before/after detail of audit events after these years;
    # proposals with their acceptances and invoices after these years from the end of their
    # year, which the law sets as the least (§ 257 HGB: 6, § 147 AO: 8).
    retention_sign_in_link_days: int = Field(default=30, ge=1, le=3650)
    retention_digest_delivery_days: int = Field(default=365, ge=1, le=3650)
    retention_audit_detail_years: int = Field(default=3, ge=1, le=30)
    retention_proposal_years: int = Field(default=6, ge=6, le=30)
    retention_invoice_years: int = Field(default=8, ge=8, le=30)
    # Answered privacy requests (the proof they were answered), years after the answer: the
    # limitation period of a claim or a fine over it (§ 195 BGB, § 31 OWiG) is three.
    retention_privacy_request_years: int = Field(default=3, ge=1, le=30)
    # The data protection officer, where the consultancy has one (Art. 37 GDPR): named in the
    # privacy notice and the record of processing.
    dpo_name: str | None = Field(default=None, max_length=200)
    dpo_email: str | None = Field(default=None, max_length=254)
    # The largest file a deliverable takes (PDF, Office, images, ZIP, text), in MiB.
    artefact_max_mib: int = Field(default=25, ge=1, le=ARTEFACT_CEILING_MIB)
    # A folder with the consultancy's own contract texts (agb.de.md, agb.en.md, avv.de.md,
    # avv.en.md; first line "Fassung: <version>"); empty for the bundled ones.
    legal_dir: str = ""
    # Days after an invoice's due date on which the reminder stages are mailed (Zahlungserinnerung,
    # 1. Mahnung, 2. Mahnung); empty for none.
    invoice_reminder_days: str = "7,21,35"
    # The tax advisor's DATEV export: consultant and client numbers, chart of accounts, and the
    # first debtor account (each client's is this plus its id).
    datev_consultant_number: int = Field(default=1001, ge=1001, le=9_999_999)
    datev_client_number: int = Field(default=1, ge=1, le=99_999)
    datev_chart: str = Field(default="SKR03", pattern="^SKR0[34]$")
    datev_debtor_base: int = Field(default=10000, ge=10000, le=69999)
    # Webhooks: how long a receiver may take to answer, and whether private, loopback and
    # link-local addresses (and plain http) may be called — for a receiver on the same machine
    # in development and tests only, never in production.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhooks_allow_private: bool = False

    # Job queue: a Redis URL, or empty for an embedded Redis server under ./var/.
    redis_url: str = ""
    queue_name: str = "desk:queue"
    job_timeout_seconds: int = 120
    job_max_tries: int = 8
    # A job pushed to the queue this long ago and not finished is looked for in Redis, and
    # pushed again if Redis lost it (a restart without persistence).
    outbox_recheck_seconds: int = 30
    # Weekly digest: weekday (0 = Monday) and time in Europe/Berlin.
    digest_weekday: int = 0
    digest_time: str = "07:00"
    # Where mail goes: smtp://user:pass@host:587?starttls=1, or a folder of .eml files.
    smtp_url: str = f"file://{VAR_DIR / 'outbox'}"
    mail_from: str = "status@engagement-desk.de"

    # Client portal. Links in emails point at `public_url`; unset, at this server's host and port.
    public_url: str = ""
    _public_url_given: bool = PrivateAttr(default=False)
    portal_link_ttl_minutes: int = 20
    share_link_days: int = 30
    # Sign-in links per hour: for one address from one source (a browser that signed in to it
    # before, else an IP address), and from one IP address; at most this many unused links per
    # contact at a time (further requests mail nothing until one is used or expires).
    login_links_per_email_hour: int = 5
    login_links_per_ip_hour: int = 30
    login_links_outstanding: int = 3
    # Password sign-in: wrong passwords from one source before it must wait (1, 2, 4 … minutes),
    # and hourly ceilings per IP address and per account for sources that never signed in.
    login_free_failures: int = 5
    login_failures_per_ip_hour: int = 50
    login_failures_per_account_hour: int = 20
    # PDF downloads per minute, per signed-in user or per IP address on a share link.
    downloads_per_minute: int = 30

    # Logs: one JSON object per line ("json") or plain lines ("text"); unset, plain lines in
    # development (env "dev") and JSON everywhere else.
    log_level: str = "INFO"
    log_format: str = ""
    # Proxies whose X-Forwarded-For/-Proto `desk serve` trusts (client IPs in audit and limits).
    forwarded_allow_ips: str = "127.0.0.1"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "dev" and self.secret_key == DEV_SECRET:
            raise ValueError("DESK_SECRET_KEY must be set when DESK_ENV is not 'dev'")
        if len(self.secret_key) < 32:
            raise ValueError("DESK_SECRET_KEY must be at least 32 characters")
        if not 0 <= self.digest_weekday <= 6:
            raise ValueError("DESK_DIGEST_WEEKDAY must be 0 (Monday) to 6 (Sunday)")
        hour, minute = self.digest_hour_minute
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValueError("DESK_DIGEST_TIME must be HH:MM")
        if self.team_language not in ("de", "en"):
            raise ValueError("DESK_TEAM_LANGUAGE must be de or en")
        self.log_format = self.log_format or ("text" if self.env == "dev" else "json")
        if self.log_format not in ("json", "text"):
            raise ValueError("DESK_LOG_FORMAT must be json or text")
        if self.webhooks_allow_private and self.env not in ("dev", "test"):
            raise ValueError("DESK_WEBHOOKS_ALLOW_PRIVATE is for development and tests (DESK_ENV dev or test) only")
        self._check_seller()
        try:
            days = self.reminder_days
        except ValueError:
            days = (-1,)
        if len(days) > 3 or list(days) != sorted(set(days)) or any(d < 1 for d in days):
            raise ValueError("DESK_INVOICE_REMINDER_DAYS must be up to 3 rising day counts, e.g. 7,21,35")
        self._public_url_given = bool(self.public_url)
        if not self.public_url:
            self.public_url = self._own_url(self.host, self.port)
        if not self.public_url.startswith(("http://", "https://")):
            raise ValueError("DESK_PUBLIC_URL must start with http:// or https://")
        return self

    def _check_seller(self) -> None:
        """The consultancy's legal data goes onto every invoice: a typo is refused at start, not
        discovered by a client's accounts department."""
        if self.brand_iban and not iban.is_valid(self.brand_iban):
            raise ValueError(f"DESK_BRAND_IBAN is no valid IBAN: {self.brand_iban}")
        if self.brand_bic and not bic.is_valid(self.brand_bic):
            raise ValueError(f"DESK_BRAND_BIC is no valid BIC: {self.brand_bic}")
        if self.brand_vat_id and not vat.is_valid(self.brand_vat_id):
            raise ValueError(f"DESK_BRAND_VAT_ID is no valid VAT id: {self.brand_vat_id}")
        if not (self.brand_vat_id or self.brand_tax_number):
            raise ValueError("DESK_BRAND_VAT_ID or DESK_BRAND_TAX_NUMBER must be set: invoices name one")
        if not valid_country(self.brand_country):
            raise ValueError("DESK_BRAND_COUNTRY must be a two-letter country code (ISO 3166-1), e.g. DE")

    def serving(self, host: str | None, port: int | None) -> Settings:
        """These settings for a server on `host`/`port` (command-line options): the links in
        mails follow, unless DESK_PUBLIC_URL says where the site is."""
        host, port = host or self.host, port or self.port
        public_url = self.public_url if self._public_url_given else self._own_url(host, port)
        return self.model_copy(update={"host": host, "port": port, "public_url": public_url})

    @staticmethod
    def _own_url(host: str, port: int) -> str:
        # A server on every interface is reached, from this machine, on the loopback address.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"

    def link(self, path: str) -> str:
        """An absolute URL on this site, for emails."""
        return self.public_url.rstrip("/") + path

    @property
    def reminder_days(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.invoice_reminder_days.split(",") if d.strip())

    @property
    def digest_hour_minute(self) -> tuple[int, int]:
        hour, minute = self.digest_time.split(":")
        return int(hour), int(minute)


@lru_cache
def get_settings() -> Settings:
    return Settings()
