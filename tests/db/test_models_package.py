"""db/models/ is one module per feature on one metadata: `import db.models` alone gives Alembic every table."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import db.models

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_package_alone_puts_every_modules_tables_on_the_metadata() -> None:
    """A module left out of db/models/__init__.py would leave its tables out of autogenerate's comparison."""
    script = (
        "import importlib, pkgutil, db.models as m\n"
        "alone = set(m.Base.metadata.tables)\n"
        "for module in pkgutil.iter_modules(m.__path__):\n"
        "    importlib.import_module(f'db.models.{module.name}')\n"
        "print(sorted(set(m.Base.metadata.tables) - alone))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_model_is_imported_from_the_package_as_from_one_module() -> None:
    exported = set(db.models.__all__)
    models = {mapper.class_.__name__ for mapper in db.models.Base.registry.mappers}
    assert models - exported == set()
    assert [name for name in exported if not hasattr(db.models, name)] == []


def test_every_table_is_defined_in_a_feature_module_not_in_base() -> None:
    modules = {module.name for module in pkgutil.iter_modules(db.models.__path__)}
    homes = {mapper.class_.__module__ for mapper in db.models.Base.registry.mappers}
    assert "base" in modules
    assert "db.models.base" not in homes
    assert homes <= {f"db.models.{name}" for name in modules}
