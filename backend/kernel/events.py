"""Named extension points: how a domain lets a layer above react to its changes in the same
transaction without importing it (a client archived ends its portal access, in the portal flow).

A domain declares the hook and fires it; the server connects the reactions once at start
(`backend.server.wiring`). A hook marked `required` refuses to fire with nothing connected, so
a process that forgot the wiring fails loudly instead of skipping a reaction that guards data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    def __init__(self, name: str, *, required: bool = False) -> None:
        self.name = name
        self.required = required
        self._reactions: list[Callable[P, Awaitable[Any]]] = []

    def connect(self, reaction: Callable[P, Awaitable[Any]]) -> None:
        if reaction not in self._reactions:  # connecting twice (a second app in one process) is harmless
            self._reactions.append(reaction)

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        if self.required and not self._reactions:
            raise RuntimeError(f"nothing reacts to '{self.name}': the server's wiring did not run")
        for reaction in self._reactions:
            await reaction(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._reactions)} reactions)"
