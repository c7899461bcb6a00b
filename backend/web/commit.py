"""A request's unit of work is committed before its answer leaves, and a commit that fails
changes the answer: the client is told (409, 503 or 500 as for any refused write) instead of
getting the handler's 2xx for work that was never stored. The plugin's own handler would log
the failure and send the 2xx anyway."""

from __future__ import annotations

import json
import logging
from typing import Any

from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state
from litestar import Request
from litestar.types import Message, Scope

from backend.kernel.errors import answer_to_failure

log = logging.getLogger(__name__)

# Pages answer a successful form with a redirect (303): 2xx and 3xx commit, the rest rolls back.
COMMITTED = range(200, 400)
_FAILED = "desk_failed_commit"
# What a failed write's answer keeps of the headers the handler meant to send.
_DROPPED = {b"content-type", b"content-length", b"set-cookie", b"location", b"content-disposition", b"etag", b"job-id"}


def commit_before_send(session_scope_key: str) -> Any:
    async def handler(message: Message, scope: Scope) -> None:
        session = get_aa_scope_state(scope, session_scope_key)
        if message["type"] == "http.response.start" and session is not None:
            try:
                if message["status"] in COMMITTED:
                    await _commit_or_answer(session, message, scope)
                else:
                    await session.rollback()
            finally:
                await session.close()
                delete_aa_scope_state(scope, session_scope_key)
        elif message["type"] == "http.response.body" and (body := scope.pop(_FAILED, None)) is not None:  # type: ignore[misc]
            message["body"] = body
            message["more_body"] = False
        elif message["type"] in ("http.disconnect", "websocket.disconnect", "websocket.close") and session:
            await session.close()
            delete_aa_scope_state(scope, session_scope_key)

    return handler


async def _commit_or_answer(session: Any, message: Any, scope: Scope) -> None:
    try:
        await session.commit()
    except Exception as exc:
        try:
            await session.rollback()
        except Exception:
            log.debug("rollback after a failed commit failed too", exc_info=True)
        answer = answer_to_failure(Request(scope), exc)
        body = json.dumps(answer.content, default=str).encode()
        kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _DROPPED]
        added = [(k.lower().encode(), str(v).encode()) for k, v in (answer.headers or {}).items()]
        message["status"] = answer.status_code
        message["headers"] = [
            *kept,
            *added,
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scope[_FAILED] = body  # type: ignore[literal-required]
