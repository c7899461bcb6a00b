"""Imports every domain's tables so metadata (Alembic, tests) sees the whole schema."""

from backend.domains.audit.models import AuditEvent
from backend.domains.auth.models import User
from backend.domains.auth.sessions import AuthSession
from backend.domains.clients.models import Client, Contact, ReadinessAssessment
from backend.domains.deliverables.models import Deliverable, DeliverableArtefact, DeliverableArtefactFile
from backend.domains.engagements.models import Engagement, StatusUpdate
from backend.domains.literacy.models import (
    AISystem,
    AISystemUser,
    Attendance,
    FeedbackAnswer,
    FeedbackBallot,
    GuidelineAcknowledgement,
    Participant,
)
from backend.domains.pilots.aftercare_models import Checkpoint, RunCost, SlipAlert
from backend.domains.pilots.models import Kpi, Measurement, Pilot, SubProcessor, UseCaseIdea
from backend.domains.pilots.timing_models import TimingContributor, TimingRound, TimingSample
from backend.domains.timesheets.models import BurnAlert, CostRate, TimeEntry
from backend.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from backend.domains.workshops.models import Workshop, WorkshopAttendee
from backend.flows.acceptance.models import (
    AcceptanceNotice,
    DeliverableAcceptance,
    DeliverableAcceptanceFile,
    DeliverableAcceptanceRequest,
)
from backend.flows.digests.models import DigestDelivery
from backend.flows.documents.models import Document
from backend.flows.invoicing.models import (
    Invoice,
    InvoiceFile,
    InvoiceLine,
    InvoiceMailing,
    InvoicePayment,
    InvoiceSeries,
)
from backend.flows.literacy.models import Certificate, CertificateMail, GuidelineInvitation, LiteracyReminder
from backend.flows.portal.models import (
    DpaAcceptance,
    DpaObjection,
    LoginLink,
    ProposalAcceptance,
    ProposalDecline,
    ProposalExpiryNotice,
    ShareLink,
    StatementDecision,
)
from backend.flows.privacy.models import Erasure, LegalHold, PrivacyRequest, PrivacyRequestNotice
from backend.kernel.db import SQLModel
from backend.kernel.outbox import JobIntent

metadata = SQLModel.metadata

__all__ = [
    "AISystem",
    "AISystemUser",
    "AcceptanceNotice",
    "Attendance",
    "AuditEvent",
    "AuthSession",
    "BurnAlert",
    "Certificate",
    "CertificateMail",
    "Checkpoint",
    "Client",
    "Contact",
    "CostRate",
    "Deliverable",
    "DeliverableAcceptance",
    "DeliverableAcceptanceFile",
    "DeliverableAcceptanceRequest",
    "DeliverableArtefact",
    "DeliverableArtefactFile",
    "DigestDelivery",
    "Document",
    "DpaAcceptance",
    "DpaObjection",
    "Engagement",
    "Erasure",
    "FeedbackAnswer",
    "FeedbackBallot",
    "GuidelineAcknowledgement",
    "GuidelineInvitation",
    "Invoice",
    "LegalHold",
    "InvoiceFile",
    "InvoiceLine",
    "InvoiceMailing",
    "InvoicePayment",
    "InvoiceSeries",
    "JobIntent",
    "Kpi",
    "LiteracyReminder",
    "LoginLink",
    "Measurement",
    "Participant",
    "Pilot",
    "PrivacyRequest",
    "PrivacyRequestNotice",
    "ProposalAcceptance",
    "ProposalDecline",
    "ProposalExpiryNotice",
    "ReadinessAssessment",
    "RunCost",
    "ShareLink",
    "SlipAlert",
    "StatementDecision",
    "StatusUpdate",
    "SubProcessor",
    "TimeEntry",
    "TimingContributor",
    "TimingRound",
    "TimingSample",
    "UseCaseIdea",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "User",
    "Workshop",
    "WorkshopAttendee",
    "metadata",
]
