"""Builds the REST controller of a `Resource`: list, create, read, patch, delete, transitions.

Each handler is a thin adapter around `CrudService`; only the list handler is assembled with an
explicit signature so every filter shows up as a documented query parameter in OpenAPI.
"""

import inspect
from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, QueryParameter
from pydantic import ValidationError

from backend.domains.crud import CrudService, Resource
from backend.kernel.db import READS_ONLY
from backend.kernel.paging import Page
from backend.kernel.schema import MAX_ID, transition_model
from backend.web.handlers import DbSession, Pages, RowId, example_body, role_guard


def _list_handler(r: Resource, service: CrudService, row: dict[str, Any] | None) -> Any:
    sort_values = tuple(v for key in r.sortable for v in (key, f"-{key}"))
    sort_type = Literal.__getitem__(sort_values)

    async def list_rows(self: Controller, db_session: DbSession, request: Request, **kw: Any) -> Any:
        return await service.page(
            db_session,
            request.user,
            filters={name: kw.get(name) for name in r.filters},
            sort=kw.get("sort"),
            paging=kw["paging"],
            include_archived=bool(kw.get("include_archived")),
        )

    kw_only = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("db_session", kw_only, annotation=DbSession),
        inspect.Parameter("request", kw_only, annotation=Request),
        inspect.Parameter("paging", kw_only, annotation=Pages),
        inspect.Parameter(
            "sort",
            kw_only,
            default=None,
            annotation=Annotated[sort_type | None, QueryParameter(description="Field, '-' for descending")],  # type: ignore[operator]
        ),
    ]
    for name, (typ, _column) in r.filters.items():
        # Every integer filter names a row or a week: none is below 1.
        bounds = {"ge": 1, "le": MAX_ID} if typ is int else {}
        # Annotations built at run time from the declaration: what OpenAPI documents, not what mypy checks.
        annotation = Annotated[typ | None, QueryParameter(description=f"Only rows with this {name}", **bounds)]  # type: ignore[valid-type]
        params.append(inspect.Parameter(name, kw_only, annotation=annotation, default=None))
    if r.archive_field:
        archived = Annotated[bool, QueryParameter(description="Also list archived rows")]
        params.append(inspect.Parameter("include_archived", kw_only, annotation=archived, default=False))
    list_rows.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    list_rows.__annotations__ = {p.name: p.annotation for p in params[1:]} | {"return": Page[r.read]}  # type: ignore[name-defined]
    return get(
        "/",
        operation_id=f"list_{r.name}",
        opt={READS_ONLY: True},
        summary=f"List {r.name.replace('-', ' ')}",
        guards=[role_guard(r.read_roles)],
        responses=_answers(r, row, 200, page=True),
    )(list_rows)


def _patch_examples(r: Resource) -> list[Example] | None:
    editable = {k: v for k, v in (r.example or {}).items() if r.update is not None and k in r.update.model_fields}
    if not editable:
        return None
    key, value = next(iter(editable.items()))
    return [Example(summary=f"Change {key}", value={key: value, "version": 1})]


def _row_example(r: Resource) -> dict[str, Any] | None:
    """The resource's example as the API answers it: validated by its read model, so defaults
    and computed fields (an engagement's end date, an assessment's total) show as they would."""
    if not r.example:
        return None
    stored = {"id": 1, "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z", "version": 1}
    try:
        # Through the table model, whose defaults stand for what the server sets (a status).
        return r.read.model_validate(r.model(**(stored | r.example))).model_dump(mode="json")
    except ValidationError:
        return stored | r.example


def _answers(r: Resource, row: dict[str, Any] | None, status: int, *, page: bool = False) -> Any:
    """The documented answer of a route: its model, with the example row (or a page of it)."""
    if row is None:
        return None
    value: Any = {"items": [row], "total": 1, "limit": 50, "offset": 0, "next_cursor": None} if page else row
    container: Any = Page[r.read] if page else r.read  # type: ignore[name-defined]
    description = f"A page of {r.name.replace('-', ' ')}" if page else f"The {r.entity}"
    return {status: ResponseSpec(data_container=container, description=description, examples=[Example(value=value)])}


