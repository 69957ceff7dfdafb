"""Wiring of the event store: the embedded SQLite default or PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

from domain.application import HlmApplication
from infra.settings import Settings


def postgres_env(url: str, schema: str) -> dict[str, str]:
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        "APPLICATION_RECORDER_TOPIC": "infra.recorders:HlmPostgresRecorder",
    }


def store_env(settings: Settings, *, create_tables: bool | None = None) -> dict[str, str]:
    if settings.uses_postgres:
        assert settings.database_url is not None
        env = postgres_env(settings.database_url, settings.database_schema)
        env["POSTGRES_POOL_SIZE"] = str(settings.pool_size)
        create = settings.create_tables if create_tables is None else create_tables
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "infra.recorders:HlmSQLiteRecorder",
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
                          **kwargs)


def init_store(settings: Settings) -> HlmApplication:
    """`hlm init`: the schema and every table, once, before services start."""
    ensure_schema(settings)
    return HlmApplication(env=store_env(settings, create_tables=True),
                          v20_effective_from=settings.v20_effective_from)
