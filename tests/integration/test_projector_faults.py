"""The projector under faults, on both stores: killed with SIGKILL at random points of a
catch-up and restarted; two projectors on the same views; two runners stepping at once.

Every test ends comparing the views row by row with a fresh build of the same history
(`projections.rebuild.differences`): rows carry the positions that recorded and superseded
them, so an event applied twice (a superseded copy) or skipped (a missing row) shows."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from domain.application import HlmApplication
from infra.settings import Settings
from infra.synthetic.generate import generate
from projections.rebuild import differences
from projections.runner import Runner
from projections.service import Projections, all_views, view_db
from tests.helpers_sec import deposer
from tests.processes import HLM, hlm_env, stop

pytestmark = [pytest.mark.slow, pytest.mark.fault]

VIEWS = ("demandes", "quotas", "vacances")
KILLS = 10


def peek(settings: Settings) -> dict[str, tuple[int, str | None]]:
    """The views' positions, read without taking any lock the projector needs."""
    if settings.uses_postgres:
        assert settings.database_url is not None
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            rows = conn.execute(f'SELECT nom, position, erreur FROM "{settings.database_schema}"'
                                ".hlm_vues").fetchall()
    else:
        conn = sqlite3.connect(f"file:{settings.sqlite_path}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute("SELECT nom, position, erreur FROM hlm_vues").fetchall()
        finally:
            conn.close()
    return {r[0]: (int(r[1]), r[2]) for r in rows}


class Projector:
    """`hlm project` as a real process on the test's store."""

    def __init__(self, settings: Settings, log: Path, batch_size: int) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen([HLM, "project", "--batch-size", str(batch_size)],
                                         env=hlm_env(settings), stdout=out,
                                         stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        return stop(self.proc)


def _history(application: HlmApplication, settings: Settings, events: int, seed: int) -> int:
    generate(application, events, seed)
    Projections(application, settings).stop()  # the views' tables and rows, at position 0
    return application.recorder.max_notification_id() or 0


def _assert_fresh(application: HlmApplication, settings: Settings, head: int) -> None:
    assert peek(settings) == {n: (head, None) for n in VIEWS}
    assert differences(application, settings) == []


def test_projector_killed_at_random_points_resumes_without_loss_or_double(
        application, settings, tmp_path):
    head = _history(application, settings, 3000, seed=21)
    rng = random.Random(20240611)
    targets = sorted(rng.sample(range(head // 20, head * 9 // 10), KILLS))
    log = tmp_path / "project.log"
    kills, last = 0, 0
    for target in targets:
        projector = Projector(settings, log, batch_size=25)
        deadline = time.monotonic() + 60
        while True:  # let it work until the views pass the target, then kill it
            code = projector.proc.poll()
            if code == 3:  # the killed one's database session is still closing
                time.sleep(0.1)
                projector = Projector(settings, log, batch_size=25)
                continue
            assert code is None, f"projector exited with {code}:\n{projector.output()}"
            seen = peek(settings)
            reached = min(p for p, _ in seen.values())
            assert all(e is None for _, e in seen.values()), seen
            if reached >= target:
                break
            assert time.monotonic() < deadline, f"no progress past {reached}"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.04))  # lands anywhere in a batch's transaction
        projector.proc.send_signal(signal.SIGKILL)
        assert projector.proc.wait(timeout=10) == -signal.SIGKILL
        kills += 1
        reached = min(p for p, _ in peek(settings).values())
        assert reached >= last  # a position never goes back
        last = reached
    assert kills == KILLS and last < head  # every kill fell during the catch-up

    projector = Projector(settings, log, batch_size=25)
    try:
        deadline = time.monotonic() + 120
        while min(p for p, _ in peek(settings).values()) < head:
            assert projector.proc.poll() in (None, 3), projector.output()
            if projector.proc.poll() == 3:
                projector = Projector(settings, log, batch_size=25)
            assert time.monotonic() < deadline, "the last projector did not catch up"
            time.sleep(0.05)
    finally:
        assert projector.stop() == 0, projector.output()
    _assert_fresh(application, settings, head)


def test_a_second_projector_exits_with_code_3_and_the_thread_one_waits(
        application, settings, tmp_path):
    head = _history(application, settings, 1000, seed=22)
    first = Projector(settings, tmp_path / "first.log", batch_size=50)
    vues: Projections | None = None
    try:
        deadline = time.monotonic() + 60
        while "projector running" not in first.output():
            assert first.proc.poll() is None, first.output()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = subprocess.run([HLM, "project"], env=hlm_env(settings), capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 3, second.stdout + second.stderr
        assert "another projector already works on these views" in second.stdout

        vues = Projections(application, settings)
        vues.start_in_thread()
        time.sleep(0.5)
        assert vues._thread is not None and vues._thread.is_alive()
        assert not vues.lock.held  # waiting
        assert first.stop() == 0, first.output()
        # The first one gone, the thread takes the lock (it retries every 2 s) and works.
        deadline = time.monotonic() + 30
        while not vues.lock.held:
            assert time.monotonic() < deadline, "the thread projector never took over"
            time.sleep(0.05)
        deposer(application, "APRES-RELEVE")
        head += 1
        assert vues.fresh(timeout=60)
    finally:
        first.stop()
        if vues is not None:
            vues.stop()
    _assert_fresh(application, settings, head)


def test_two_runners_stepping_at_once_apply_each_event_once(application, settings):
    head = _history(application, settings, 2000, seed=23)
    errors: list[BaseException] = []
    dbs = [view_db(settings), view_db(settings)]
    runners = [Runner(application, db, list(all_views(application)), batch_size=size)
               for db, size in zip(dbs, (37, 53), strict=True)]
    start = threading.Barrier(2)

    def work(runner: Runner) -> None:
        try:
            start.wait()
            deadline = time.monotonic() + 120
            while min(s.position for s in runner.statuses().values()) < head:
                runner.step()
                assert time.monotonic() < deadline
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for db in dbs:
            db.close()
    assert errors == []
    _assert_fresh(application, settings, head)

