"""Latency of bitemporal reads (as_of, known_at) against the replay of the log.

    .venv/bin/python bench/asof.py [--events 1000000] [--seed 1] [--reads 600]

What it does, on the server of HLM_BENCH_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/postgres):

1. `bench.history.ensure_history(events, seed)`: a generated history 2012-2025 in its own
   schema, generated once and reused;
2. catches the views up (the projection runner, under the projector lock);
3. reads, at random (as_of, known_at) pairs (as_of any day 2012-2025, known_at any moment
   between the first and the last record time, or none), through the `Projections`
   readers the API calls: a bailleur's quotas on a territory, a réservataire's quotas, a
   demande; each read timed (p50/p99 per kind and over all);
4. baseline: `hlm replay` to the end of the log (the auditor's recomputation from scratch,
   in memory, without the read models), timed; its answers are compared with the read
   models' for a sample (`mismatches`, expected 0).

Human-readable figures first; the LAST line of stdout is one JSON object:
{"bench": "asof", "value": p99_ms, "baseline": replay_ms, "ratio": replay_ms / p99_ms,
 "target_p99_ms": 20, "p50_ms", "p99_bailleur_ms", "p99_reservataire_ms", "p99_demande_ms",
 "reads", "events", "replay_events", "catch_up_s", "mismatches"}.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history import ensure_history  # noqa: E402
from domain.serialisation import jsonable  # noqa: E402
from infra.persistence.store import open_application  # noqa: E402
from projections.presentation import vue_demande  # noqa: E402
from projections.replay import rapport_de, rejouer_journal  # noqa: E402
from projections.service import Projections  # noqa: E402

TARGET_P99_MS = 20.0
DEBUT, FIN = date(2012, 1, 1), date(2025, 12, 31)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _catch_up(vues: Projections) -> float:
    """Apply every event to the views, holding the projector lock (another benchmark may
    be projecting into the same schema: wait for it)."""
    start = time.perf_counter()
    while not vues.lock.acquire():
        print("  waiting for another projector on this schema…", flush=True)
        time.sleep(5)
    try:
        total = 0
        while n := vues.runner.step():
            total += n
            if total % 100_000 < vues.runner.batch_size:
                print(f"  views at +{total} events", flush=True)
    finally:
        vues.lock.release()
    return time.perf_counter() - start


def _analyze(settings: Any) -> None:
    """Planner statistics for the freshly written tables, as autovacuum would gather them
    on a live database (without them the join of an aggregate's positions to their record
    times is planned as a scan of hlm_enregistrements)."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (settings.database_schema,))]
        for table in tables:
            conn.execute(SQL("ANALYZE {}.{}").format(Identifier(settings.database_schema),
                                                      Identifier(table)))


def _ids(vues: Projections) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """What to read: bailleur/territory pairs and réservataires with leases, demandes."""
    with vues.db.transaction() as cur:
        cur.execute("SELECT DISTINCT bailleur_id, territoire_id FROM pv_baux")
        paires = sorted((r[0], r[1]) for r in cur.fetchall())
        cur.execute("SELECT DISTINCT reservataire_id FROM pv_baux "
                    "WHERE reservataire_id IS NOT NULL")
        reservataires = sorted(r[0] for r in cur.fetchall())
        cur.execute("SELECT DISTINCT demande_id FROM pv_demandes")
        demandes = sorted(r[0] for r in cur.fetchall())
    return paires, reservataires, demandes


