"""Rebuild of every view from a generated history on PostgreSQL, against reading the events.

    .venv/bin/python bench/rebuild.py [--events 1000000] [--seed 1] [--batch-size 1000]

What it does, in one run, on the server of HLM_BENCH_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/postgres):

1. `bench.history.ensure_history(events, seed)`: the history generated once into the schema
   `bench_<events>_s<seed>` (about 2.5 minutes per million events), reused afterwards;
2. baseline: the raw sequential read of the whole events table with psycopg (a server-side
   cursor, every column of every row, in position order): rows/s;
3. `hlm projections rebuild --batch-size B` as a child process on that schema: every view
   built into the shadow schema from the first event, then swapped in. Events/s is the
   number of events over the child's wall time (its start-up included); its peak memory is
   the child's maximum resident set size (`os.wait4` rusage `ru_maxrss`), with its CPU
   time (user + system; steadier than wall time on a shared machine);
4. checks that every view's position is the head afterwards.

Human-readable figures first; the LAST line of stdout is one JSON object:
{"bench": "rebuild", "value": events/s, "baseline": raw rows/s, "ratio": value/baseline,
 "target": 0.5, "events", "seconds", "cpu_seconds", "peak_rss_mb", "rss_target_mb": 1024,
 "batch_size"}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg.sql import SQL, Identifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history import EVENTS_TABLE, ensure_history  # noqa: E402

TARGET_RATIO = 0.5
RSS_TARGET_MB = 1024


def raw_read(url: str, schema: str) -> tuple[int, float]:
    """(rows, seconds) of reading every event in order, as plainly as psycopg can."""
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        with conn.cursor(name="bench_raw_read") as cur:
            cur.itersize = 10_000
            cur.execute(SQL("SELECT * FROM {}.{} ORDER BY notification_id").format(
                Identifier(schema), Identifier(EVENTS_TABLE)))
            rows = sum(1 for _ in cur)
        return rows, time.perf_counter() - began


def run_rebuild(url: str, schema: str, batch_size: int) -> tuple[float, float, float, str]:
    """(seconds, CPU seconds, peak RSS in MB, output) of `hlm projections rebuild` in a
    child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HLM_")}
    env.update(HLM_DATABASE_URL=url, HLM_DATABASE_SCHEMA=schema, HLM_POOL_SIZE="4",
               COLUMNS="100")
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "infra.cli.main", "projections", "rebuild",
                             "--batch-size", str(batch_size)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"rebuild failed ({proc.returncode}):\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, output  # ru_maxrss is in KiB on Linux


def positions(url: str, schema: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(SQL("SELECT nom, position FROM {}.hlm_vues").format(
            Identifier(schema))).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    settings = ensure_history(args.events, args.seed)
    url, schema = settings.database_url, settings.database_schema
    assert url is not None
    with psycopg.connect(url) as conn:
        head = conn.execute(SQL("SELECT max(notification_id), count(*) FROM {}.{}").format(
            Identifier(schema), Identifier(EVENTS_TABLE))).fetchone()
    assert head is not None
    last, events = int(head[0]), int(head[1])

    rows, raw_seconds = raw_read(url, schema)
    assert rows == events
    baseline = rows / raw_seconds
    print(f"raw sequential read: {rows} events in {raw_seconds:.2f} s = {baseline:,.0f} rows/s",
          flush=True)

    print(f"rebuilding every view from {events} events (batch size {args.batch_size})...",
          flush=True)
    seconds, cpu, rss_mb, _ = run_rebuild(url, schema, args.batch_size)
    reached = positions(url, schema)
    assert all(p == last for p in reached.values()), reached
    value = events / seconds
    print(f"rebuild: {events} events in {seconds:.1f} s = {value:,.0f} events/s "
          f"({cpu:.1f} s of CPU in the rebuilding process), peak RSS {rss_mb:,.0f} MB; "
          f"views at {reached}")
    print(json.dumps({"bench": "rebuild", "value": round(value, 1),
                      "baseline": round(baseline, 1), "ratio": round(value / baseline, 4),
                      "target": TARGET_RATIO, "events": events, "seconds": round(seconds, 1),
                      "cpu_seconds": round(cpu, 1),
                      "peak_rss_mb": round(rss_mb, 1), "rss_target_mb": RSS_TARGET_MB,
                      "batch_size": args.batch_size}))


if __name__ == "__main__":
    main()
