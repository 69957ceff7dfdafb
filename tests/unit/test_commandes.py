"""The application's typed commands (domain/commandes.py) record what the request bodies
recorded before they were typed: `champs()` gives the events' fields in the same order with
the same defaults, so the stored JSON does not change. And the aggregates carry no
presentation: the read side shapes them (projections/presentation.py)."""

from __future__ import annotations

import inspect
from datetime import date
from decimal import Decimal

import pytest

import domain.demande
import domain.referentiel
import domain.vacance
from api.schemas import DecisionsIn, DemandeIn, LogementIn, SeparationIn, SituationIn
from domain.application import HlmApplication
from domain.commandes import (
    ChangementSituation,
    DecisionCommission,
    DepotDemande,
    EtatLogement,
    ModeSeparation,
    Separation,
    Situation,
)
from domain.demande import SITUATION_FIELDS
from domain.referentiel import LOGEMENT_FIELDS
from domain.vacance import Acteur
from projections.presentation import vue_demande

CORPS = {"numero_unique": "N1", "date_depot": "2023-01-10", "demandeur_id": "P-A",
         "personnes_a_loger": [{"personne_id": "P-B", "lien": "conjoint"}],
         "ressources_annuelles": "18000.50", "unites_consommation": "1.5",
         "categories_prioritaires": ["HANDICAP"]}


def test_a_filing_records_the_body_s_situation_field_for_field() -> None:
    body = DemandeIn(**CORPS).model_dump()
    depot = DepotDemande.depuis(body)
    # What the untyped command recorded: every situation field of the body, in this order.
    assert depot.situation.champs() == {k: body[k] for k in SITUATION_FIELDS}
    assert list(depot.situation.champs()) == list(SITUATION_FIELDS)
    assert (depot.numero_unique, depot.date_depot) == ("N1", date(2023, 1, 10))


def test_a_change_sets_only_the_fields_given() -> None:
    body = SituationIn(date="2023-05-01", ressources_annuelles="9000",
                       personnes_a_loger=[]).model_dump(exclude={"date"}, exclude_none=True)
    changement = ChangementSituation.depuis(body)
    assert changement.champs() == {"ressources_annuelles": Decimal("9000"),
                                   "personnes_a_loger": []}
    assert ChangementSituation().champs() == {}


def test_a_new_demande_after_a_separation_takes_the_defaults_of_an_empty_situation() -> None:
    body = SeparationIn(date_separation="2023-02-01", membre_id="P-B",
                        mode="nouvelle_demande", numero_unique="N2", date_depot="2023-03-01",
                        ressources_annuelles="14000", unites_consommation="1").model_dump()
    sep = Separation.depuis(body)
    assert sep.mode is ModeSeparation.NOUVELLE_DEMANDE
    assert sep.situation is not None and sep.situation.champs() == {
        "ressources_annuelles": Decimal("14000"), "unites_consommation": Decimal("1"),
        "dalo": False, "categories_prioritaires": [], "personnes_a_loger": [],
        "relogement_renouvellement_urbain": False}
    with pytest.raises(ValueError):
        Separation.depuis({**body, "mode": "autre"})


def test_a_logement_version_and_a_decision_keep_their_recorded_shape() -> None:
    body = LogementIn(bailleur_id="B1", territoire_id="T1", commune="C1", qpv=True,
                      zone_tendue=False, reservataire_id=None,
                      date_effet="2020-01-01").model_dump()
    assert EtatLogement.depuis(body).champs() == {
        "date_effet": date(2020, 1, 1), **{k: body[k] for k in LOGEMENT_FIELDS}}
    decisions = DecisionsIn(date_commission="2024-03-10", decisions=[
        {"demande_id": "D1", "decision": "attribution", "rang": 1,
         "votes": {"pour": 4, "contre": 4, "voix_maire": "pour"}}]).model_dump()["decisions"]
    assert DecisionCommission.depuis(decisions[0]).champs() == decisions[0]


def test_the_application_records_a_typed_filing() -> None:
    app = HlmApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                         today=lambda: date(2024, 1, 1))
    issue = app.deposer_demande(Acteur("admin"), DepotDemande(
        "N3", date(2023, 1, 10), "P-A", Situation(Decimal("12000"), Decimal("1"))))
    demande = app.demande_par_id(issue.id)  # type: ignore[union-attr]
    assert demande.situations[0]["categories_prioritaires"] == []
    assert vue_demande(demande, date(2024, 1, 1))["anciennete_jours"] == 356


@pytest.mark.parametrize("module", [domain.demande, domain.referentiel, domain.vacance])
def test_aggregates_carry_no_presentation(module: object) -> None:
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ == module.__name__:  # type: ignore[attr-defined]
            assert not hasattr(cls, "vue"), cls
