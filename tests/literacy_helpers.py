"""Shared steps of the AI-literacy tests: a workshop running now, its room link, a check-in as
a phone sends it, and a look at the stored rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from tests.conftest import Api
from tests.factories import make_engagement
from tests.portal_helpers import CSRF

FEEDBACK_LINK = re.compile(r'href="(/f/[^"]+)"')


async def workshop_now(api: Api, client: dict[str, Any], *, started_minutes_ago: int = 5, **extra: Any) -> dict:
    engagement = await make_engagement(api, client["id"])
    start = datetime.now(UTC) - timedelta(minutes=started_minutes_ago)
    return await api.create(
        "workshops",
        {
            "engagement_id": engagement["id"],
            "kind": "enablement",
            "title": "KI-Grundlagen für den Vertrieb",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=4)).isoformat(),
            "topics": ["ai_basics", "limits_hallucination"],
            "materials_version": "v2.1",
        }
        | extra,
    )


async def room_path(api: Api, workshop: dict[str, Any], **params: Any) -> str:
    response = await api.get(f"/workshops/{workshop['id']}/check-in-link", params=params)
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    return url[url.index("/c/") :]


async def check_in(api: Api, path: str, name: str, department: str = "") -> Any:
    page = await api.http.get(path)
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text).group(1)
    return await api.http.post(path, data={"name": name, "department": department, "_csrf_token": csrf})


async def rows(api: Api, sql: str, **params: Any) -> list[Any]:
    async with api.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())
