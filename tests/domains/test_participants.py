"""A client's workshop participants: kept with as little as the evidence needs, one per address
within a client, seen by the team and by that client's own users only."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import make_client


async def test_participants_are_the_clients_own(api: Api, password_hash: str) -> None:
    alpha = await make_client(api, "Alpha GmbH")
    beta = await make_client(api, "Beta AG")
    jana = await api.create(
        "participants",
        {"client_id": alpha["id"], "name": " Jana Vogt ", "role_group": "Vertrieb", "email": "Jana.Vogt@Alpha.de"},
    )
    assert (jana["name"], jana["email"]) == ("Jana Vogt", "jana.vogt@alpha.de")
    await api.create("participants", {"client_id": alpha["id"], "name": "Ole Brandt", "department": "Einkauf"})
    await api.create("participants", {"client_id": alpha["id"], "name": "Ole Brandt"})  # no address: may repeat
    twice = await api.post(
        "/participants", json={"client_id": alpha["id"], "name": "J. Vogt", "email": "jana.vogt@alpha.de"}
    )
    assert twice.status_code == 409
    for bad in ({"client_id": alpha["id"], "name": "  "}, {"client_id": alpha["id"], "name": "X", "email": "kein"}):
        assert (await api.post("/participants", json=bad)).status_code == 422, bad
    await api.create("participants", {"client_id": beta["id"], "name": "Bea Berg"})
    listed = (await api.get("/participants", params={"client_id": alpha["id"]})).json()["items"]
    assert [p["name"] for p in listed] == ["Jana Vogt", "Ole Brandt", "Ole Brandt"]
    moved = await api.patch(f"/participants/{jana['id']}", json={"client_id": beta["id"], "version": jana["version"]})
    assert moved.status_code == 422  # a person never moves to another client
    # The client's users read their staff's training through the AI owner's register only.
    await api.add_user("kunde", "client", password_hash, client_id=alpha["id"])
    assert (await api.get("/participants", "kunde")).status_code == 403
    assert (await api.get(f"/participants/{jana['id']}", "kunde")).status_code == 403
    # Names as certificates print them: spaces collapsed, nothing the fonts cannot draw.
    spaced = await api.create("participants", {"client_id": alpha["id"], "name": "Jana\u00a0 Vogt"})
    assert spaced["name"] == "Jana Vogt"
    for name in ("王芳", "Jana 🙂", "＝SUMME(1)"):
        refused = await api.post("/participants", json={"client_id": alpha["id"], "name": name})
        assert refused.status_code == 422 and "cannot print" in refused.text, name
    assert (await api.post("/participants", "kunde", json={"client_id": alpha["id"], "name": "Neu"})).status_code == 403
