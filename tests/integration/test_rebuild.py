"""`hlm projections rebuild`: fresh tables built side by side, swapped in at once, on both
stores; while a live projector (a real `hlm project` process) works and commands arrive."""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.application import HlmApplication
from domain.vacance import Acteur
from infra.cli.main import app as cli
from infra.synthetic.generate import generate
from projections.db import ViewDB
from projections.demandes import DemandesView
from projections.quotas import QuotasView
from projections.rebuild import (
    RebuildBusy,
    differences,
    rebuild,
    select_views,
)
from projections.runner import Runner
from projections.service import Projections, all_views, view_db
from tests.helpers_sec import deposer
from tests.processes import HLM, hlm_env

ADMIN = Acteur("admin")
EVENTS = 1500


def positions(db: ViewDB) -> dict[str, tuple[int, str | None]]:
    with db.transaction() as cur:
        cur.execute("SELECT nom, position, erreur FROM hlm_vues")
        return {r[0]: (int(r[1]), r[2]) for r in cur.fetchall()}


def test_tables_come_from_the_ddl(application):
    assert DemandesView(application).tables == ("pv_demandes",)
    assert QuotasView(application).tables == ("pv_baux",)
    assert [v.name for v in select_views(application, ["quotas"])] == ["quotas"]
    with pytest.raises(ValueError, match="unknown view"):
        select_views(application, ["nope"])


def test_rebuild_repairs_damaged_views_and_only_the_views_asked(application, settings):
    generate(application, EVENTS, 11)
    head = application.recorder.max_notification_id()
    live = view_db(settings)
    try:
        runner = Runner(application, live, list(all_views(application)), batch_size=400)
        runner.setup()
        runner.catch_up()
        # Folded incrementally in batches, the live views equal a fresh build row by row.
        assert differences(application, settings) == []
        with live.transaction() as cur:
            # (n - n / k * k: the remainder, written the same on both databases)
            cur.execute("DELETE FROM pv_baux WHERE recorded_from - recorded_from / 2 * 2 = 0")
            cur.execute("UPDATE pv_demandes SET etat = '{}' "
                        "WHERE recorded_from - recorded_from / 3 * 3 = 0")
        damaged = differences(application, settings)
        assert [d.split(":")[0] for d in damaged] == ["pv_demandes", "pv_baux"]

        result = rebuild(application, settings, ["quotas"], batch_size=300)
        assert result.positions == {"quotas": head}
        assert [d.split(":")[0] for d in differences(application, settings)] == ["pv_demandes"]

        result = rebuild(application, settings, batch_size=300)
        assert result.positions == {"demandes": head, "vacances": head, "quotas": head}
        assert result.events == head
        assert differences(application, settings) == []
        assert positions(live) == {"demandes": (head, None), "quotas": (head, None),
                                   "vacances": (head, None)}
        # The live runner that was not told finds its rows moved and goes on from there.
        did = deposer(application, "APRES-REBUILD")
        assert runner.catch_up() == 1
        assert positions(live)["demandes"] == (head + 1, None)
        with live.transaction() as cur:
            cur.execute("SELECT COUNT(*) FROM pv_demandes WHERE demande_id = ?", (did,))
            assert cur.fetchone()[0] == 1
    finally:
        live.close()
    # Nothing of the shadow is left behind.
    if settings.uses_postgres:
        import psycopg

        with psycopg.connect(settings.database_url) as conn:
            rows = conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name "
                                "= %s", (f"{settings.database_schema}_rebuild",)).fetchall()
        assert rows == []
    else:
        assert not (settings.data_dir / "hlm.rebuild.sqlite3").exists()


def test_the_cli_rebuilds_and_refuses_a_second_rebuild(application, settings):
    for i in range(30):
        deposer(application, f"CLI-{i}")
    runner = CliRunner()
    env = hlm_env(settings)
    out = runner.invoke(cli, ["projections", "rebuild", "--batch-size", "7"], env=env)
    assert out.exit_code == 0, out.output
    assert "swapped in" in out.output and "30 events" in out.output

    out = runner.invoke(cli, ["projections", "rebuild", "--view", "nope"], env=env)
    assert out.exit_code == 2 and "unknown view(s) nope" in out.output

    held = settings.lock("rebuild")
    assert held.acquire()
    try:
        out = runner.invoke(cli, ["projections", "rebuild", "--view", "demandes"], env=env)
        assert out.exit_code == 3, out.output
        assert "a rebuild is running on this store" in out.output
        with pytest.raises(RebuildBusy):
            rebuild(application, settings)
    finally:
        held.release()


def _wait_caught_up(db: ViewDB, app: HlmApplication, proc: subprocess.Popen[Any],
                    timeout: float = 120.0) -> int:
    head = app.recorder.max_notification_id() or 0
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"the live projector exited ({proc.returncode})"
        seen = positions(db)
        assert all(e is None for _, e in seen.values()), seen
        if all(p >= head for p, _ in seen.values()):
            return head
        assert time.monotonic() < deadline, f"live projector stuck at {seen}, head {head}"
        time.sleep(0.05)


def test_rebuild_while_a_live_projector_works_and_commands_arrive(application, settings,
                                                                  tmp_path):
    generate(application, EVENTS, 12)
    vues = Projections(application, settings)  # setup; reads go through it, no runner here
    log = (tmp_path / "project.log").open("wb")
    proc = subprocess.Popen([HLM, "project", "--batch-size", "40"], env=hlm_env(settings),
                            stdout=log, stderr=subprocess.STDOUT)
    stop = threading.Event()
    filed: list[str] = []
    failures: list[BaseException] = []

    def commands() -> None:
        try:
            i = 0
            while not stop.is_set():
                filed.append(deposer(application, f"LIVE-{i}"))
                i += 1
                time.sleep(0.02)
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    writer = threading.Thread(target=commands)
    first = deposer(application, "LIVE-FIRST")
    _wait_caught_up(vues.db, application, proc)  # the first id is in the old tables
    writer.start()
    reads: list[dict[str, Any] | None] = []

    def progress(reached: int, head: int) -> None:
        # During the build, reads keep answering from the live (old) tables. (Only the
        # first calls: the last ones come under the swap's lock, which on SQLite holds the
        # reads of other threads for a moment, and this one would wait for itself.)
        if len(reads) < 5:
            reads.append(vues.demande(first, date(2024, 1, 1), None))

    try:
        result = rebuild(application, settings, batch_size=60, progress=progress)
        swapped_with = len(filed)
        time.sleep(0.3)  # commands after the swap: the live projector applies them
        stop.set()
        writer.join()
        assert not failures, failures
        assert len(filed) > swapped_with > 0
        assert len(reads) == 5
        assert all(r is not None and r["numero_unique"] == "LIVE-FIRST" for r in reads)
        assert min(result.positions.values()) >= EVENTS
        head = _wait_caught_up(vues.db, application, proc)
        assert differences(application, settings) == []
        assert positions(vues.db) == {n: (head, None) for n in ("demandes", "quotas",
                                                                  "vacances")}
        last = vues.demande(filed[-1], date(2024, 1, 1), None)
        assert last is not None and last["numero_unique"] == f"LIVE-{len(filed) - 1}"
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        vues.stop()
    assert proc.returncode == 0, (tmp_path / "project.log").read_text()
