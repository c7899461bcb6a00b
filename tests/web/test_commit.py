"""A write whose commit fails is not answered as done: the client hears of it (409 for a clash,
503 for a lost database, 500 otherwise) and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tests.conftest import Api


@contextmanager
def commits_fail_with(error: Exception) -> Iterator[None]:
    def refuse(session: Session) -> None:
        if session.new:  # the request's write, not a sign-in's bookkeeping
            raise error

    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (IntegrityError("INSERT", {}, Exception("duplicate key")), 409, "conflict"),
        (OperationalError("COMMIT", {}, Exception("server closed the connection")), 503, "unavailable"),
        (RuntimeError("disk full"), 500, "internal"),
    ],
)
async def test_a_failed_commit_is_the_answer(api: Api, error: Exception, status: int, slug: str) -> None:
    with commits_fail_with(error):
        answer = await api.post("/clients", json={"name": "Nie gespeichert GmbH"})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == f"/problems/{slug}" and answer.json()["instance"] == "/api/v1/clients"
    assert int(answer.headers["content-length"]) == len(answer.content)
    listed = await api.get("/clients", params={"q": "Nie gespeichert"})
    assert listed.status_code == 200 and listed.json()["items"] == []
    # The next write goes through as usual.
    assert (await api.post("/clients", json={"name": "Gespeichert GmbH"})).status_code == 201
