"""Project-wide rules: every setting documented, imports flow one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kb.config import Settings

ROOT = Path(__file__).resolve().parent.parent
# package -> packages it must not import
FORBIDDEN = {
    "kb": {"ingest", "search", "api", "bench"},
    "ingest": {"search", "api", "bench"},
    "search": {"ingest", "api", "bench"},
    "api": {"bench"},  # evaluation-only helpers live in bench/, never in production modules
}


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        f"KB_{name.upper()}"
        for name in Settings.model_fields
        if f"`KB_{name.upper()}`" not in readme
    ]
    assert missing == []


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in FORBIDDEN for p in (ROOT / package).rglob("*.py")}


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """The nodes of a module, without what sits under `if TYPE_CHECKING:` (typing only)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for part in node.body for child in ast.walk(part))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def imported_modules(name: str) -> set[str]:
    """The project modules `name` imports at run time (at the top or inside functions)."""
    path = MODULES[name]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = name.split(".")[: -node.level if path.name != "__init__.py" else None]
                base = ".".join([*package, node.module])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return (found & MODULES.keys()) - {name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_import_graph_has_no_cycles() -> None:
    assert cycles({name: imported_modules(name) for name in MODULES}) == []


def test_route_modules_do_not_import_each_other() -> None:
    """Code two routes share lives in a module that is not a route (api.deps, api.writes, kb)."""
    routes = {name for name in MODULES if ".routes." in name}
    offenders = {name: sorted(imported_modules(name) & routes) for name in sorted(routes)}
    assert {name: found for name, found in offenders.items() if found} == {}