def _record_times(vues: Projections) -> tuple[datetime, datetime]:
    with vues.db.transaction() as cur:
        cur.execute("SELECT MIN(enregistre_le), MAX(enregistre_le) FROM hlm_enregistrements")
        row = cur.fetchone()
    assert row is not None and row[0] is not None, "empty history"
    return row[0], row[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reads", type=int, default=600, help="reads of each kind")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    settings = ensure_history(args.events, args.seed)
    app = open_application(settings)
    vues = Projections(app, settings)
    try:
        catch_up_s = _catch_up(vues)
        print(f"views caught up in {catch_up_s:.1f} s", flush=True)
        _analyze(settings)
        paires, reservataires, demandes = _ids(vues)
        premier, dernier = _record_times(vues)
        span = (dernier - premier).total_seconds()

        def pair() -> tuple[date, datetime | None]:
            as_of = DEBUT + timedelta(days=rng.randrange((FIN - DEBUT).days + 1))
            known_at = (None if rng.random() < 0.2
                        else premier + timedelta(seconds=rng.random() * span))
            return as_of, known_at

        kinds: dict[str, Callable[[date, datetime | None], Any]] = {
            "bailleur": lambda a, k: vues.quotas_bailleur(*rng.choice(paires), a.year, a, k),
            "reservataire": lambda a, k: vues.quotas_reservataire(rng.choice(reservataires),
                                                                  a.year, a, k),
            "demande": lambda a, k: vues.demande(rng.choice(demandes), a, k),
        }
        for read in kinds.values():  # warm the connection pool and caches
            for _ in range(5):
                read(*pair())
        timings: dict[str, list[float]] = {k: [] for k in kinds}
        order = [k for k in kinds for _ in range(args.reads)]
        rng.shuffle(order)
        for kind in order:
            as_of, known_at = pair()
            start = time.perf_counter()
            kinds[kind](as_of, known_at)
            timings[kind].append((time.perf_counter() - start) * 1000)
        every = [t for ts in timings.values() for t in ts]
        p50, p99 = _percentile(every, 0.50), _percentile(every, 0.99)
        for kind, ts in timings.items():
            print(f"{kind:>13}: p50 {_percentile(ts, 0.5):6.2f} ms  p99 "
                  f"{_percentile(ts, 0.99):6.2f} ms  mean {statistics.fmean(ts):6.2f} ms")
        print(f"{'all':>13}: p50 {p50:6.2f} ms  p99 {p99:6.2f} ms over {len(every)} reads")

        # Baseline: the auditor's replay of the whole log, then a sample compared.
        as_of = date(2024, 6, 30)
        start = time.perf_counter()
        etat = rejouer_journal(app, app.recorder.max_notification_id() or 0)
        attendu = rapport_de(etat, as_of, None, app.v20_effective_from)
        replay_ms = (time.perf_counter() - start) * 1000
        print(f"replay of {etat.evenements} events to the end of the log: "
              f"{replay_ms / 1000:.1f} s", flush=True)
        mismatches = 0
        for body in rng.sample(attendu["bailleurs"], min(60, len(attendu["bailleurs"]))):
            mismatches += vues.quotas_bailleur(body["bailleur_id"], body["territoire_id"],
                                               as_of.year, as_of, None) != body
        for body in attendu["reservataires"]:
            mismatches += vues.quotas_reservataire(body["reservataire_id"], as_of.year,
                                                   as_of, None) != body
        for did in rng.sample(demandes, min(300, len(demandes))):
            demande = etat.aggregats[UUID(did)]
            attendu_d = (jsonable(vue_demande(demande, as_of)) if demande.date_depot <= as_of
                         else None)
            mismatches += vues.demande(did, as_of, None) != attendu_d
        print(f"read models vs replay on a sample: {mismatches} mismatches")
    finally:
        vues.stop()
        app.close()

    print(json.dumps({
        "bench": "asof", "value": round(p99, 3), "baseline": round(replay_ms, 1),
        "ratio": round(replay_ms / p99, 1) if p99 else None,
        "target_p99_ms": TARGET_P99_MS, "p50_ms": round(p50, 3),
        **{f"p99_{k}_ms": round(_percentile(ts, 0.99), 3) for k, ts in timings.items()},
        **{f"p50_{k}_ms": round(_percentile(ts, 0.5), 3) for k, ts in timings.items()},
        "reads": len(every), "events": args.events, "replay_events": etat.evenements,
        "catch_up_s": round(catch_up_s, 1), "mismatches": mismatches,
    }))


if __name__ == "__main__":
    main()
