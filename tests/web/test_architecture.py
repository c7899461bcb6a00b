"""The web layer asks services; it writes no SQL (see README, Architecture). The layers' import
contracts are checked by `make check` (import-linter); this checks what an import graph cannot."""

from __future__ import annotations

import ast
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "backend" / "web"
# What handlers may take from the database libraries: the session type they are given, and the
# error a form turns into a field message.
ALLOWED = {"AsyncSession", "IntegrityError", "SQLModel", "SQLAlchemyAsyncConfig"}
QUERYING = {"exec", "execute", "scalar", "scalars", "get"}


def _offences(path: Path) -> list[str]:
    """What a module does that a web module must not, one line each."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
            "sqlalchemy",
            "sqlmodel",
            "advanced_alchemy",
        }:
            found += [f"imports {a.name} from {node.module}" for a in node.names if a.name not in ALLOWED]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERYING
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"session", "db_session"}
        ):
            found.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}(…)")
    return [f"{path.name}: {o}" for o in found]


def test_the_web_layer_writes_no_sql() -> None:
    offences = [o for path in sorted(WEB.rglob("*.py")) for o in _offences(path)]
    assert offences == []


def test_the_check_finds_sql_where_there_is_some(tmp_path: Path) -> None:
    module = tmp_path / "page.py"
    module.write_text("from sqlmodel import select\nasync def f(db_session):\n    await db_session.exec(select(1))\n")
    assert _offences(module) == ["page.py: imports select from sqlmodel", "page.py: line 3: db_session.exec(…)"]


def test_the_readme_names_every_package_and_module_of_the_backend() -> None:
    """The README's tree is the map a newcomer reads: every folder of `backend/` and every module
    of the kernel and the server appears in it, and every package it lists exists."""
    root = WEB.parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    tree = readme[readme.index("## Architecture") :].split("```")[1]
    backend = root / "backend"
    packages = {p.name for layer in backend.iterdir() if layer.is_dir() for p in layer.iterdir() if p.is_dir()}
    packages -= {"__pycache__", "static", "templates", "i18n"}
    modules = {p.stem for layer in ("kernel", "server") for p in (backend / layer).glob("*.py")} - {"__init__"}
    missing = sorted(name for name in packages if f"{name}/" not in tree)
    missing += sorted(name for name in modules if name not in tree)
    assert missing == [], f"README's architecture tree does not name: {missing}"
    listed = set(re.findall(r"^    (\w+)/ ", tree, re.MULTILINE))
    assert listed and listed - packages == set()
