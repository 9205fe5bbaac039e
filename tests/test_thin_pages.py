"""Pages are thin: they lay out sections drawn by ui/, and reach crm/ and db/ only through it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PAGES = sorted((Path(__file__).resolve().parent.parent / "pages").glob("*.py"))


def _roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_page_imports_only_ui_streamlit_and_the_standard_library(page: Path) -> None:
    allowed = {"ui", "streamlit", *sys.stdlib_module_names}
    assert _roots(page) - allowed == set()
