"""Pure document rendering: `render(template, data) -> bytes`.

Data reaches Typst only as JSON, in an in-memory file `/data.json` that the template reads with
`json(..)`, so user text is never parsed as markup. `sys.inputs` only names that file and never
changes: a changed input would make every result Typst memoised from earlier documents unusable
(each compile would lay out the letterhead, footer and fixed texts anew, 40 % of the time).
Each thread keeps one compiler (the fonts are loaded once for all); callers on the event loop use
the process's one `RenderPool` (`shared_pool()`), whose threads compile while the loop goes on
with other jobs. One pool, not one per kind of document: each thread warms up by compiling every
template once, and pools of their own would each pay that again for the same templates.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import typst

from backend.kernel import i18n

# The root Typst may read from: the templates, and the word catalog they share with the pages.
PROJECT = Path(__file__).resolve().parents[3]
TEMPLATES = PROJECT / "report_templates"
FONTS = TEMPLATES / "fonts"
# An empty package directory: `@preview` imports in a template would fail instead of downloading.
NO_PACKAGES = TEMPLATES / "packages"

# Where the app's data and the word table of the document's language are found (in memory).
_INPUTS = {"data": "/data.json", "words": "/words.json"}

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
            sys_inputs=_INPUTS,
        )
        _local.compiler = compiler
    return compiler


# The documents there are: a template is named by its file's stem, nothing else.
NAMES = frozenset(path.stem for path in TEMPLATES.glob("*.typ"))


def template_path(template: str) -> Path:
    if template not in NAMES:
        raise RenderError(f"unknown template {template!r}")
    return TEMPLATES / f"{template}.typ"


@cache
def _template_words(lang: str) -> bytes:
    return json.dumps(dict(i18n.words("template", lang)), ensure_ascii=False).encode()


@cache
def _main(template: str) -> bytes:
    """The compiled file: it includes the template, which reads the data file."""
    return f'#include "/{template_path(template).relative_to(PROJECT).as_posix()}"'.encode()


def render(template: str, data: dict[str, Any], archival: bool = False) -> bytes:
    """`archival`: a PDF/A-3b, which may carry attachments (an invoice's XML, see flows/invoicing)."""
    files = {
        "main.typ": _main(template),
        "data.json": json.dumps(data, ensure_ascii=False, default=str).encode(),
        # The template's words in the document's language (common/i18n.typ), from the catalog.
        "words.json": _template_words(i18n.norm_lang(data.get("lang"))),
    }
    try:
        # typst-py takes a dict of in-memory files since 0.14; its type stub still lists str/path/bytes.
        if archival:
            pdf = _compiler().compile(input=files, format="pdf", pdf_standards=["a-3b"])  # type: ignore[type-var]
        else:
            pdf = _compiler().compile(input=files, format="pdf")  # type: ignore[type-var]
    except typst.TypstError as exc:
        raise RenderError(_said(exc)) from exc
    assert isinstance(pdf, bytes)
    return pdf


def _said(exc: typst.TypstError) -> str:
    """What went wrong, for the document's error field: the diagnostic quotes the line at fault,
    which in the data file is all of the data (one line of JSON), so that one is left out."""
    if "data.json" in exc.diagnostic:
        return f"{exc.message} (in the document's data)"
    return f"{exc.message}: {exc.diagnostic}".strip()[:2000]


def _start_render_thread() -> None:
    """Runs first in each render thread: compile every template once with its sample data, so
    the fonts are loaded, the templates parsed and their fixed parts laid out before the first
    real job."""
    for path in sorted(TEMPLATES.glob("*.typ")):
        try:
            render(path.stem, json.loads((TEMPLATES / "samples" / f"{path.stem}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, RenderError):  # only a warm-up: the real render will say what is wrong
            continue


class RenderPool:
    """Render threads for one process that runs jobs. Typst lets go of the GIL while it
    compiles, so a render runs beside the event loop and beside other renders, in the same
    process: no process hop, no copy of the data and the PDF between processes, no second
    interpreter holding the app. `warm()` starts the threads (the worker does at start-up),
    else the first render does; `close()` takes no more work (a render under way finishes)."""

    def __init__(self, threads: int | None = None, name: str = "render") -> None:
        self.threads = threads or os.cpu_count() or 2
        self.name = name
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.threads, thread_name_prefix=self.name, initializer=_start_render_thread
            )
        return self._executor

    async def render(self, template: str, data: dict[str, Any], archival: bool = False) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._pool(), render, template, data, archival)

    async def run(self, work: Any, *args: Any) -> Any:
        """Any blocking work that renders (a render and what follows it), on a render thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool(), work, *args)

    async def warm(self) -> None:
        """Start every render thread now (each warms up as it starts, see above)."""
        loop, pool = asyncio.get_running_loop(), self._pool()
        # Each call finds no idle thread and so starts one, up to `threads`.
        await asyncio.gather(*(loop.run_in_executor(pool, threading.get_ident) for _ in range(self.threads)))

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


@cache
def shared_pool() -> RenderPool:
    """The process's render threads (as many as cores), for every document it renders. It lives
    as long as the process: a worker that stops does not close it (another may start in the same
    process), and its threads end with the interpreter."""
    return RenderPool()
