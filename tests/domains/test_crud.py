"""The generic behaviour every resource shares, shown on clients, contacts and engagements."""

from tests.conftest import Api
from tests.factories import make_client, make_engagement


async def test_list_is_paginated_filtered_and_sorted(api: Api) -> None:
    for name, city in [("Beta GmbH", "Ulm"), ("Alpha AG", "Aalen"), ("Gamma KG", "Aalen")]:
        await api.create("clients", {"name": name, "city": city})
    page = (await api.get("/clients", params={"limit": 2})).json()
    assert [c["name"] for c in page["items"]] == ["Alpha AG", "Beta GmbH"]
    assert (page["total"], page["limit"], page["offset"]) == (None, 2, 0)  # counted only when asked
    second = (await api.get("/clients", params={"limit": 2, "offset": 2})).json()
    assert [c["name"] for c in second["items"]] == ["Gamma KG"]
    assert second["total"] == 3  # from the short last page, without counting
    aalen = (await api.get("/clients", params={"city": "Aalen", "sort": "-name"})).json()
    assert [c["name"] for c in aalen["items"]] == ["Gamma KG", "Alpha AG"]
    assert aalen["total"] == 2
    # Same shape of request, other values: the statement is reused, the values are not.
    ulm = (await api.get("/clients", params={"city": "Ulm", "sort": "-name"})).json()
    assert ([c["name"] for c in ulm["items"]], ulm["total"]) == (["Beta GmbH"], 1)


async def test_list_rejects_bad_paging_and_sort(api: Api) -> None:
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"sort": "password_hash"}, {"limit": "x"}):
        response = await api.get("/clients", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"] == "/problems/validation", params


async def test_unknown_field_is_rejected_with_its_path(api: Api) -> None:
    response = await api.post("/clients", json={"name": "X GmbH", "revenue": 5})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/validation"
    assert body["errors"] == [{"path": "body.revenue", "message": "Extra inputs are not permitted"}]
    assert (await api.get("/clients")).json()["total"] == 0


async def test_field_errors_name_the_field(api: Api) -> None:
    client = await make_client(api)
    response = await api.post(
        "/engagements",
        json={"client_id": client["id"], "title": "", "start_date": "not-a-date", "duration_weeks": 0},
    )
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"body.title", "body.start_date", "body.duration_weeks"} <= paths


