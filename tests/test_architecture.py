"""Layer rules: pages -> ui -> crm -> db; crm/ and db/ never import streamlit; pages never touch the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["crm", "db"])
def test_domain_and_data_layers_never_import_streamlit(folder: str) -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i.split(".")[0] == "streamlit")
                 for p in _files(folder)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_db_layer_never_imports_crm_or_ui() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i.split(".")[0] in ("crm", "ui", "pages"))
                 for p in _files("db")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_crm_never_imports_ui_or_pages() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i.split(".")[0] in ("ui", "pages"))
                 for p in _files("crm")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pages_never_import_sqlalchemy_or_db() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i.split(".")[0] in ("sqlalchemy", "db"))
                 for p in _files("pages")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pages_have_no_main_guard_and_no_legacy_numbered_names() -> None:
    for page in _files("pages"):
        assert not page.name[0].isdigit(), page
        assert "__main__" not in page.read_text(encoding="utf-8"), page
