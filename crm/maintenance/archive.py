"""The portable backup file: a zip of one JSON-lines file per table and a manifest, restorable on any database.

Layout (format 1):
    tables/<table>.jsonl   one row a line, a JSON array of the table's columns in manifest order (codec.py)
    manifest.json          format, when and from which database it was taken, the schema's Alembic revision,
                           and per table its columns (name, kind, scale), row count and checksum
The manifest is written last, when every count and checksum is known; a backup is written beside its final
name and renamed into place once complete, so a file under the final name is never half written.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from crm.maintenance.codec import KINDS, ColumnSpec, parse_line

FORMAT = "crm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_HEADER = b"SQLite format 3\x00"


class NotAnArchive(Exception):
    """The file is neither a backup archive of this app nor a SQLite database."""


@dataclass(frozen=True)
class ArchivedTable:
    name: str
    columns: tuple[ColumnSpec, ...]
    rows: int
    checksum: str

    @property
    def member(self) -> str:
        return f"tables/{self.name}.jsonl"


@dataclass(frozen=True)
class Manifest:
    revision: str
    created_at: str
    source_dialect: str
    tables: tuple[ArchivedTable, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "source_dialect": self.source_dialect,
            "alembic_revision": self.revision,
            "tables": [
                {
                    "name": t.name,
                    "file": t.member,
                    "columns": [c.as_dict() for c in t.columns],
                    "rows": t.rows,
                    "checksum": t.checksum,
                }
                for t in self.tables
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise NotAnArchive("no crm-backup manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise NotAnArchive(f"format version {data.get('format_version')!r}")
        tables = []
        for entry in data["tables"]:
            columns = tuple(ColumnSpec(c["name"], c["kind"], c.get("scale")) for c in entry["columns"])
            if any(c.kind not in KINDS for c in columns):
                raise NotAnArchive(f"unknown column kind in {entry['name']}")
            tables.append(ArchivedTable(entry["name"], columns, int(entry["rows"]), str(entry["checksum"])))
        return cls(
            revision=str(data["alembic_revision"]),
            created_at=str(data["created_at"]),
            source_dialect=str(data["source_dialect"]),
            tables=tuple(tables),
        )


def is_sqlite_file(path: Path) -> bool:
    """Tell whether the file is a SQLite database (a `backup --sqlite` copy)."""
    with path.open("rb") as file:
        return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def partial_path(path: Path) -> Path:
    """Where a backup is written until it is complete."""
    return path.with_name(path.name + ".partial")


class ArchiveWriter:
    """Write tables one after the other, then the manifest; `commit` renames the finished file into place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._partial = partial_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(self._partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._open: IO[bytes] | None = None

    def open_table(self, name: str) -> IO[bytes]:
        """Start the table's file; write its lines to the returned stream and close it."""
        self._open = self._zip.open(f"tables/{name}.jsonl", "w", force_zip64=True)
        return self._open

    def commit(self, manifest: Manifest) -> None:
        """Write the manifest, close the archive and give it its final name."""
        self._zip.writestr(MANIFEST, json.dumps(manifest.as_dict(), ensure_ascii=False, indent=1))
        self._zip.close()
        os.replace(self._partial, self.path)

    def abandon(self) -> None:
        """Close and delete the unfinished file."""
        try:
            if self._open is not None and not self._open.closed:
                self._open.close()
            self._zip.close()
        finally:
            self._partial.unlink(missing_ok=True)


class ArchiveReader:
    """Read a backup archive: its manifest, then each table's rows streamed line by line."""

    def __init__(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
            self.manifest = Manifest.from_dict(json.loads(self._zip.read(MANIFEST)))
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
            raise NotAnArchive(str(error)) from error

    def table(self, name: str) -> ArchivedTable | None:
        return next((t for t in self.manifest.tables if t.name == name), None)

    def rows(self, table: ArchivedTable) -> Iterator[list[Any]]:
        with self._zip.open(table.member) as stream:
            for line in stream:
                yield parse_line(line)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
