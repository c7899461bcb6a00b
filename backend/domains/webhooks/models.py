"""Webhook subscriptions, the deliveries of events to them, and every attempt of each delivery."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import computed_field, field_validator
from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import DateTimeUTC, Row, utcnow
from backend.kernel.schema import RowRead, Strict, update_model


class WebhookEvent(StrEnum):
    proposal_accepted = "proposal.accepted"
    deliverable_signed_off = "deliverable.signed_off"
    measurement_recorded = "measurement.recorded"
    invoice_issued = "invoice.issued"
    webhook_test = "webhook.test"  # sent by POST /webhook-subscriptions/{id}/test only


SUBSCRIBABLE = tuple(e for e in WebhookEvent if e != WebhookEvent.webhook_test)


class SubscriptionBase(SQLModel):
    url: str = Field(min_length=1, max_length=2000, description="Where events are POSTed (https in production)")
    events: list[str] = Field(
        sa_type=JSON, description=f"The events to receive: {', '.join(e.value for e in SUBSCRIBABLE)}"
    )
    description: str | None = Field(default=None, max_length=300)
    active: bool = True


class WebhookSubscription(Row, SubscriptionBase, table=True):
    __tablename__ = "webhook_subscriptions"
    # The signing key, `whsec_` and base64 (Standard Webhooks); shown once, when made or rotated.
    secret: str = Field(max_length=100)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class SubscriptionCreate(SubscriptionBase, Strict):
    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        known = {e.value for e in SUBSCRIBABLE}
        unknown = [v for v in value if v not in known]
        if not value or unknown:
            raise ValueError(
                f"name one or more of: {', '.join(sorted(known))}" + (f" (not {unknown[0]!r})" if unknown else "")
            )
        return sorted(set(value))


SubscriptionUpdate = update_model(SubscriptionCreate)


class SubscriptionRead(SubscriptionBase, RowRead):
    secret: str = Field(default="", exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def secret_hint(self) -> str:
        """The secret's last four characters, to tell keys apart."""
        return "…" + self.secret[-4:] if self.secret else ""


class SubscriptionWithSecret(SubscriptionBase, RowRead):
    secret: str = Field(description="The signing secret (whsec_…): shown only now; keep it where the receiver reads it")


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # an attempt is under way
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # every attempt failed: redeliver by hand


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: the message the receiver gets (its id, `webhook-id`, is
    the same on every attempt and on a redelivery, so a receiver can drop a repeat)."""

    __tablename__ = "webhook_deliveries"
    # Never an id twice, not even after the newest rows went with their subscription: the jobs of
    # a delivery are named by its id (SQLite would give a deleted row's id again without this).
    __table_args__ = {"sqlite_autoincrement": True}
    id: int = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscriptions.id", ondelete="CASCADE", index=True)
    message_id: str = Field(max_length=40, index=True)
    event: str = Field(sa_type=String(40))
    payload: dict[str, Any] = Field(sa_type=JSON)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(20), index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=DateTimeUTC, index=True)
    last_status_code: int | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    redelivery_of: int | None = Field(default=None, foreign_key="webhook_deliveries.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTimeUTC, nullable=False)


class WebhookAttempt(SQLModel, table=True):
    """One try of a delivery: made once (the key), then filled in with the receiver's answer."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)
    id: int = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id", ondelete="CASCADE", index=True)
    number: int
    started_at: datetime = Field(sa_type=DateTimeUTC)
    finished_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500, sa_type=Text)
    duration_ms: int | None = None


class AttemptRead(SQLModel):
    number: int
    started_at: datetime
    finished_at: datetime | None
    status_code: int | None
    error: str | None
    duration_ms: int | None


class DeliverySummary(SQLModel):
    """A delivery in the log's list (its attempts: GET /webhook-deliveries/{id})."""

    id: int
    subscription_id: int
    message_id: str
    event: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    delivered_at: datetime | None
    redelivery_of: int | None
    created_at: datetime


class DeliveryRead(DeliverySummary):
    attempt_log: list[AttemptRead] = []
