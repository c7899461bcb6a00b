"""Domain hooks: the reactions connected by the server run in order, in the caller's
transaction; a guarding hook with nothing connected refuses to fire."""

import pytest

from backend.domains import crud
from backend.domains.clients import resources as clients
from backend.kernel.events import Hook
from backend.server.wiring import connect_reactions


async def test_required_hook_refuses_to_fire_unconnected() -> None:
    hook: Hook[[int]] = Hook("something happened", required=True)
    with pytest.raises(RuntimeError, match="something happened"):
        await hook(1)


async def test_reactions_run_in_order_and_connect_once() -> None:
    seen: list[tuple[str, int]] = []

    async def first(n: int) -> None:
        seen.append(("first", n))

    async def second(n: int) -> None:
        seen.append(("second", n))

    hook: Hook[[int]] = Hook("counted")
    hook.connect(first)
    hook.connect(second)
    hook.connect(first)  # a second app in one process wires again
    await hook(7)
    assert seen == [("first", 7), ("second", 7)]


def test_server_wiring_connects_every_guarding_hook() -> None:
    connect_reactions()
    for hook in (clients.client_archived, clients.contact_deleted, clients.portal_access_ended, crud.row_deleting):
        assert hook.required and hook._reactions, hook
