"""What the engagement page shows of its deliverables' Abnahme: artefacts, open requests with
their deadlines, acceptances; in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.deliverables.artefacts import artefacts_by_deliverable
from backend.domains.deliverables.models import DeliverableArtefact
from backend.flows.acceptance.models import DeliverableAcceptance, DeliverableAcceptanceRequest, RequestOutcome
from backend.flows.acceptance.records import acceptances_of
from backend.flows.acceptance.requests import requests_of


@dataclass
class DeliverableContracts:
    artefacts: dict[int, list[DeliverableArtefact]]
    open_requests: dict[int, DeliverableAcceptanceRequest]  # by deliverable
    acceptances: dict[int, DeliverableAcceptance]  # by deliverable


async def deliverable_contracts(
    session: AsyncSession, engagement_id: int, deliverable_ids: list[int]
) -> DeliverableContracts:
    requests = await requests_of(session, engagement_id)
    return DeliverableContracts(
        artefacts=await artefacts_by_deliverable(session, deliverable_ids),
        open_requests={r.deliverable_id: r for r in requests if r.outcome == RequestOutcome.open},
        acceptances={a.deliverable_id: a for a in await acceptances_of(session, engagement_id)},
    )
