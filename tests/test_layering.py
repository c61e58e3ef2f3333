"""The import table of DESIGN.md and issue 7, checked on the source (every import the AST holds:
module level, inside functions, under ``if TYPE_CHECKING:``, relative ones too), plus what building
the public app and importing ``bot`` actually load, in a fresh interpreter.

    bot      -> nothing of ours (nor flask, werkzeug, twilio, telegram)
    storage  -> nothing of ours (nor flask)
    triage   -> bot, storage
    webhooks -> bot, storage, triage
    tipline  -> all of them; nothing imports tipline (tests/ and bench/ may)

``webhooks/`` and ``triage/`` write no SQL: they call named functions in ``storage/`` modules and pass
a Connection along at most.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import initialised_runtime
from tests.webhooks.helpers import channel_settings
from tipline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

ALLOWED: dict[str, frozenset[str]] = {
    "bot": frozenset(),
    "storage": frozenset(),
    "triage": frozenset({"bot", "storage"}),
    "webhooks": frozenset({"bot", "storage", "triage"}),
    "tipline": frozenset({"bot", "storage", "triage", "webhooks"}),
}
OURS = frozenset(ALLOWED)
# Third-party packages a layer must not reach for (the engine stays pure; storage serves no HTTP).
FORBIDDEN_THIRD_PARTY: dict[str, frozenset[str]] = {
    "bot": frozenset({"flask", "werkzeug", "twilio", "telegram"}),
    "storage": frozenset({"flask", "werkzeug"}),
}

NO_SQL_PACKAGES = ("webhooks", "triage")
# What webhooks/ and triage/ may take from SQLAlchemy: types to annotate a passed-along handle, and
# the error family.  Everything else SQLAlchemy exports builds or runs SQL (select, insert, update,
# delete, text, and_, func, dialects, ...).
SQLALCHEMY_TYPES = frozenset({"Connection", "Engine", "Transaction", "Row", "RowMapping", "Result", "exc"})
SQLALCHEMY_TYPE_MODULES = ("sqlalchemy.exc", "sqlalchemy.engine")
SQL_MODULES = ("sqlmodel", "storage.tables", "storage.channel_tables")
DRIVER_ATTRIBUTES = frozenset({"driver_connection", "dbapi_connection"})

# The staff app lives in triage/console/ (DESIGN.md); any module of ours named *console* counts too.
STAFF_PACKAGES = ("triage.console",)
STAFF_NAME_MARK = "console"
BOT_MUST_NOT_LOAD = ("flask", "werkzeug", "twilio", "telegram")


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    name: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.name}  ({self.rule})"


@dataclass(frozen=True)
class Imported:
    line: int
    module: str  # fully qualified: what an ``import`` names, or ``from`` + each imported name


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _from_base(node: ast.ImportFrom, path: Path) -> str:
    """The absolute module a ``from`` import reads from (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, tree: ast.AST) -> list[Imported]:
    """Every import in the file, wherever it sits; ``from a import b`` yields both ``a`` and ``a.b``
    (``b`` may be a submodule), and ``importlib.import_module("x")`` with a literal yields ``x``."""
    found: list[Imported] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Imported(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, path)
            found += [Imported(node.lineno, base)] if base else []
            found += [Imported(node.lineno, f"{base}.{alias.name}" if base else alias.name)
                      for alias in node.names if alias.name != "*"]
        elif isinstance(node, ast.Call) and (dynamic := _dynamic_import(node)):
            found.append(Imported(node.lineno, dynamic))
    return found


