"""No request body, however wrong, produces a server error; every error is problem+json."""

import pytest

from tests.conftest import Api
from tests.factories import make_client, make_engagement

BAD_BODIES = [
    [],
    "text",
    42,
    None,
    {"": 1},
    {"title": {"nested": True}},
    {"version": "eins"},
    {"client_id": -1},
    {"client_id": 2**63},
    {"engagement_id": "1; DROP TABLE clients"},
    {"name": "x" * 100_000},
    {"start_date": "2026-02-30"},
    {"starts_at": "morgen"},
    {"fixed_fee": "NaN"},
    {"fixed_fee": "1e400"},
    {"value": "-Infinity"},
    {"rag": "purple"},
    {"iso_week": "2026-W54"},
    {"email": "not-an-email"},
    {"due_week": 1.5},
    {"name": "\u202eRTL\u0000NUL"},
    {"to": None, "version": None},
]
WRITE_PATHS = [
    "/clients",
    "/contacts",
    "/engagements",
    "/workshops",
    "/workshop-attendees",
    "/ideas",
    "/pilots",
    "/kpis",
    "/measurements",
    "/deliverables",
    "/status-updates",
    "/users",
    "/readiness-assessments",
]


@pytest.mark.parametrize("path", WRITE_PATHS)
async def test_bad_bodies_never_5xx(api: Api, path: str) -> None:
    for body in BAD_BODIES:
        response = await api.post(path, "admin", json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_bad_patches_and_transitions_never_5xx(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    for body in BAD_BODIES:
        for method, path in (
            ("PATCH", f"/engagements/{engagement['id']}"),
            ("POST", f"/engagements/{engagement['id']}/transitions"),
        ):
            response = await api.request(method, path, json=body)
            assert 400 <= response.status_code < 500, (path, body, response.text[:300])
    assert (await api.get(f"/engagements/{engagement['id']}")).json()["version"] == 1


async def test_bad_paths_and_params_never_5xx(api: Api) -> None:
    for path, params in [
        ("/engagements/abc", {}),
        ("/engagements/99999999999999999999", {}),
        ("/engagements/-1", {}),
        ("/engagements", {"status": "nope"}),
        ("/engagements", {"client_id": "x"}),
        ("/engagements", {"offset": "10000000000000000000"}),
        ("/nothing-here", {}),
        ("/deliverables", {"due_week": "1.5"}),
        ("/contacts", {"receives_digest": "vielleicht"}),
    ]:
        response = await api.get(path, params=params)
        assert 400 <= response.status_code < 500, (path, params, response.text[:300])
        assert response.headers["content-type"].startswith("application/problem+json")
