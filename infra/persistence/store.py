"""Wiring of the event store: the embedded SQLite default or PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any, cast

import psycopg
from eventsourcing.postgres import PostgresFactory
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

from domain.application import HlmApplication
from infra.settings import Settings

# The parameters the library's datastore takes itself; every other libpq parameter of the
# URL (sslmode, sslrootcert, application_name, ...) goes to each connection of its pool.
_OWN = ("dbname", "host", "port", "user", "password")
EXTRA_CONNINFO = "HLM_POSTGRES_CONNINFO"


class HlmPostgresFactory(PostgresFactory):
    """The library's factory, whose pool also gets the URL's other libpq parameters: its
    pool opens on first use, after this."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        extra = self.env.get(EXTRA_CONNINFO)
        if extra:
            # The library's datastore gives its pool a dict (psycopg_pool types it wider).
            kwargs = cast("dict[str, Any]", self.datastore.pool.kwargs)
            kwargs.update(json.loads(extra))


def postgres_env(url: str, schema: str) -> dict[str, str]:
    params = conninfo_to_dict(url)
    extra = {k: str(v) for k, v in params.items() if k not in _OWN}
    return {
        "PERSISTENCE_MODULE": "infra.persistence.store:HlmPostgresFactory",
        EXTRA_CONNINFO: json.dumps(extra),
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        "APPLICATION_RECORDER_TOPIC": "infra.persistence.recorders:HlmPostgresRecorder",
    }


def store_env(settings: Settings, *, create_tables: bool | None = None) -> dict[str, str]:
    if settings.uses_postgres:
        assert settings.database_url is not None
        env = postgres_env(settings.database_url, settings.database_schema)
        env["POSTGRES_POOL_SIZE"] = str(settings.pool_size)
        # The library retries a failed statement 10 times, each waiting this long for a
        # connection: with the database down a command ends in ~25 s (503), not minutes.
        env["POSTGRES_CONNECT_TIMEOUT"] = "2"
        create = settings.create_tables if create_tables is None else create_tables
    else:
        settings.prepare_data_dir()
        # The store holds households' files: its owner alone reads it (SQLite gives the
        # -wal and -shm files the database file's mode).
        # Never open and close an existing database file here: closing any descriptor of it
        # drops this process's SQLite locks on it (POSIX locks), and corrupts it.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(settings.sqlite_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        settings.sqlite_path.chmod(0o600)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "infra.persistence.recorders:HlmSQLiteRecorder",
        }
        # The embedded store has no separate migration step: it creates what is missing.
        create = True
    env["CREATE_TABLE"] = "y" if create else "n"
    return env


def ensure_schema(settings: Settings) -> None:
    """Create the PostgreSQL schema itself (the library creates tables, not schemas)."""
    if not settings.uses_postgres or settings.database_schema == "public":
        return
    assert settings.database_url is not None
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
            Identifier(settings.database_schema)))


def open_application(settings: Settings, **kwargs: Any) -> HlmApplication:
    return HlmApplication(env=store_env(settings), v20_effective_from=settings.v20_effective_from,
                          idempotence_jours=settings.idempotence_jours, **kwargs)


def init_store(settings: Settings) -> HlmApplication:
    """`hlm init`: the schema and every table, once, before services start."""
    ensure_schema(settings)
    return HlmApplication(env=store_env(settings, create_tables=True),
                          v20_effective_from=settings.v20_effective_from,
                          idempotence_jours=settings.idempotence_jours)
