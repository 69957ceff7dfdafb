"""A thin connection to the read-model tables, in the same database as the event store.

SQL is written once with `?` placeholders; on PostgreSQL they become `%s`. Rows are tuples.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

if TYPE_CHECKING:
    import psycopg


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...


class ViewDB(Protocol):
    dialect: str

    def transaction(self) -> Any: ...

    def lecture(self) -> Any: ...

    def close(self) -> None: ...


class _PgCursor:
    def __init__(self, cur: psycopg.Cursor[tuple[Any, ...]]) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cur.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        return self._cur.executemany(sql.replace("?", "%s"), params)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cur.fetchall()

    def copy_rows(self, table: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> None:
        with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def pipeline(self) -> Any:
        """Send the next statements without waiting for each one's result (a fetch still
        waits for its own); errors surface at the fetch or when the block ends."""
        return self._cur.connection.pipeline()


def insert_rows(cur: Cursor, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows at once: COPY on PostgreSQL (not inside a pipeline)."""
    if isinstance(cur, _PgCursor):
        cur.copy_rows(table, columns, rows)
    else:
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                        f"({', '.join('?' * len(columns))})", rows)


def supersede_rows(cur: Cursor, table: str, key_column: str,
                   rows: Sequence[tuple[int, str, str]]) -> None:
    """Close the believed rows (position, key, valid_from) of a timeline table at their
    positions: one statement on PostgreSQL."""
    if isinstance(cur, _PgCursor):
        positions, keys, starts = (list(c) for c in zip(*rows, strict=True))
        cur.execute(f"UPDATE {table} AS t SET superseded_at = v.p FROM unnest(?::bigint[], "
                    f"?::text[], ?::text[]) AS v(p, k, s) WHERE t.{key_column} = v.k AND "
                    "t.valid_from = v.s AND t.superseded_at IS NULL",
                    (positions, keys, starts))
    else:
        cur.executemany(f"UPDATE {table} SET superseded_at = ? WHERE {key_column} = ? AND "
                        "valid_from = ? AND superseded_at IS NULL", rows)


class PostgresViewDB:
    dialect = "postgres"

    def __init__(self, url: str, schema: str, pool_size: int = 4) -> None:
        # Every libpq parameter of the URL is kept, its own `options` too (sslmode, ...).
        own = conninfo_to_dict(url).get("options") or ""
        conninfo = make_conninfo(url, options=f"{own} -c search_path={schema}".strip())
        # Checked at each checkout (an empty query): after a server restart or a killed
        # backend, a dead pooled connection is replaced instead of failing a read or batch.
        self.pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size,
                                   kwargs={"autocommit": True}, open=True,
                                   check=ConnectionPool.check_connection,
                                   # a connection waited for at most this long (the pool's
                                   # default, 30 s, would stretch a retry's backoff)
                                   timeout=10.0)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield _PgCursor(cur)

    # A read is a transaction like any other on PostgreSQL (MVCC: it blocks no writer).
    lecture = transaction

    def close(self) -> None:
        self.pool.close()


class SQLiteViewDB:
    dialect = "sqlite"

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout  # how long a write waits for SQLite's lock before it fails
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.timeout,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        conn = self._conn()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()

    @contextmanager
    def lecture(self) -> Iterator[Cursor]:
        """A deferred read transaction: one snapshot (WAL), no write lock taken, so reads
        never wait for the projector nor make it wait."""
        conn = self._conn()
        cur = conn.cursor()
        cur.execute("BEGIN")
        try:
            yield cur
        finally:
            conn.rollback()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
