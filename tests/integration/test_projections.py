"""The projection runner and the bitemporal demande read model, on both stores."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.application import HlmApplication
from domain.commandes import ChangementSituation, DepotDemande
from domain.vacance import Acteur
from infra.settings import Settings
from projections.db import Cursor
from projections.runner import Runner
from projections.service import Projections, view_db

ADMIN = Acteur("admin")


def _deposer(app: HlmApplication, numero: str, depot: date = date(2020, 1, 15)) -> str:
    return app.deposer_demande(ADMIN, DepotDemande.depuis({
        "numero_unique": numero, "date_depot": depot, "demandeur_id": f"{numero}-A",
        "personnes_a_loger": [], "ressources_annuelles": Decimal("15000"),
        "unites_consommation": Decimal("1.5"), "dalo": False, "categories_prioritaires": [],
        "relogement_renouvellement_urbain": False})).id


def test_views_catch_up_from_the_store_in_batches(application, settings):
    ids = [_deposer(application, f"N-{i}") for i in range(25)]
    vues = Projections(application, settings)
    try:
        vues.runner.batch_size = 7
        applied = vues.runner.catch_up()
        assert applied == application.compter_evenements() == 25
        assert vues.runner.lag() == {"demandes": 0, "quotas": 0, "vacances": 0}
        vue = vues.demande(ids[3], date(2024, 1, 1), None)
        assert vue is not None and vue["numero_unique"] == "N-3"
        assert vue["anciennete_jours"] == (date(2024, 1, 1) - date(2020, 1, 15)).days
    finally:
        vues.stop()


def test_a_late_change_of_resources_shows_only_for_known_at_after_it_was_recorded(
        application, settings):
    """Bitemporal read: as_of chooses the business date, known_at what had been recorded."""
    did = _deposer(application, "N-LATE")
    vues = Projections(application, settings)
    try:
        vues.runner.catch_up()
        time.sleep(0.01)
        before_correction = datetime.now(UTC)
        time.sleep(0.01)
        application.modifier_situation(ADMIN, did, date(2021, 6, 1),
                                       ChangementSituation(ressources_annuelles=Decimal("9000")))
        vues.runner.catch_up()
        as_known_then = vues.demande(did, date(2022, 1, 1), before_correction)
        as_known_now = vues.demande(did, date(2022, 1, 1), None)
        earlier_business_date = vues.demande(did, date(2021, 1, 1), None)
        assert as_known_then["ressources_annuelles"] == 15000.0
        assert as_known_now["ressources_annuelles"] == 9000.0
        assert earlier_business_date["ressources_annuelles"] == 15000.0
        assert vues.demande(did, date(2019, 1, 1), None) is None  # not filed yet
        assert vues.demande(did, date(2022, 1, 1), datetime(2000, 1, 1, tzinfo=UTC)) is None
    finally:
        vues.stop()


class _Exploding:
    name = "explose"
    forme = 1

    def create(self, cur: Cursor) -> None:
        cur.execute("CREATE TABLE IF NOT EXISTS pv_explose (position BIGINT)")

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        if position == 3:
            raise ValueError("cannot handle this one")
        cur.execute("INSERT INTO pv_explose VALUES (?)", (position,))


def test_a_failing_view_stops_at_the_failing_position_and_the_others_go_on(application,
                                                                            settings):
    from projections.demandes import DemandesView

    for i in range(5):
        _deposer(application, f"N-F{i}")
    db = view_db(settings)
    try:
        runner = Runner(application, db, [DemandesView(application), _Exploding()])
        runner.setup()
        runner.catch_up()
        statuses = runner.statuses()
        assert statuses["demandes"].position == 5 and statuses["demandes"].erreur is None
        assert statuses["explose"].position == 2
        assert "position 3" in statuses["explose"].erreur
        assert "Deposee" in statuses["explose"].erreur
        with db.transaction() as cur:
            cur.execute("SELECT position FROM pv_explose ORDER BY position")
            assert [r[0] for r in cur.fetchall()] == [1, 2]
        assert runner.step() == 0  # a stopped view is not retried silently
    finally:
        db.close()


def test_only_one_projector_works_on_a_store(settings: Settings):
    first, second = settings.lock(), settings.lock()
    assert first.acquire()
    try:
        assert not second.acquire()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_health_endpoint_reports_positions_and_lag(client, auth):
    r = client.put("/v1/bailleurs/B-S", json={"nom": "x"}, headers=auth("admin"))
    assert r.status_code == 200
    body = client.get("/v1/sante").json()
    assert body["statut"] == "ok"
    assert body["position_magasin"] >= 1
    assert [v["nom"] for v in body["vues"]] == ["demandes", "quotas", "vacances"]