def _body(r: Resource, schema: type) -> Any:
    examples = [Example(summary=f"A {r.entity}", value=r.example)] if r.example else None
    return Annotated[schema, Body(examples=examples, description=f"The new {r.entity}")]


def resource_controller(r: Resource, svc: CrudService) -> type[Controller]:
    """`svc`: the resource's one service instance, declared beside it in its domain."""
    read = r.read
    read_guard = [role_guard(r.read_roles)]
    write_guard = [role_guard(r.write_roles)]
    row = _row_example(r)
    handlers: dict[str, Any] = {"path": f"/{r.name}", "tags": [r.name], "list_rows": _list_handler(r, svc, row)}

    async def get_row(self: Controller, db_session: DbSession, request: Request, row_id: RowId) -> Any:
        return svc.read_model(request.user).model_validate(await svc.get(db_session, request.user, row_id))

    get_row.__annotations__["return"] = read
    handlers["get_row"] = get(
        "/{row_id:int}",
        operation_id=f"get_{r.entity}",
        summary=f"Read one {r.entity}",
        guards=read_guard,
        responses=_answers(r, row, 200),
        opt={READS_ONLY: True},
    )(get_row)

    if r.writable and r.create is not None:
        create_body = _body(r, r.create)

        async def create_row(self: Controller, db_session: DbSession, request: Request, data: Any) -> Any:
            return read.model_validate(await svc.create(db_session, request.user, data))

        create_row.__annotations__.update(data=create_body, **{"return": read})
        handlers["create_row"] = post(
            "/",
            operation_id=f"create_{r.entity}",
            summary=f"Create a {r.entity}",
            guards=write_guard,
            responses=_answers(r, row, 201),
        )(create_row)

    if r.writable and r.updatable and r.update is not None:
        update_body = Annotated[
            r.update,  # type: ignore[name-defined]
            Body(
                description=f"Fields to change on the {r.entity}, plus the version you read",
                examples=_patch_examples(r),
            ),
        ]

        async def update_row(
            self: Controller, db_session: DbSession, request: Request, row_id: RowId, data: Any
        ) -> Any:
            return read.model_validate(await svc.update(db_session, request.user, row_id, data))

        update_row.__annotations__.update(data=update_body, **{"return": read})
        handlers["update_row"] = patch(
            "/{row_id:int}",
            operation_id=f"update_{r.entity}",
            summary=f"Change a {r.entity} (send the version you read; 409 if it moved on)",
            guards=write_guard,
            responses=_answers(r, row, 200),
        )(update_row)

    if r.writable and r.deletable:

        async def delete_row(
            self: Controller,
            db_session: DbSession,
            request: Request,
            row_id: RowId,
            version: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Optimistic-lock check")] = None,
        ) -> None:
            await svc.delete(db_session, request.user, row_id, version)

        verb = "Archive" if r.archive_field else "Delete"
        handlers["delete_row"] = delete(
            "/{row_id:int}",
            operation_id=f"delete_{r.entity}",
            summary=f"{verb} a {r.entity}",
            guards=write_guard,
        )(delete_row)

    if r.machine is not None:
        states = ", ".join(r.machine.moves)
        body = transition_model(_class_name(r.entity) + "Transition", tuple(r.machine.moves))
        first_move = next(to for moves in r.machine.moves.values() for to in sorted(moves))

        async def transition(
            self: Controller,
            db_session: DbSession,
            request: Request,
            row_id: RowId,
            data: Any,
        ) -> Any:
            return read.model_validate(await svc.transition(db_session, request.user, row_id, data))

        transition.__annotations__.update(data=example_body(body, {"to": first_move, "version": 1}), **{"return": read})
        handlers["transition"] = post(
            "/{row_id:int}/transitions",
            operation_id=f"transition_{r.entity}",
            summary=f"Move a {r.entity} to another {r.machine.field} ({states}); 409 if not allowed",
            guards=write_guard,
            status_code=200,
        )(transition)

    return type(_class_name(r.name) + "Controller", (Controller,), handlers)


def _class_name(name: str) -> str:
    return "".join(part.title() for part in name.replace("_", "-").split("-"))
