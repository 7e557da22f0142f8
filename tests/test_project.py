"""Project-wide rules: every setting documented, imports flow one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kb.config import Settings

ROOT = Path(__file__).resolve().parent.parent
# package -> packages it must not import
FORBIDDEN = {
    "kb": {"ingest", "search", "api"},
    "ingest": {"search", "api"},
    "search": {"ingest", "api"},
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
