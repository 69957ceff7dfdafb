"""A generated history kept between benchmark runs, in its own PostgreSQL schema.

    from bench.history import ensure_history
    settings = ensure_history(1_000_000, seed=1)   # Settings pointing at bench_1000000_s1

The first call runs `hlm generate --events N --seed S --schema bench_N_sS` in a subprocess
(about 2.5 minutes per million events) and, once it has succeeded, records what it wrote in
the schema's `bench_history` table. Later calls find that row, check that the events table
still holds that many events and reuse the schema. A schema left by an interrupted
generation (no row, or a different count) is dropped and generated again. Concurrent callers
(two benchmarks at once) serialise on a PostgreSQL advisory lock named after the schema.

The server is HLM_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
Views projected into the schema by a benchmark stay there; they do not change the events.

    .venv/bin/python bench/history.py --events 1000000 --seed 1   # generate ahead of time
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg.sql import SQL, Identifier

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EVENTS_TABLE = "hlm_events"  # the library names it after the application (HlmApplication)
sys.path.insert(0, str(ROOT))

from infra.settings import Settings, masquer_url  # noqa: E402


def database_url() -> str:
    return os.environ.get("HLM_BENCH_DATABASE_URL", DEFAULT_URL)


def schema_name(events: int, seed: int) -> str:
    return f"bench_{events}_s{seed}"


def _recorded(conn: psycopg.Connection, schema: str) -> int | None:
    """The number of events a finished generation left in `schema`, None if unusable."""
    tables = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        (schema,))}
    if not {"bench_history", EVENTS_TABLE} <= tables:
        return None
    row = conn.execute(SQL("SELECT total FROM {}.bench_history").format(
        Identifier(schema))).fetchone()
    if row is None:
        return None
    count = conn.execute(SQL("SELECT count(*) FROM {}.{}").format(
        Identifier(schema), Identifier(EVENTS_TABLE))).fetchone()
    return int(row[0]) if count and int(count[0]) == int(row[0]) else None


def ensure_history(events: int, seed: int, *, url: str | None = None,
                   quiet: bool = False) -> Settings:
    """Settings of a schema holding the history generated for (events, seed)."""
    url = url or database_url()
    schema = schema_name(events, seed)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"hlm-bench-history:{schema}",))
        total = _recorded(conn, schema)
        if total is None:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))
            env = {**os.environ, "HLM_DATABASE_URL": url, "HLM_DATABASE_SCHEMA": schema}
            if not quiet:
                print(f"generating {events} events (seed {seed}) into schema {schema}",
                      flush=True)
            subprocess.run([sys.executable, "-m", "infra.cli.main", "generate", "--events",
                            str(events), "--seed", str(seed), "--schema", schema],
                           cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL if quiet else None)
            count = conn.execute(SQL("SELECT count(*) FROM {}.{}").format(
                Identifier(schema), Identifier(EVENTS_TABLE))).fetchone()
            total = int(count[0]) if count else 0
            conn.execute(SQL("CREATE TABLE {}.bench_history (events BIGINT, seed BIGINT, "
                             "total BIGINT)").format(Identifier(schema)))
            conn.execute(SQL("INSERT INTO {}.bench_history VALUES (%s, %s, %s)").format(
                Identifier(schema)), (events, seed, total))
        elif not quiet:
            print(f"reusing schema {schema}: {total} events", flush=True)
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))",
                     (f"hlm-bench-history:{schema}",))
    return Settings(database_url=url, database_schema=schema, projector="external")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = ensure_history(args.events, args.seed)
    print(f"HLM_DATABASE_URL={masquer_url(settings.database_url)} "
          f"HLM_DATABASE_SCHEMA={settings.database_schema}")


if __name__ == "__main__":
    main()
