"""After a refused save: merge what the form was opened with, the record as it is now and the user's input.

Three-way, field by field: a field only the other person changed keeps their value, a field only the user
changed keeps the user's, and a field both changed differently is a conflict the user settles by keeping
one of the two (theirs unless they choose their own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

THEIRS = "theirs"
YOURS = "yours"


@dataclass(frozen=True)
class FieldConflict:
    """A field both people changed, each to another value."""

    field: str
    base: Any  # what the form was opened with
    theirs: Any  # what the other person saved
    yours: Any  # what the user typed


@dataclass(frozen=True)
class Merge:
    """The outcome of merging base, theirs and yours."""

    values: dict[str, Any]  # every field: theirs, with the user's own changes on top; conflicts hold theirs
    theirs_only: tuple[str, ...]  # fields only the other person changed
    yours_only: tuple[str, ...]  # fields only the user changed
    conflicts: dict[str, FieldConflict]  # fields both changed differently, in the order of the fields

    def resolve(self, keep: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Every field's value once each conflict is settled: keep[field] == YOURS keeps the user's value."""
        keep = keep or {}
        mine = {name: c.yours for name, c in self.conflicts.items() if keep.get(name) == YOURS}
        return {**self.values, **mine}


def three_way_merge(
    base: Mapping[str, Any], theirs: Mapping[str, Any], yours: Mapping[str, Any], fields: Iterable[str] | None = None
) -> Merge:
    """Merge the user's input (yours) onto the record as it is now (theirs), both changed from base."""
    names = list(fields) if fields is not None else list(dict.fromkeys([*theirs, *yours]))
    values: dict[str, Any] = {}
    theirs_only: list[str] = []
    yours_only: list[str] = []
    conflicts: dict[str, FieldConflict] = {}
    for name in names:
        was, now, mine = base.get(name), theirs.get(name), yours.get(name)
        they_changed, i_changed = now != was, mine != was
        if i_changed and not they_changed:
            yours_only.append(name)
            values[name] = mine
            continue
        values[name] = now
        if they_changed and not i_changed:
            theirs_only.append(name)
        elif they_changed and i_changed and mine != now:
            conflicts[name] = FieldConflict(field=name, base=was, theirs=now, yours=mine)
    return Merge(values=values, theirs_only=tuple(theirs_only), yours_only=tuple(yours_only), conflicts=conflicts)


def keep_choices(
    values: Mapping[str, Any], conflicts: Iterable[FieldConflict], keep: Mapping[str, str]
) -> dict[str, Any]:
    """The form's values with each conflicting field settled: theirs, unless keep[field] is YOURS (the form's)."""
    settled = dict(values)
    for conflict in conflicts:
        if keep.get(conflict.field, THEIRS) != YOURS:
            settled[conflict.field] = conflict.theirs
    return settled


def changes_from(values: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields whose value differs from the record as it is now (what a partial update sends)."""
    return {name: value for name, value in values.items() if value != current.get(name)}
