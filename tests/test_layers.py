"""The house's layering: library modules never import the pytest plugin (the plugin is wiring only)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
# the pytest wiring: modules pytest loads as plugins (and the shipped suite, which is a pytest user)
WIRING = {"conformance.plugin", "conformance.report.plugin", "conformance.cassettes.plugin",
          "conformance.simulators.fixtures"}


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every conformance module ``path`` imports, at any depth of the file (lazy imports included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conformance"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("conformance"))
    return out


def test_no_library_module_imports_the_pytest_plugin() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module(path)
        if name in WIRING or name.startswith("conformance.suite"):
            continue
        bad = _imports(path) & {"conformance.plugin"}
        if bad:
            offenders[name] = sorted(bad)
    assert offenders == {}
