"""Imports every domain's tables so metadata (Alembic, tests) sees the whole schema."""

from backend.audit.models import AuditEvent
from backend.auth.models import User
from backend.auth.sessions import AuthSession
from backend.clients.models import Client, Contact, ReadinessAssessment
from backend.db import SQLModel
from backend.deliverables.models import Deliverable
from backend.digests.models import DigestDelivery
from backend.engagements.models import Engagement, StatusUpdate
from backend.outbox import JobIntent
from backend.pilots.models import Kpi, Measurement, Pilot, UseCaseIdea
from backend.portal.models import LoginLink, ProposalAcceptance, ShareLink
from backend.reports.models import Document
from backend.workshops.models import Workshop, WorkshopAttendee

metadata = SQLModel.metadata

__all__ = [
    "AuditEvent",
    "AuthSession",
    "Client",
    "Contact",
    "Deliverable",
    "DigestDelivery",
    "Document",
    "Engagement",
    "JobIntent",
    "Kpi",
    "LoginLink",
    "Measurement",
    "Pilot",
    "ProposalAcceptance",
    "ReadinessAssessment",
    "ShareLink",
    "StatusUpdate",
    "UseCaseIdea",
    "User",
    "Workshop",
    "WorkshopAttendee",
    "metadata",
]
