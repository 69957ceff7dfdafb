"""The domain's typed values (StrEnum: StatutDemande, StatutDesignation, StatutVacance,
Decision, Designataire) are written by the application's transcoder as the plain text they
stand for: the stored events' JSON is byte for byte what the string literals gave, and an
aggregate read back holds that text, equal to the member."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from domain.application import HlmApplication
from domain.demande import StatutDemande
from domain.rules.cycle import Decision, Designataire
from domain.vacance import Acteur, StatutDesignation, StatutVacance, Vacance

# A reserved QPV logement: the réservataire designates; once its candidate fails, the maire.
LOGEMENT = {"bailleur_id": "B1", "territoire_id": "T1", "commune": "C1", "qpv": True,
            "zone_tendue": False, "reservataire_id": "R1"}


def _application() -> HlmApplication:
    return HlmApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_members_are_encoded_as_their_text() -> None:
    transcoder = _application().mapper.transcoder
    membres: dict[str, Any] = {"designataire": Designataire.MAIRE,
                               "decision": [Decision.ATTRIBUTION_SOUS_CONDITION],
                               "statut": StatutDesignation.BAIL_SIGNE,
                               StatutDemande.ACTIVE: StatutVacance.CANDIDATS_DESIGNES}
    texte = {"designataire": "maire", "decision": ["attribution_sous_condition"],
             "statut": "bail_signe", "active": "candidats_designes"}
    assert transcoder.encode(membres) == transcoder.encode(texte)
    assert json.loads(transcoder.encode(membres)) == texte


def test_stored_events_hold_plain_text() -> None:
    app = _application()
    vacance = Vacance.declarer("L1", date(2024, 3, 1), dict(LOGEMENT))
    vacance.designer(Acteur("reservataire", "R1"), "D1", date(2024, 3, 2), None, None)
    vacance.decider(date(2024, 3, 10), [{"demande_id": "D1",
                                         "decision": Decision.NON_ATTRIBUTION, "rang": None,
                                         "motif": None, "votes": None}])
    stored = [app.mapper.to_stored_event(e) for e in vacance.collect_events()]
    states = [json.loads(s.state) for s in stored]
    assert [s.topic.split(".")[-1] for s in stored] == [
        "Declaree", "CandidatDesigne", "DecisionsCommissionEnregistrees",
        "AttributionReservataireEchouee"]
    assert b'"designataire":"reservataire"' in stored[0].state
    assert states[1]["par"] == "reservataire"
    assert states[2]["decisions"][0]["decision"] == "non_attribution"
    assert b'"designataire":"maire"' in stored[3].state

    relue: Vacance | None = None
    for s in stored:
        relue = app.mapper.to_domain_event(s).mutate(relue)
    assert relue is not None
    assert [t.designataire for t in relue.tours] == [Designataire.RESERVATAIRE,
                                                     Designataire.MAIRE]
    # The turns hold members, read back from the events' plain text.
    assert all(type(t.designataire) is Designataire for t in relue.tours)
    assert relue.designataire_au(date(2024, 3, 11)) is Designataire.MAIRE
    assert relue.designations["D1"]["statut"] == StatutDesignation.NON_ATTRIBUEE
    assert relue.statut() is StatutVacance.EN_ATTENTE_DESIGNATION
