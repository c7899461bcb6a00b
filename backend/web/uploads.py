"""File uploads (a deliverable's artefacts), for the API and the admin page alike: the body
limit of the route, and a refusal before the body is read when its declared length is over the
configured limit (DESK_ARTEFACT_MAX_MIB), so a large upload does not fill the memory first."""

from __future__ import annotations

from typing import Any

from backend.kernel.config import ARTEFACT_CEILING_MIB
from backend.kernel.errors import TooLarge

MIB = 1024 * 1024
# The multipart envelope around the file: boundaries, part headers, the CSRF field.
ENVELOPE = 64 * 1024
# What a route reads at most, whatever the setting (a body without a length is cut off here).
BODY_LIMIT = ARTEFACT_CEILING_MIB * MIB + ENVELOPE


def file_limit(request: Any) -> int:
    return int(request.app.state.settings.artefact_max_mib) * MIB


async def within_upload_limit(request: Any) -> None:
    """A route's before_request: 413 at once for a declared length over the limit."""
    length = request.headers.get("content-length", "")
    limit = file_limit(request)
    if length.isascii() and length.isdigit() and int(length) > limit + ENVELOPE:
        mib = limit // MIB
        raise TooLarge(f"the file is larger than {mib} MiB", key="artefact_too_large", mib=mib)
