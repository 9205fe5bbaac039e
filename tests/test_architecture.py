"""Layer and feature rules, read from the imports with `ast` (README, Architecture).

Layers: pages -> ui -> crm -> db; crm/ and db/ never import streamlit; pages import only ui, streamlit and the
standard library. Inside crm/: crm/platform imports no feature; a feature imports crm.platform modules and other
features' public faces (`from crm.follow_ups import X`), never their modules (`crm.follow_ups.automation`), and
the features' dependencies never go round in a circle. crm/bench, which times features' internals, may import
them; no feature imports crm/bench. crm/'s top level holds only the entry points (__init__, __main__, cli).
crm/ reads the time from crm/platform/clock.py only, so a test can stand it still.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / "crm"
PLATFORM = "platform"
BENCH = "bench"  # benchmarks time features' internals: they may import them, and nothing imports them
# The pages benchmark drives the app through Streamlit's AppTest, as tests/app do; it draws nothing itself.
APP_DRIVER = CRM / BENCH / "pages.py"
CRM_TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py"}  # the command line and the package's entry points


@dataclass(frozen=True)
class Import:
    module: str  # absolute, dotted; `from a.b import c` names a.b.c when c is a module
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.module}"


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[Import]:
    """Every import in the file, function-level ones included, relative ones made absolute."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[Import] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(Import(alias.name, path, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(Import(submodule if _is_module(submodule) else base, path, node.lineno))
    return sorted(found, key=lambda i: (i.line, i.module))


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _root(module: str) -> str:
    return module.split(".")[0]


def _crm_package(module: str) -> str | None:
    """The crm package a module belongs to ("platform", "customers", ...), None outside them (crm.cli, not crm)."""
    parts = module.split(".")
    if parts[0] != "crm" or len(parts) < 2 or not (CRM / parts[1] / "__init__.py").is_file():
        return None
    return parts[1]


def _packages() -> list[str]:
    return sorted(p.parent.name for p in CRM.glob("*/__init__.py"))


def _features() -> list[str]:
    return [p for p in _packages() if p != PLATFORM]


def _none(offenders: list[str]) -> None:
    assert not offenders, "\n".join(offenders)


def _crm_imports(package: str) -> Iterator[Import]:
    for path in sorted((CRM / package).rglob("*.py")):
        yield from (i for i in _imports(path) if _root(i.module) == "crm")


# --- layers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["crm", "db"])
def test_domain_and_data_layers_never_import_streamlit(folder: str) -> None:
    offenders = [
        str(i) for p in _files(folder) if p != APP_DRIVER for i in _imports(p) if _root(i.module) == "streamlit"
    ]
    _none(offenders)


def test_db_layer_never_imports_crm_or_ui() -> None:
    offenders = [str(i) for p in _files("db") for i in _imports(p) if _root(i.module) in ("crm", "ui", "pages")]
    _none(offenders)


def test_crm_never_imports_ui_or_pages() -> None:
    offenders = [str(i) for p in _files("crm") for i in _imports(p) if _root(i.module) in ("ui", "pages")]
    _none(offenders)


def test_pages_import_only_ui_streamlit_and_the_standard_library() -> None:
    """A page lays out ui/ sections: its logic, queries and charts live in ui/<feature>/, never in the page."""
    allowed = {"ui", "streamlit", "__future__", *sys.stdlib_module_names}
    offenders = [str(i) for p in _files("pages") for i in _imports(p) if _root(i.module) not in allowed]
    _none(offenders)


def test_pages_have_no_main_guard_and_no_legacy_numbered_names() -> None:
    for page in _files("pages"):
        assert not page.name[0].isdigit(), page
        assert "__main__" not in page.read_text(encoding="utf-8"), page


# --- crm/: the platform and the features ---------------------------------------------------------------------


def test_crm_top_level_holds_only_its_entry_points() -> None:
    """Everything else lives in crm/platform or in a feature's package."""
    assert {p.name for p in CRM.glob("*.py")} == CRM_TOP_LEVEL


def test_platform_imports_no_feature() -> None:
    offenders = [str(i) for i in _crm_imports(PLATFORM) if _crm_package(i.module) != PLATFORM]
    _none(offenders)


@pytest.mark.parametrize("feature", _features())
def test_feature_imports_the_platform_and_other_features_public_faces_only(feature: str) -> None:
    """`from crm.follow_ups import cancel_open_tasks`, not `from crm.follow_ups.automation import ...`.

    crm/bench is the exception: a benchmark times a feature's internals, so it imports them.
    """

    def allowed(module: str) -> bool:
        package = _crm_package(module)
        if package in (feature, PLATFORM):
            return True
        if package is None:  # crm.cli and the package's other entry points
            return False
        if package == BENCH:  # test_no_feature_imports_the_benchmarks
            return True
        return feature == BENCH or module == f"crm.{package}"

    _none([str(i) for i in _crm_imports(feature) if not allowed(i.module)])


def test_no_feature_imports_the_benchmarks() -> None:
    """Benchmarks import features' internals; a feature importing them back would close a circle."""
    offenders = [
        str(i)
        for package in _packages()
        if package != BENCH
        for i in _crm_imports(package)
        if _crm_package(i.module) == BENCH
    ]
    _none(offenders)


def test_the_features_depend_on_each_other_without_a_circle() -> None:
    """The package graph, computed from the imports (crm.platform and the features), has no cycle."""
    graph: dict[str, set[str]] = {package: set() for package in _packages()}
    witness: dict[tuple[str, str], Import] = {}
    for package in graph:
        for i in _crm_imports(package):
            target = _crm_package(i.module)
            if target is not None and target != package:
                graph[package].add(target)
                witness.setdefault((package, target), i)
    cycle: list[str] = []
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        cycle = error.args[1]  # [a, b, ..., a], each node depended on by the one after it
    edges = [
        f"crm.{after} -> crm.{before}: {witness[(after, before)]}"
        for before, after in zip(cycle, cycle[1:], strict=False)
    ]
    assert not cycle, "the crm packages depend on each other in a circle:\n" + "\n".join(edges)


def _wall_clock_reads(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today"):
            owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
            if owner in ("datetime", "date"):
                yield f"{path.relative_to(ROOT)}:{node.lineno} reads {owner}.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module and _root(node.module) == "db":
            if any(alias.name == "utcnow" for alias in node.names):
                yield f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.utcnow"


def test_crm_reads_the_time_from_the_clock_only() -> None:
    """clock.utcnow / clock.today, never datetime.now or date.today, so clock.frozen_at stands every module still.

    Benchmarks are the exception: they time and date real runs.
    """
    clock = CRM / PLATFORM / "clock.py"
    _none(
        [
            read
            for path in _files("crm")
            if path != clock and BENCH not in path.relative_to(CRM).parts[:1]
            for read in _wall_clock_reads(path)
        ]
    )
