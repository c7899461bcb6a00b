from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from pydantic import field_validator
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.enums import Role
from backend.kernel.schema import Email, RowRead, Strict, real_address, update_model


class UserBase(SQLModel):
    email: Email = Field(max_length=254, sa_type=String(254), unique=True, index=True)
    full_name: str = Field(min_length=1, max_length=200)
    role: Role = Field(sa_type=String(20))
    # Only for role=client: the one client whose data this user may see.
    client_id: int | None = Field(default=None, foreign_key="clients.id", ondelete="CASCADE")
    is_active: bool = True


class User(Row, UserBase, table=True):
    __tablename__ = "users"
    password_hash: str = Field(max_length=255)
    last_login_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    # Portal users are made on a contact's first sign-in link; they never have a password.
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL", unique=True)
    # Who made the user inactive: "admin" stands until an admin lifts it; "system" (the contact
    # lost portal access, the client was archived) is lifted by a sign-in once access is back.
    deactivated_by: str | None = Field(default=None, sa_type=String(10))
    # Raised by every deactivation: a session counts only while it was opened in the current
    # epoch, so none opened before (or during) a deactivation comes back with a reactivation.
    session_epoch: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    # Set by an erasure (GDPR Art. 17): the account is closed for good, its name and address gone.
    erased_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class UserCreate(UserBase, Strict):
    password: str = Field(min_length=12, max_length=256)
    _real = field_validator("email")(real_address)


# PATCH body: every field of the create body optional, `version` required.
UserUpdate = update_model(UserCreate)


class UserValues(UserBase, Strict):
    """A user's values as PATCH re-validates them: the password is optional there."""

    password: str | None = Field(default=None, min_length=12, max_length=256)


class UserRead(UserBase, RowRead):
    last_login_at: datetime | None = None
    contact_id: int | None = None
    deactivated_by: str | None = None
    erased_at: datetime | None = None


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserRead
