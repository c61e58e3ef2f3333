"""The size guide of STYLE.md and issue 7: modules under about 300 lines, functions under about 40.

Every offender is printed (``pytest -s tests/test_size.py`` or the ``-ra`` summary shows them).
An offender missing from the allow-lists below fails, and so does an entry that is now within the
guide (drop it): the lists only shrink, and a module that was split cannot grow back unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "triage", "webhooks", "tipline")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40  # from ``def`` to the last line, docstring included

# Known offenders left after issue 7's refactor; none is ever added.
KNOWN_LONG_MODULES: frozenset[str] = frozenset()  # every module is within the guide now
KNOWN_LONG_FUNCTIONS: frozenset[str] = frozenset()  # every function is within the guide now


def _sources() -> list[Path]:
    # Alembic revisions are generated and frozen once released: not held to the guide.
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.parts]


def _functions(node: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """(qualified name, length in lines) of every function and method, nested ones too."""
    found: list[tuple[str, int]] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = prefix + child.name
            if not isinstance(child, ast.ClassDef):
                found.append((name, (child.end_lineno or child.lineno) - child.lineno + 1))
            found += _functions(child, name + ".")
        else:
            found += _functions(child, prefix)
    return found


def long_modules() -> dict[str, int]:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _sources()}
    return {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}


def long_functions() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in _sources():
        for name, n in _functions(ast.parse(path.read_text(), str(path))):
            if n > MAX_FUNCTION_LINES:
                found[f"{path.relative_to(ROOT)}:{name}"] = n
    return found


def _report(kind: str, limit: int, sizes: dict[str, int], known: frozenset[str]) -> list[str]:
    print(f"\n{kind} over {limit} lines:")
    for name, n in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {n:5d}  {name}{'' if name in known else '   <- NEW'}")
    for name in sorted(known - set(sizes)):
        print(f"  (now within the guide, drop from the allow-list: {name})")
    return sorted(set(sizes) - known)


def test_no_new_module_over_the_guide() -> None:
    sizes = long_modules()
    new = _report("modules", MAX_MODULE_LINES, sizes, KNOWN_LONG_MODULES)
    assert not new, f"modules over {MAX_MODULE_LINES} lines: split them ({', '.join(new)})"
    stale = sorted(KNOWN_LONG_MODULES - set(sizes))
    assert not stale, f"within the guide now: drop from KNOWN_LONG_MODULES ({', '.join(stale)})"


def test_no_new_function_over_the_guide() -> None:
    sizes = long_functions()
    new = _report("functions", MAX_FUNCTION_LINES, sizes, KNOWN_LONG_FUNCTIONS)
    assert not new, f"functions over {MAX_FUNCTION_LINES} lines: split them ({', '.join(new)})"
    stale = sorted(KNOWN_LONG_FUNCTIONS - set(sizes))
    assert not stale, f"within the guide now: drop from KNOWN_LONG_FUNCTIONS ({', '.join(stale)})"


def test_the_measure_counts_nested_functions_and_methods() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f"class A:\n    def m(self) -> None:\n    {body.replace(chr(10), chr(10) + '    ')}\n"
    source += f"def outer() -> None:\n    def inner() -> None:\n    {body.replace(chr(10), chr(10) + '    ')}\n"
    sizes = dict(_functions(ast.parse(source)))
    assert sizes["A.m"] == MAX_FUNCTION_LINES + 1 and sizes["outer.inner"] == MAX_FUNCTION_LINES + 1
    assert sizes["outer"] == MAX_FUNCTION_LINES + 2
