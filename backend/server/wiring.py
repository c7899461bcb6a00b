"""The one place where flows are connected to the domain hooks they react to; the app and the
worker call `connect_reactions()` at start."""

from backend.flows.portal import reactions as portal_reactions


def connect_reactions() -> None:
    portal_reactions.connect()