def _dynamic_import(call: ast.Call) -> str | None:
    """The module of ``importlib.import_module("x")`` / ``__import__("x")`` called with a literal."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name not in {"import_module", "__import__"} or not call.args:
        return None
    first = call.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _sources(package: str) -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.parts]


def _top(module: str) -> str:
    return module.split(".")[0]


def layer_violations(package: str) -> list[Violation]:
    allowed = ALLOWED[package] | {package}
    forbidden = FORBIDDEN_THIRD_PARTY.get(package, frozenset())
    found: set[Violation] = set()
    for path, tree in _sources(package):
        for imp in imports_of(path, tree):
            top = _top(imp.module)
            if top in OURS and top not in allowed:
                rule = "nothing imports tipline" if top == "tipline" else f"{package} may import only {_names(allowed)}"
                found.add(Violation(path, imp.line, imp.module, rule))
            elif top in forbidden:
                found.add(Violation(path, imp.line, imp.module, f"{package} does not use {top}"))
    return _dedupe(found)


def sql_violations(package: str) -> list[Violation]:
    found: set[Violation] = set()
    for path, tree in _sources(package):
        for imp in imports_of(path, tree):
            if _is_sql(imp.module):
                found.add(Violation(path, imp.line, imp.module, "SQL lives in storage/: call a named storage function"))
        sqlalchemy_aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                              for a in n.names if a.name == "sqlalchemy"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in DRIVER_ATTRIBUTES:
                found.add(Violation(path, node.lineno, node.attr, "no driver calls outside storage/"))
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in sqlalchemy_aliases and node.attr not in SQLALCHEMY_TYPES):
                found.add(Violation(path, node.lineno, f"sqlalchemy.{node.attr}", "SQL lives in storage/"))
    return _dedupe(found)


def _is_sql(module: str) -> bool:
    if any(module == m or module.startswith(m + ".") for m in SQL_MODULES):
        return True
    if _top(module) != "sqlalchemy" or module == "sqlalchemy":
        return False
    if any(module == m or module.startswith(m + ".") for m in SQLALCHEMY_TYPE_MODULES):
        return False
    return module.split(".", 1)[1] not in SQLALCHEMY_TYPES


def _dedupe(found: set[Violation]) -> list[Violation]:
    """One line per imported name: ``from a.b import c`` reports ``a.b.c``, not also ``a.b``."""
    keep = {v for v in found if not any(o != v and o.path == v.path and o.line == v.line and o.rule == v.rule
                                        and o.name.startswith(v.name + ".") for o in found)}
    return sorted(keep, key=lambda v: (str(v.path), v.line, v.name))


def _names(packages: frozenset[str]) -> str:
    return ", ".join(sorted(packages))


def _report(violations: list[Violation]) -> str:
    return "\n" + "\n".join(str(v) for v in violations)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_follow_the_layer_table(package: str) -> None:
    violations = layer_violations(package)
    assert not violations, _report(violations)


@pytest.mark.parametrize("package", NO_SQL_PACKAGES)
def test_no_sql_outside_storage(package: str) -> None:
    violations = sql_violations(package)
    assert not violations, _report(violations)


def test_the_checker_sees_every_kind_of_import() -> None:
    """The rules above would pass vacuously if the walker missed a form; this pins each form."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "if TYPE_CHECKING:\n    from tipline.settings import Settings\n"
        "def f():\n    import tipline.logs\n    from .. import tipline\n"
        "    from sqlalchemy import select, Connection\n    from sqlalchemy.exc import DBAPIError\n"
        "    from storage import tables\n    conn.connection.driver_connection.rollback()\n"
        "    importlib.import_module('tipline.app')\n"
    )
    path = ROOT / "triage" / "example.py"  # never written: parsed in memory as if it lived there
    found = {(i.line, i.module) for i in imports_of(path, ast.parse(source))}
    assert {(4, "tipline.settings"), (6, "tipline.logs"), (7, "tipline"), (12, "tipline.app")} <= found
    assert _is_sql("sqlalchemy.select") and _is_sql("storage.tables") and _is_sql("sqlalchemy.dialects.postgresql")
    assert not _is_sql("sqlalchemy.Connection") and not _is_sql("sqlalchemy.exc.DBAPIError")


def _loaded_modules(tmp_path: Path, script: str) -> set[str]:
    """Run ``script`` in a fresh interpreter (so nothing this test process imported counts) and
    return the names in its sys.modules."""
    result = subprocess.run([sys.executable, "-c", script + "\nimport sys\nprint('\\n'.join(sys.modules))"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def _is_staff(module: str) -> bool:
    in_staff_package = any(module == p or module.startswith(p + ".") for p in STAFF_PACKAGES)
    return in_staff_package or (_top(module) in OURS and STAFF_NAME_MARK in module)


def test_building_the_public_app_loads_no_staff_module(settings: Settings, tmp_path: Path) -> None:
    both_channels = settings.with_(**channel_settings(settings, None, None))
    initialised_runtime(both_channels).db.dispose()
    pickled = tmp_path / "settings.pickle"
    pickled.write_bytes(pickle.dumps(both_channels))
    loaded = _loaded_modules(tmp_path, (
        "import pickle, pathlib\n"
        f"settings = pickle.loads(pathlib.Path({str(pickled)!r}).read_bytes())\n"
        "from tipline.app import create_public_app\n"
        "app = create_public_app(settings)\n"
        "assert app.url_map.bind('x').match('/webhooks/telegram', method='POST')\n"
    ))
    assert "webhooks" in loaded  # the app was really built
    staff = sorted(m for m in loaded if _is_staff(m))
    assert not staff, f"the public app loaded staff modules: {staff}"


def test_the_engine_loads_no_web_or_provider_library(tmp_path: Path) -> None:
    loaded = _loaded_modules(tmp_path, (
        "import pkgutil, importlib, bot\n"
        "for info in pkgutil.walk_packages(bot.__path__, 'bot.'):\n"
        "    importlib.import_module(info.name)\n"
    ))
    assert "bot.engine" in loaded
    bad = sorted(m for m in loaded if _top(m) in BOT_MUST_NOT_LOAD)
    assert not bad, f"importing bot loaded {bad}"
