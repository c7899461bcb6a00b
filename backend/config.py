"""One settings object for the whole app; every value comes from a `DESK_` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", env_file=".env", extra="ignore")

    # "dev" allows the built-in secret so `make run` needs no setup; anything else must set one.
    env: str = "dev"
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'desk.sqlite3'}"
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = 12 * 60
    host: str = "127.0.0.1"
    port: int = 8000
    sql_echo: bool = False
    demo_password: str = "demo-passwort-2026"

    # The consultancy as it appears on every document (letterhead and legal footer).
    brand_name: str = "Engagement Desk KI-Beratung GmbH"
    brand_street: str = "Königstraße 28"
    brand_city: str = "70173 Stuttgart"
    brand_email: str = "kontakt@engagement-desk.de"
    brand_phone: str = "+49 711 123456-0"
    brand_website: str = "www.engagement-desk.de"
    brand_vat_id: str = "DE298765432"
    brand_register: str = "Amtsgericht Stuttgart HRB 765432"
    brand_managing_director: str = "Dr. Lea Hoffmann"
    brand_bank_name: str = "BW-Bank Stuttgart"
    brand_iban: str = "DE12 6005 0101 0001 2345 67"
    brand_bic: str = "SOLADEST600"
    # Path to an SVG logo; empty for a text-only letterhead.
    brand_logo_svg: str = ""
    proposal_validity_days: int = 30
    payment_terms_days: int = 14

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "dev" and self.secret_key == DEV_SECRET:
            raise ValueError("DESK_SECRET_KEY must be set when DESK_ENV is not 'dev'")
        if len(self.secret_key) < 32:
            raise ValueError("DESK_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
