"""Pure document rendering: `render(template, data) -> bytes`.

Data reaches Typst only as one JSON string in `sys.inputs.data`; templates read it with
`json(bytes(sys.inputs.data))`, so user text is never parsed as markup. Each thread keeps one
compiler (fonts loaded once); callers on the event loop use a `RenderPool`, which compiles in a
small process pool: the compiler holds the GIL for part of its work, and an event loop that
stalls for a render's milliseconds would delay every other job of the worker. The process that
runs jobs owns its pool (the worker's start-up makes it, its shutdown closes it).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import typst

from backend.kernel import i18n
from backend.kernel.processes import die_with_parent

# The root Typst may read from: the templates, and the word catalog they share with the pages.
PROJECT = Path(__file__).resolve().parents[3]
TEMPLATES = PROJECT / "report_templates"
FONTS = TEMPLATES / "fonts"
# An empty package directory: `@preview` imports in a template would fail instead of downloading.
NO_PACKAGES = TEMPLATES / "packages"

_local = threading.local()
_fonts_lock = threading.Lock()
_fonts: typst.Fonts | None = None


class RenderError(Exception):
    """The template could not be compiled with this data."""


def _shared_fonts() -> typst.Fonts:
    global _fonts
    with _fonts_lock:
        if _fonts is None:
            _fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(FONTS)])
        return _fonts


def _compiler() -> typst.Compiler:
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        compiler = typst.Compiler(
            root=str(PROJECT),
            font_paths=_shared_fonts(),
            ignore_system_fonts=True,
            package_path=str(NO_PACKAGES),
            package_cache_path=str(NO_PACKAGES),
        )
        _local.compiler = compiler
    return compiler


def template_path(template: str) -> Path:
    path = (TEMPLATES / f"{template}.typ").resolve()
    if path.parent != TEMPLATES or not path.is_file():
        raise RenderError(f"unknown template {template!r}")
    return path


@cache
def _template_words(lang: str) -> str:
    return json.dumps(dict(i18n.words("template", lang)), ensure_ascii=False)


def render(template: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, default=str)
    # The template's words in the document's language (common/i18n.typ), from the catalog.
    inputs = {"data": payload, "words": _template_words(i18n.norm_lang(data.get("lang")))}
    try:
        pdf = _compiler().compile(input=str(template_path(template)), format="pdf", sys_inputs=inputs)
    except typst.TypstError as exc:
        raise RenderError(f"{exc.message}: {exc.diagnostic}".strip()) from exc
    assert isinstance(pdf, bytes)
    return pdf


class RenderPool:
    """Render processes for one process that runs jobs; they start with the first render (a
    worker that renders nothing starts none) and end with `close()`, or with their parent."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or os.cpu_count() or 2
        self._executor: ProcessPoolExecutor | None = None

    async def render(self, template: str, data: dict[str, Any]) -> bytes:
        if self._executor is None:
            # spawn: forking a process that runs an event loop and threads is not safe.
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=get_context("spawn"), initializer=die_with_parent
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, render, template, data)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