async def test_malformed_json_is_400(api: Api) -> None:
    response = await api.post("/clients", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_missing_reference_is_422_not_500(api: Api) -> None:
    response = await api.post(
        "/engagements",
        json={"client_id": 999, "title": "T", "start_date": "2026-11-02", "duration_weeks": 8, "fixed_fee": "1000"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "body.client_id", "message": "client 999 does not exist"}]


async def test_cross_field_rule_applies_on_create_and_patch(api: Api) -> None:
    client = await make_client(api)
    response = await api.post(
        "/engagements",
        json={
            "client_id": client["id"],
            "title": "T",
            "start_date": "2026-11-02",
            "duration_weeks": 8,
            "pricing_model": "day_rate",
            "day_rate": "1400",
        },
    )
    assert response.status_code == 422
    assert "day_rate and days are required" in response.json()["detail"]
    engagement = await make_engagement(api, client["id"])
    patched = await api.patch(f"/engagements/{engagement['id']}", json={"pricing_model": "day_rate", "version": 1})
    assert patched.status_code == 422
    ok = await api.patch(
        f"/engagements/{engagement['id']}",
        json={"pricing_model": "day_rate", "day_rate": "1400.00", "days": "12", "version": 1},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["fee_net"] == "16800.00"
    assert ok.json()["days"] == "12.00"  # stored scale, not the echoed input
    assert ok.json()["fee_gross"] == "19992.00"


async def test_patch_with_stale_version_is_409_and_changes_nothing(api: Api) -> None:
    client = await make_client(api)
    first = await api.patch(f"/clients/{client['id']}", json={"city": "Ulm", "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = await api.patch(f"/clients/{client['id']}", json={"city": "Stuttgart", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["type"] == "/problems/version-conflict"
    assert "version 2" in stale.json()["detail"]
    current = (await api.get(f"/clients/{client['id']}")).json()
    assert (current["city"], current["version"]) == ("Ulm", 2)


async def test_patch_requires_version_and_rejects_null_for_required(api: Api) -> None:
    client = await make_client(api)
    assert (await api.patch(f"/clients/{client['id']}", json={"city": "Ulm"})).status_code == 422
    null_name = await api.patch(f"/clients/{client['id']}", json={"name": None, "version": 1})
    assert null_name.status_code == 422
    assert null_name.json()["errors"][0]["path"] == "body.name"


async def test_parent_key_cannot_be_patched(api: Api) -> None:
    a = await make_client(api, "A GmbH")
    b = await make_client(api, "B GmbH")
    contact = await api.create("contacts", {"client_id": a["id"], "name": "Eva", "email": "eva@a.de"})
    response = await api.patch(f"/contacts/{contact['id']}", json={"client_id": b["id"], "version": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.client_id"


async def test_duplicate_contact_email_is_409(api: Api) -> None:
    client = await make_client(api)
    body = {"client_id": client["id"], "name": "Eva", "email": "eva@a.de"}
    await api.create("contacts", body)
    response = await api.post("/contacts", json=body)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_client_delete_archives_and_hides(api: Api) -> None:
    client = await make_client(api)
    assert (await api.delete(f"/clients/{client['id']}", params={"version": 2})).status_code == 409
    assert (await api.delete(f"/clients/{client['id']}", params={"version": 1})).status_code == 204
    assert (await api.get("/clients")).json()["total"] == 0
    archived = (await api.get("/clients", params={"include_archived": True})).json()
    assert archived["items"][0]["archived_at"] is not None


async def test_only_draft_engagements_can_be_deleted(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    moved = await api.post(f"/engagements/{engagement['id']}/transitions", json={"to": "proposed", "version": 1})
    assert moved.status_code == 200
    refused = await api.delete(f"/engagements/{engagement['id']}")
    assert refused.status_code == 409
    assert "Only draft engagements" in refused.json()["detail"]
    draft = await make_engagement(api, client["id"], title="Zweites")
    assert (await api.delete(f"/engagements/{draft['id']}")).status_code == 204
    assert (await api.get(f"/engagements/{draft['id']}")).status_code == 404


async def test_money_is_exact_decimal_text(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"], fixed_fee="12345.67", vat_rate="7.00")
    fetched = (await api.get(f"/engagements/{engagement['id']}")).json()
    assert fetched["fixed_fee"] == "12345.67"
    assert fetched["fee_gross"] == "13209.87"
    assert fetched["end_date"] == "2026-12-27"


async def test_every_write_is_audited(api: Api) -> None:
    client = await make_client(api)
    await api.patch(f"/clients/{client['id']}", json={"city": "Ulm", "version": 1})
    await api.delete(f"/clients/{client['id']}")
    events = (await api.get("/audit-events", "admin", params={"entity_type": "client", "sort": "id"})).json()
    assert [e["action"] for e in events["items"]] == ["create", "update", "archive"]
    update = events["items"][1]
    assert update["actor_id"] == api.users["consultant"]
    assert (update["before"]["city"], update["after"]["city"]) == ("Aalen", "Ulm")
    assert (await api.get("/audit-events", "consultant")).status_code == 403


async def test_failed_write_leaves_no_audit_event_or_row(api: Api) -> None:
    await api.post("/clients", json={"name": "Y", "nope": 1})
    await api.post(
        "/engagements",
        json={"client_id": 5, "title": "T", "start_date": "2026-11-02", "duration_weeks": 8, "fixed_fee": "1"},
    )
    assert (await api.get("/audit-events", "admin")).json()["total"] == 0


async def test_times_are_stored_and_returned_in_utc(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    workshop = await api.create(
        "workshops",
        {
            "engagement_id": engagement["id"],
            "kind": "kickoff",
            "title": "Kickoff",
            "starts_at": "2026-11-03T09:00:00+01:00",
            "ends_at": "2026-11-03T12:00:00+01:00",
        },
    )
    fetched = (await api.get(f"/workshops/{workshop['id']}")).json()
    assert fetched["starts_at"] == "2026-11-03T08:00:00Z"
    assert fetched["created_at"].endswith("Z")
    naive = await api.post(
        "/workshops",
        json={
            "engagement_id": engagement["id"],
            "kind": "review",
            "title": "Review",
            "starts_at": "2026-11-03T09:00:00",
            "ends_at": "2026-11-03T12:00:00",
        },
    )
    assert naive.status_code == 422
    assert "UTC offset" in naive.json()["detail"]


async def test_user_references_must_be_team_members(api: Api, password_hash: str) -> None:
    client = await make_client(api)
    client_user = await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    refused = await api.post(
        "/engagements",
        json={
            "client_id": client["id"],
            "title": "T",
            "start_date": "2026-11-02",
            "duration_weeks": 8,
            "fixed_fee": "1000",
            "lead_consultant_id": client_user,
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "path": "body.lead_consultant_id",
            "message": f"user {client_user} is not a member of the consultancy team",
        }
    ]
    engagement = await make_engagement(api, client["id"], lead_consultant_id=api.users["consultant"])
    assert engagement["lead_consultant_id"] == api.users["consultant"]


async def test_author_and_recorder_are_stamped_from_the_token(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    update = await api.create(
        "status-updates", {"engagement_id": engagement["id"], "iso_week": "2026-W48", "rag": "amber"}, who="admin"
    )
    assert update["author_id"] == api.users["admin"]
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "P"})
    kpi = await api.create("kpis", {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"})
    measurement = await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41.5"})
    assert measurement["recorded_by_id"] == api.users["consultant"]
    assert measurement["value"] == "41.5000"
    # forging the author is an unknown field, not a silent override
    forged = await api.post(
        "/status-updates",
        json={
            "engagement_id": engagement["id"],
            "iso_week": "2026-W49",
            "rag": "green",
            "author_id": 1,
        },
    )
    assert forged.status_code == 422


async def test_one_status_update_per_week(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    body = {"engagement_id": engagement["id"], "iso_week": "2026-W48", "rag": "green"}
    await api.create("status-updates", body)
    again = await api.post("/status-updates", json=body)
    assert again.status_code == 409
    bad_week = await api.post("/status-updates", json=body | {"iso_week": "2026-48"})
    assert bad_week.status_code == 422 and bad_week.json()["errors"][0]["path"] == "body.iso_week"


async def test_measurements_cannot_be_edited_in_place(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "P"})
    kpi = await api.create("kpis", {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"})
    m = await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    response = await api.patch(f"/measurements/{m['id']}", json={"value": "40", "version": 1})
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
