"""Typed domain errors raised by crm/ services; pages turn them into messages in the user's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CrmError(Exception):
    """Base of every domain error. `key` names a catalog message, `params` fill it in."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class ValidationError(CrmError):
    """Bad input: `fields` maps each field name to (message key, params)."""

    key = "error.validation"

    def __init__(self, fields: Mapping[str, tuple[str, dict[str, Any]]]) -> None:
        self.fields = dict(fields)
        super().__init__(self.key, fields=", ".join(self.fields))


class PermissionDenied(CrmError):
    key = "error.permission_denied"


class NotFound(CrmError):
    key = "error.not_found"


class VersionConflict(CrmError):
    """Someone saved the record since the form was shown; `changes` says who changed what."""

    key = "error.version_conflict"

    def __init__(self, *, entity: str, changes: list[dict[str, Any]]) -> None:
        self.entity = entity
        self.changes = changes
        who = sorted({c["username"] or "?" for c in changes})
        fields = sorted({c["field"] for c in changes if c["field"]})
        super().__init__(self.key, who=", ".join(who), fields=", ".join(fields))


class DuplicateSubmission(CrmError):
    """The same rendered form was submitted twice; the first submission already took effect."""

    key = "error.duplicate_submission"


class AuthenticationFailed(CrmError):
    key = "auth.invalid_credentials"


class AccountLocked(CrmError):
    key = "auth.locked"


class DatabaseReadOnly(CrmError):
    """The database takes no writes (a read-only SQLite file, a standby): nothing was saved."""

    key = "error.database_read_only"


class DatabaseFull(CrmError):
    """The database or its disk has no room left: the transaction rolled back, nothing was saved."""

    key = "error.database_full"


class DatabaseUnavailable(CrmError):
    """The connection to the database was lost (or it cannot be reached): the transaction rolled back, nothing
    was saved; the pool opens a fresh connection for the retry."""

    key = "error.database_unavailable"


class DatabaseBusy(CrmError):
    """Other transactions held the records this one needed: the database gave it up (a deadlock victim) or it
    waited too long for a lock. It rolled back, nothing was saved; `retryable` when running it again at once may
    succeed (crm.platform.uow.retry_when_busy does, for the pages)."""

    key = "error.database_busy"

    def __init__(self, *, retryable: bool) -> None:
        super().__init__()
        self.retryable = retryable


class ValidationCollector:
    """Gather field errors, then raise them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(self, field: str, key: str, **params: Any) -> None:
        self.fields.setdefault(field, (key, params))

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)
