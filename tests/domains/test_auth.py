import asyncio
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException

from backend.domains.auth.sessions import issue_token
from backend.web.auth import VerifiedToken
from tests.conftest import PASSWORD, Api
from tests.factories import make_client


async def test_login_returns_bearer_token_and_secure_cookie(api: Api) -> None:
    response = await api.post("/auth/login", None, json={"email": "Consultant@Example.de", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["role"] == "consultant"
    assert "password_hash" not in body["user"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    me = await api.http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "consultant@example.de"


async def test_cookie_authenticates_the_ui(api: Api) -> None:
    response = await api.post("/auth/login", None, json={"email": "admin@example.de", "password": PASSWORD})
    assert response.status_code == 200
    me = await api.http.get("/api/v1/auth/me")  # the client kept the cookie
    assert me.status_code == 200 and me.json()["role"] == "admin"
    assert (await api.post("/auth/logout", None)).status_code == 204


async def test_wrong_password_is_401_problem(api: Api) -> None:
    response = await api.post("/auth/login", None, json={"email": "admin@example.de", "password": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Authentication required"
    unknown = await api.post("/auth/login", None, json={"email": "ghost@example.de", "password": "nope"})
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == response.json()["detail"]


async def test_missing_or_forged_token_is_401(api: Api) -> None:
    assert (await api.get("/clients", None)).status_code == 401
    forged = await api.get("/clients", None, headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401
    assert forged.json()["status"] == 401


async def test_deactivated_user_loses_access(api: Api) -> None:
    user = (await api.get(f"/users/{api.users['consultant']}", "admin")).json()
    response = await api.patch(f"/users/{user['id']}", "admin", json={"is_active": False, "version": user["version"]})
    assert response.status_code == 200
    assert (await api.get("/clients")).status_code == 401


async def test_a_remembered_token_still_expires(api: Api) -> None:
    token = await issue_token(api.app, api.users["consultant"], timedelta(seconds=1))
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/clients", None, headers=headers)).status_code == 200
    await asyncio.sleep(2.05)  # expiry is kept in whole seconds
    assert (await api.get("/clients", None, headers=headers)).status_code == 401


def test_a_remembered_token_is_only_good_for_its_own_secret() -> None:
    exp = datetime.now(UTC) + timedelta(minutes=5)
    token = jwt.encode({"sub": "7", "exp": exp, "iat": datetime.now(UTC)}, "secret-one" * 4, algorithm="HS256")
    assert VerifiedToken.decode(token, "secret-one" * 4, "HS256").sub == "7"
    with pytest.raises(NotAuthorizedException):
        VerifiedToken.decode(token, "secret-two" * 4, "HS256")
    with pytest.raises(NotAuthorizedException):
        VerifiedToken.decode(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "secret-one" * 4, "HS256")


async def test_me_shows_the_whole_user(api: Api) -> None:
    me = (await api.get("/auth/me")).json()
    assert me["id"] == api.users["consultant"] and me["role"] == "consultant"
    assert me["created_at"] and me["version"] == 1 and "password_hash" not in me


async def test_only_admin_manages_users(api: Api) -> None:
    body = {"email": "neu@example.de", "full_name": "Neu", "role": "consultant", "password": "x" * 12}
    assert (await api.post("/users", "consultant", json=body)).status_code == 403
    created = await api.post("/users", "admin", json=body)
    assert created.status_code == 201
    assert "password" not in created.json() and "password_hash" not in created.json()
    login = await api.post("/auth/login", None, json={"email": "neu@example.de", "password": "x" * 12})
    assert login.status_code == 200


async def test_user_rules_are_validated(api: Api) -> None:
    body = {"email": "kunde@example.de", "full_name": "Kunde", "role": "client", "password": "y" * 12}
    missing = await api.post("/users", "admin", json=body)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["path"] == "body.client_id"
    client = await make_client(api)
    assert (await api.post("/users", "admin", json=body | {"client_id": client["id"]})).status_code == 201
    duplicate = await api.post("/users", "admin", json=body | {"client_id": client["id"]})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["path"] == "body.email"
    short = await api.post("/users", "admin", json=body | {"email": "k2@example.de", "password": "short"})
    assert short.status_code == 422
    assert short.json()["errors"][0]["path"] == "body.password"
