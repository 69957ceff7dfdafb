"""The tracked loop (`projections.tracked`) as the projector runs it: on PostgreSQL it sleeps
on the store's NOTIFY, not on its poll interval."""

from __future__ import annotations

import threading
import time

import pytest

from domain.application import HlmApplication
from infra.settings import Settings
from projections.service import Projections
from tests.helpers_sec import deposer

LONG_POLL = 30.0  # seconds: a wake-up by polling would come far too late for the bound
BOUND = 5.0  # a functional bound, not a benchmark


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_on_postgresql_a_commit_wakes_the_idle_projector(
        application: HlmApplication, settings: Settings) -> None:
    deposer(application, "TRACK-0")
    vues = Projections(application, settings)
    stop = threading.Event()
    worker = threading.Thread(target=vues.run, args=(stop,), kwargs={"poll": LONG_POLL})
    try:
        assert vues.runner.catch_up() == 1
        worker.start()
        time.sleep(0.5)  # caught up, asleep on the store's notifications
        deposer(application, "TRACK-1")
        head = application.recorder.max_notification_id() or 0
        assert head == 2
        began = time.monotonic()
        while min(s.position for s in vues.runner.statuses().values()) < head:
            assert time.monotonic() - began < BOUND, vues.runner.statuses()
            time.sleep(0.05)
        assert vues.runner.lag() == {"demandes": 0, "quotas": 0, "vacances": 0}
    finally:
        stop.set()
        worker.join(timeout=10)  # the wait is sliced: a stop is seen within half a second
        vues.stop()
    assert not worker.is_alive()
