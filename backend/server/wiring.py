"""The one place where flows and domains are connected to the domain hooks they react to; the app and the
worker call `connect_reactions()` at start."""

from backend.domains import crud
from backend.domains.clients import resources as clients
from backend.domains.deliverables import resources as deliverables
from backend.domains.engagements import resources as engagements
from backend.domains.engagements.service import refuse_other_clients_engagement
from backend.domains.literacy import reactions as literacy
from backend.domains.pilots import resources as pilots
from backend.domains.timesheets.statements import keep_approved_time
from backend.domains.workshops import resources as workshops
from backend.flows.acceptance import reactions as acceptance
from backend.flows.acceptance.records import deliverable_moved
from backend.flows.invoicing.reactions import keep_invoiced
from backend.flows.literacy.reactions import keep_certified_training
from backend.flows.portal import reactions as portal_reactions


def connect_reactions() -> None:
    portal_reactions.connect()
    clients.assessment_engagement_given.connect(refuse_other_clients_engagement)
    crud.row_deleting.connect(keep_approved_time)
    crud.row_deleting.connect(keep_invoiced)
    deliverables.deliverable_moved.connect(deliverable_moved)
    crud.row_deleting.connect(acceptance.keep_accepted_work)
    crud.row_deleting.connect(keep_certified_training)
    engagements.engagement_moved.connect(acceptance.engagement_moved)
    for hook in (clients.portal_access_ended, clients.address_changed, clients.contact_deleted):
        hook.connect(acceptance.contact_unreachable)
    clients.client_archived.connect(acceptance.client_archived)
    workshops.workshop_references.connect(literacy.ai_system_of_client)
    pilots.pilot_moved.connect(literacy.pilot_in_production)
