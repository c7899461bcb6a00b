"""The contract texts proposals name (AGB, AVV): the version and SHA-256 a client accepts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter
from pydantic import BaseModel, Field

from backend.flows.documents.legal import LegalKind, legal_text
from backend.kernel.enums import Language
from backend.web.handlers import AppRequest


class LegalTextRead(BaseModel):
    kind: LegalKind
    lang: str
    version: str
    sha256: str
    text: str
    file: str = Field(description="The whole file (version line and text): what the SHA-256 is of")


class LegalController(Controller):
    path = "/legal"
    tags = ["documents"]

    @get(
        "/{kind:str}",
        operation_id="get_legal_text",
        summary="A contract text as proposals name it: version, SHA-256 and text (agb, avv); public",
        exclude_from_auth=True,
    )
    async def text(
        self,
        request: AppRequest,
        kind: Annotated[LegalKind, PathParameter(description="agb, avv or toms")],
        language: Annotated[Language, QueryParameter(description="de or en")] = Language.de,
    ) -> LegalTextRead:
        found = legal_text(kind, language, request.app.state.settings.legal_dir)
        return LegalTextRead(
            kind=found.kind,
            lang=found.lang,
            version=found.version,
            sha256=found.sha256,
            text=found.text,
            file=found.file,
        )
