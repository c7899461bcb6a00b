import re

from litestar.routes import HTTPRoute

from tests.conftest import Api


async def test_schema_documents_every_operation_with_examples(api: Api) -> None:
    response = await api.http.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "patch", "delete"}
    ]
    # Every API route handler is documented, and nothing else is.
    routed = {
        (re.sub(r":\w+}", "}", route.path), method.lower())
        for route in api.app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/")
        for method in route.methods
        if method in {"GET", "POST", "PATCH", "DELETE"}
    }
    assert {(path, method) for path, method, _ in operations} == routed
    assert len(routed) > 90  # every resource's operations, not a stub schema
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        assert op.get("operationId"), (path, method)
        body = op.get("requestBody")
        if body and path.endswith("/artefacts") and method == "post":  # the one file upload
            assert list(body["content"]) == ["multipart/form-data"], body
        elif body and path != "/api/v1/auth/logout":
            content = body["content"]["application/json"]
            has_example = content.get("examples") or content["schema"].get("examples")
            assert has_example, (path, method)
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


async def test_answers_are_documented_with_whole_example_rows(api: Api) -> None:
    schema = (await api.http.get("/schema/openapi.json")).json()
    one = schema["paths"]["/api/v1/engagements/{row_id}"]["get"]
    example = next(iter(one["responses"]["200"]["content"]["application/json"]["examples"].values()))["value"]
    # Validated by the read model: defaults and computed fields as the API answers them.
    assert example["status"] == "draft" and example["end_date"] == "2026-12-27" and example["fee_net"] == "24000.00"
    listed = schema["paths"]["/api/v1/clients"]["get"]["responses"]["200"]["content"]["application/json"]
    page = next(iter(listed["examples"].values()))["value"]
    assert page["total"] == 1 and page["items"][0]["name"] == "Müller Präzisionstechnik GmbH"
    created = schema["paths"]["/api/v1/contacts"]["post"]["responses"]["201"]["content"]["application/json"]
    assert next(iter(created["examples"].values()))["value"]["portal_access"] is False
    path_id = one["parameters"][0]
    assert path_id["in"] == "path" and path_id["description"]


async def test_the_committed_table_of_operations_is_current(api: Api) -> None:
    """docs/api.md shows what the controller generator (web/api/resource.py) builds."""
    from pathlib import Path

    from backend.server.apidoc import api_table

    table = api_table(api.app)
    committed = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    assert table == committed, "docs/api.md is stale: run `desk api-doc`"
    paths = api.app.openapi_schema.to_schema()["paths"]
    documented = sum(m in {"get", "post", "patch", "put", "delete"} for item in paths.values() for m in item)
    assert table.count("\n| ") - 2 == documented == 223  # a row per operation, after heading and rule


async def test_the_api_docs_work_offline(api: Api) -> None:
    """Swagger UI comes from the app itself: nothing on the page is loaded from elsewhere."""
    page = await api.http.get("/schema")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sorted(assets) == [
        "/static/favicon.svg",
        "/static/swagger/swagger-ui-bundle.js",
        "/static/swagger/swagger-ui-standalone-preset.js",
        "/static/swagger/swagger-ui.css",
    ]
    for asset in assets:
        answer = await api.http.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 100, asset
    assert "https:" not in page.headers["content-security-policy"]
    assert "SwaggerUIBundle(" in page.text
