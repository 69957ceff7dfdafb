"""The timelines of the bitemporal views as written (projections/bitemporal.py `Timelines`,
projections/vacances.py `timeline`): what the rows hold against the definition of the
state on a date, and how many rows a run of events leaves."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.application import HlmApplication
from domain.commandes import ChangementSituation
from domain.serialisation import to_json
from domain.vacance import Vacance
from infra.settings import Settings
from infra.synthetic.generate import generate
from projections.bitemporal import BELIEVED
from projections.presentation import vue_vacance
from projections.service import Projections, view_db
from projections.vacances import dates_effet, timeline, vacance_au
from tests.helpers_sec import ADMIN, declarer, deposer, seed_reference


def _vacancy_logs(app: HlmApplication, upto: int | None = None) -> dict[Any, list[Any]]:
    """Each vacancy's events recorded up to position `upto` (all by default)."""
    logs: dict[Any, list[Any]] = defaultdict(list)
    for notification in app.recorder.select_notifications(1, 1_000_000):
        if upto is not None and notification.id > upto:
            break
        event = app.mapper.to_domain_event(notification)
        if isinstance(event, Vacance.Event):
            logs[event.originator_id].append(event)
    return logs


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # pure functions: one store
def test_each_period_of_a_vacancy_holds_the_replay_of_the_acts_showing_then(
        application: HlmApplication) -> None:
    """Whether a vacancy's acts show in recorded order (one pass over the log) or not (a
    late entry: each date replays its own acts), every period's state is the vacancy
    rebuilt from the acts showing on its first day, and two neighbours differ."""
    generate(application, 3000, seed=7)
    # and one vacancy whose second designation is dated before the first
    seed_reference(application)
    d1, d2 = deposer(application, "TL-V1"), deposer(application, "TL-V2")
    vid = declarer(application, "L-NR", date(2024, 3, 1))
    application.designer(ADMIN, vid, d1, date(2024, 3, 15))
    application.designer(ADMIN, vid, d2, date(2024, 3, 8))
    logs = _vacancy_logs(application)
    late = 0
    for events in logs.values():
        effets = dates_effet(events)
        late += effets != sorted(effets)
        periods = timeline(events)
        assert periods[0][0] == effets[0]
        for (start, end, etat), after in zip(periods, [*periods[1:], None], strict=True):
            assert etat == to_json(vue_vacance(vacance_au(events, effets, start), start))
            assert end == (after[0] if after else None)
            assert after is None or after[2] != etat
    assert late, "the history has no vacancy with a late entry: one branch untested"
    assert len(logs) > 50


def _rows(settings: Settings, table: str, key_column: str, key: str) -> list[tuple[Any, ...]]:
    db = view_db(settings)
    try:
        with db.transaction() as cur:
            cur.execute(f"SELECT valid_from, valid_to, recorded_from, superseded_at FROM "
                        f"{table} WHERE {key_column} = ? ORDER BY recorded_from, valid_from",
                        (key,))
            return cur.fetchall()
    finally:
        db.close()


def test_changes_in_date_order_add_two_rows_each_and_keep_the_earlier_periods(
        application: HlmApplication, settings: Settings) -> None:
    """Each change dated after the last closes the current period and opens the next: the
    earlier periods stay believed (one row each), not copied again at every event."""
    did = deposer(application, "TL-1")
    jours = [date(2023, m, 1) for m in (3, 5, 7, 9, 11)]
    for i, jour in enumerate(jours):
        application.modifier_situation(ADMIN, did, jour,
                                       ChangementSituation(ressources_annuelles=Decimal(20000 + i)))
    vues = Projections(application, settings)
    try:
        vues.runner.batch_size = 2  # the changes fall in different transactions
        vues.runner.catch_up()
        rows = _rows(settings, "pv_demandes", "demande_id", did)
        assert len(rows) == 1 + 2 * len(jours)
        believed = [r for r in rows if r[3] is None]
        starts = [date(2023, 1, 10), *jours]
        assert [r[0] for r in believed] == [d.isoformat() for d in starts]
        assert [r[1] for r in believed] == [d.isoformat() for d in starts[1:]] + [None]
        # the first period was written once and superseded once (its end moved)
        first = [r for r in rows if r[0] == starts[0].isoformat()]
        assert len(first) == 2 and first[1][3] is None
        # each as-of read at each position still gives that position's belief
        for i, jour in enumerate(jours):
            known = vues.demande(did, jour, None)
            assert known is not None
            assert known["ressources_annuelles"] == 20000 + i
    finally:
        vues.stop()


def test_a_late_change_rewrites_only_the_periods_it_changes(
        application: HlmApplication, settings: Settings) -> None:
    did = deposer(application, "TL-2")
    for jour, montant in ((date(2023, 3, 1), 21000), (date(2023, 9, 1), 22000)):
        application.modifier_situation(ADMIN, did, jour,
                                       ChangementSituation(ressources_annuelles=Decimal(montant)))
    vues = Projections(application, settings)
    try:
        vues.runner.catch_up()
        before = _rows(settings, "pv_demandes", "demande_id", did)
        # recorded last, dated between the two: splits [03-01, 09-01) in two
        application.modifier_situation(ADMIN, did, date(2023, 6, 1),
                                       ChangementSituation(ressources_annuelles=Decimal(25000)))
        vues.runner.catch_up()
        after = _rows(settings, "pv_demandes", "demande_id", did)
        new = after[len(before):]
        assert [(r[0], r[1]) for r in new] == [("2023-03-01", "2023-06-01"),
                                               ("2023-06-01", "2023-09-01")]
        superseded = [r for r in after if r[3] is not None and r not in before]
        assert [(r[0], r[1]) for r in superseded] == [("2023-03-01", "2023-09-01")]
        # the last period (from 09-01) kept its row: its state did not change
        assert [r for r in after if r[0] == "2023-09-01"] == \
            [r for r in before if r[0] == "2023-09-01"]
    finally:
        vues.stop()


def test_the_vacancy_view_believes_at_each_position_the_timeline_of_the_events_recorded_then(
        application: HlmApplication, settings: Settings) -> None:
    """The view builds each timeline event by event (reusing the states before a new act's
    date); at any position, the rows it believed are the timeline computed from scratch
    from the events recorded by then."""
    generate(application, 3000, seed=11)
    vues = Projections(application, settings)
    head = application.recorder.max_notification_id() or 0
    try:
        vues.runner.batch_size = 250
        vues.runner.catch_up()
        db = view_db(settings)
        try:
            for upto in (head // 5, head // 2, head - 7, head):
                expected = {str(k): [(a.isoformat(), b.isoformat() if b else None, etat)
                                     for a, b, etat in timeline(events)]
                            for k, events in _vacancy_logs(application, upto).items()}
                with db.transaction() as cur:
                    cur.execute("SELECT vacance_id, valid_from, valid_to, etat FROM "
                                f"pv_vacances WHERE {BELIEVED} ORDER BY vacance_id, valid_from",
                                (upto, upto))
                    believed: dict[str, list[Any]] = defaultdict(list)
                    for vid, *row in cur.fetchall():
                        believed[vid].append(tuple(row))
                assert believed == expected, upto
        finally:
            db.close()
    finally:
        vues.stop()
