"""Locks that let one process at a time work on a store: the projector, a rebuild, a relay."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

import psycopg

from infra.settings import Settings


class StoreLock:
    """A PostgreSQL advisory lock, or a file lock next to the SQLite store, held by one
    process at a time per store. `name` tells apart what is locked: the projector, a
    rebuild (`hlm projections rebuild`), a relay."""

    def __init__(self, settings: Settings, name: str = "projector") -> None:
        self.settings = settings
        self.name = name
        self._conn: psycopg.Connection[Any] | None = None
        self._file: Any = None

    def acquire(self) -> bool:
        if self.settings.uses_postgres:
            assert self.settings.database_url is not None
            self._conn = psycopg.connect(self.settings.database_url, autocommit=True)
            row = self._conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))",
                                     (f"hlm-{self.name}:{self.settings.database_schema}",)
                                     ).fetchone()
            if not (row and row[0]):
                self.release()
                return False
            return True
        path = Path(self.settings.data_dir) / f"{self.name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            return False
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None
