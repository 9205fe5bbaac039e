"""Every write the screens make carries a form token, so a double click or a resubmitted form never writes twice.

Read from the source with `ast`: each call in ui/ to a crm function is resolved through the file's imports to the
function itself, and its signature decides. A use case that takes `token=` must be given one; a use case whose name
says it creates something (create_, add_, file_, record_, log_, plan_, import_ ...) must take one, so a new create
form cannot ship without it. crm.platform.uow.transaction claims the token: the second submission is refused.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "ui"
CREATES = re.compile(r"(create|add|file|record|log|plan|import|new|register|submit|copy|convert|duplicate)_\w+")
# Named like a create but writing nothing twice, each for its reason.
NOT_CREATES = {
    "log_context": "reads what the log form shows",
    "import_fields": "lists the fields an import file can map",
    "create_first_admin": "refused inside its transaction once any account exists: a second click creates nothing",
}


@dataclass(frozen=True)
class ServiceCall:
    path: Path
    line: int
    name: str
    function: Callable[..., Any]
    keywords: dict[str, ast.expr]

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} {self.name}(...)"

    @property
    def takes_token(self) -> bool:
        return "token" in inspect.signature(self.function).parameters

    @property
    def passes_token(self) -> bool:
        value = self.keywords.get("token")
        return value is not None and not (isinstance(value, ast.Constant) and value.value is None)


def _crm_names(tree: ast.Module) -> dict[str, Callable[..., Any]]:
    """Each name the file binds to a crm function (`from crm.x import f [as g]`, function-level ones too)."""
    names: dict[str, Callable[..., Any]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "crm":
            module = importlib.import_module(str(node.module))
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if inspect.isfunction(value):
                    names[alias.asname or alias.name] = value
    return names


def _crm_modules(tree: ast.Module) -> dict[str, Any]:
    """Each name the file binds to a crm module (`import crm.x as m`, `from crm import x`)."""
    modules: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "crm" and alias.asname:
                    modules[alias.asname] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "crm":
            for alias in node.names:
                value = getattr(importlib.import_module(str(node.module)), alias.name, None)
                if inspect.ismodule(value):
                    modules[alias.asname or alias.name] = value
    return modules


def service_calls() -> Iterator[ServiceCall]:
    """Every call in ui/ of a function defined in crm/."""
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions, modules = _crm_names(tree), _crm_modules(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func
            function = None
            if isinstance(callee, ast.Name):
                function = functions.get(callee.id)
            elif isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
                module = modules.get(callee.value.id)
                candidate = getattr(module, callee.attr, None) if module is not None else None
                function = candidate if inspect.isfunction(candidate) else None
            if function is None or not function.__module__.startswith("crm."):
                continue
            yield ServiceCall(
                path=path,
                line=node.lineno,
                name=function.__name__,
                function=function,
                keywords={k.arg: k.value for k in node.keywords if k.arg is not None},
            )


CALLS = list(service_calls())


def test_the_scan_finds_the_create_forms_service_calls() -> None:
    """The scan is no test if it finds nothing: the known create forms are among what it finds."""
    found = {call.name for call in CALLS}
    known = {
        "create_customer",
        "add_contact",
        "add_order",
        "add_contract",
        "add_payment",
        "add_note",
        "log_contact",
        "plan_follow_up",
        "file_complaint",
        "file_inquiry",
        "record_suggestion",
        "record_response",
        "create_template",
        "create_campaign",
        "save_department",
        "create_user",
    }
    assert known <= found, f"not found in ui/: {sorted(known - found)}"


def test_every_write_that_takes_a_form_token_is_given_one() -> None:
    """A use case that can refuse a repeated submission is always handed the form's token."""
    missing = [str(call) for call in CALLS if call.takes_token and not call.passes_token]
    assert not missing, "called without token=:\n" + "\n".join(missing)


def test_every_create_use_case_the_screens_call_takes_a_form_token() -> None:
    """A create called from a form takes `token=`, so a double click cannot create the record twice."""
    missing = [
        str(call)
        for call in CALLS
        if CREATES.fullmatch(call.name) and call.name not in NOT_CREATES and not call.takes_token
    ]
    assert not missing, "create use cases without a token= parameter:\n" + "\n".join(missing)
