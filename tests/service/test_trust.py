"""A record auditors can trust (issue 8): every act attributed, authorized per organisation
before any state is read, business dates never after today, late entries flagged, one open
vacancy per logement. Both stores, through the HTTP API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.idempotence import statut
from api.permissions import PERMISSIONS, Action, autoriser
from domain.acces import Cible
from domain.application import HlmApplication
from domain.errors import Interdit
from domain.vacance import Acteur
from infra.stream.public_events import ACTOR_ORG_TYPE_HEADER, ACTOR_ROLE_HEADER, page
from tests.helpers_sec import (
    ADMIN,
    B1,
    B2,
    C1,
    C2,
    R1,
    R2,
    World,
    assert_error,
    bearer,
    declarer,
    demande_json,
)


def _file_as_b1(client: TestClient, numero: str, **overrides: Any) -> str:
    r = client.post("/v1/demandes", json=demande_json(numero, **overrides),
                    headers={**bearer("bailleur", B1), "X-Request-ID": f"req-{numero}"})
    assert r.status_code == 201, r.text
    assert r.json()["organisation"] == B1
    return r.json()["demande_id"]


# --- the permission table, cell by cell (pure) ----------------------------------------------

ROLES = ("admin", "bailleur", "reservataire", "commune", "auditeur", "abonne")
# Written out again here, from API.md, so that a change of the table has to change this too.
ATTENDU = {
    Action.REFERENTIEL_ECRIRE: {"admin"},
    Action.REFERENTIEL_LIRE: {"admin", "auditeur", "bailleur", "reservataire", "commune"},
    Action.DEMANDE_DEPOSER: {"admin", "bailleur"},
    Action.DEMANDE_MODIFIER: {"admin", "bailleur"},
    Action.DEMANDE_LIRE: {"admin", "auditeur", "bailleur", "reservataire", "commune"},
    Action.DEMANDE_HISTORIQUE: {"admin", "auditeur", "bailleur"},
    Action.VACANCE_DECLARER: {"admin", "bailleur"},
    Action.VACANCE_DESIGNER: {"admin", "bailleur", "reservataire", "commune"},
    Action.VACANCE_DECIDER: {"admin", "bailleur"},
    Action.VACANCE_LIRE: {"admin", "auditeur", "bailleur", "reservataire", "commune"},
    Action.QUOTAS_BAILLEUR: {"admin", "auditeur", "bailleur"},
    Action.QUOTAS_RESERVATAIRE: {"admin", "auditeur", "reservataire"},
    Action.EVENEMENTS_LIRE: {"admin", "auditeur", "abonne"},
    Action.STATISTIQUES_LIRE: {"admin", "auditeur"},
    Action.RAPPORT_TRANSMETTRE: {"admin", "bailleur"},
}
ORG = {"bailleur": "B", "reservataire": "R", "commune": "C"}
VACANCE = Cible(bailleur_id="B", reservataire_id="R", commune="C", qpv=True,
                remise_au_maire=True)
# The organisation each role must be for the object: None = any object.
PROPRE = {
    (Action.DEMANDE_MODIFIER, "bailleur"): Cible(organisation="B"),
    (Action.DEMANDE_HISTORIQUE, "bailleur"): Cible(organisation="B"),
    (Action.VACANCE_DECLARER, "bailleur"): VACANCE,
    (Action.VACANCE_DESIGNER, "bailleur"): VACANCE,
    (Action.VACANCE_DESIGNER, "reservataire"): VACANCE,
    (Action.VACANCE_DESIGNER, "commune"): VACANCE,
    (Action.VACANCE_DECIDER, "bailleur"): VACANCE,
    (Action.VACANCE_LIRE, "bailleur"): VACANCE,
    (Action.VACANCE_LIRE, "reservataire"): VACANCE,
    (Action.VACANCE_LIRE, "commune"): VACANCE,
    (Action.QUOTAS_BAILLEUR, "bailleur"): Cible(bailleur_id="B"),
    (Action.QUOTAS_RESERVATAIRE, "reservataire"): Cible(reservataire_id="R"),
    (Action.RAPPORT_TRANSMETTRE, "bailleur"): Cible(bailleur_id="B"),
}
# The préfet's branch (R-6-MONTH-FLUX-INJUNCTION): the réservataire acting for the préfet
# designates on (the territory's) and reads (it designated on it) a vacancy reserved by
# another or by none. For every other cell with an organisation check, being named as the
# préfet's réservataire grants nothing.
PREFET = {
    (Action.VACANCE_DESIGNER, "reservataire"): Cible(bailleur_id="B", commune="C",
                                                     prefet_id="R"),
    (Action.VACANCE_LIRE, "reservataire"): Cible(bailleur_id="B", reservataire_id="R2",
                                                 commune="C", prefet_id="R"),
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_permission_table_cell(action: Action, role: str) -> None:
    assert set(PERMISSIONS) == set(ATTENDU)
    acteur = Acteur(role, ORG.get(role))
    if role not in ATTENDU[action]:
        with pytest.raises(Interdit):
            autoriser(acteur, action)
        return
    garde = autoriser(acteur, action)
    propre = PROPRE.get((action, role))
    if propre is None:
        garde(Cible())  # any object
        return
    garde(propre)
    autre = Acteur(role, ORG[role] + "-autre")
    with pytest.raises(Interdit):
        autoriser(autre, action)(propre)
    prefet = PREFET.get((action, role))
    if prefet is None:
        with pytest.raises(Interdit):
            garde(Cible(prefet_id=ORG[role]))
        return
    garde(prefet)
    with pytest.raises(Interdit):
        autoriser(autre, action)(prefet)


def test_commune_designates_only_once_the_vacancy_went_to_the_maire() -> None:
    garde = autoriser(Acteur("commune", "C"), Action.VACANCE_DESIGNER)
    for cible in (Cible(commune="C", qpv=True), Cible(commune="C", remise_au_maire=True)):
        with pytest.raises(Interdit):
            garde(cible)


def test_an_admin_filed_demande_is_changed_by_admin_only() -> None:
    with pytest.raises(Interdit):
        autoriser(Acteur("bailleur", "B"), Action.DEMANDE_MODIFIER)(Cible(organisation=None))


# --- attribution --------------------------------------------------------------------------


def test_every_event_records_its_actor_and_historique_shows_it(
        client: TestClient, application: HlmApplication, world: World) -> None:
    did = _file_as_b1(client, "TR-ACT")
    r = client.post(f"/v1/demandes/{did}/radiation", json={"date": "2024-05-01",
                    "motif": "renonciation"},
                    headers={**bearer("bailleur", B1, sub="agent-42"),
                             "X-Request-ID": "req-radiation"})
    assert r.status_code == 201, r.text
    r = client.get(f"/v1/demandes/{did}/historique", headers=bearer("auditeur"))
    assert r.status_code == 200, r.text
    events = r.json()["evenements"]
    assert [e["type"] for e in events] == ["Deposee", "Radiee"]
    depot, radiation = (e["acteur"] for e in events)
    assert depot["role"] == "bailleur" and depot["organisation"] == B1
    assert depot["sub"] == f"bailleur:{B1}"
    assert radiation == {"sub": "agent-42", "role": "bailleur", "organisation": B1,
                         "type_organisation": "bailleur", "request_id": "req-radiation"}


def test_the_stream_carries_the_actors_role_and_organisation_type_never_sub(
        client: TestClient, application: HlmApplication, world: World) -> None:
    vid = declarer(application, "L-RES2")
    r = client.post(f"/v1/vacances/{vid}/designations",
                    json={"demande_id": world.demandes["D1"], "date": "2024-03-05"},
                    headers=bearer("reservataire", R1, sub="agent-r1"))
    assert r.status_code == 201, r.text
    events, _ = page(application, 0, 10_000)
    last = events[-2:]  # the designation: CandidatDesigne on the vacancy, and the demande's
    assert {e.type for e in last} == {"hlm.vacance.candidat_designe.v1",
                                      "hlm.demande.designee_sur_vacance.v1"}
    for e in last:
        headers = dict(e.kafka_headers())
        assert headers[ACTOR_ROLE_HEADER] == b"reservataire"
        assert headers[ACTOR_ORG_TYPE_HEADER] == b"collectivite"  # R1's type
        assert not any(b"agent-r1" in v or R1.encode() == v for v in headers.values())
        assert "acteur" not in e.as_feed_item()  # the v1 envelope is unchanged
    admin_act = next(e for e in events if e.type == "hlm.vacance.declaree.v1"
                     and e.agregat_id == vid)
    headers = dict(admin_act.kafka_headers())
    assert headers[ACTOR_ROLE_HEADER] == b"admin" and ACTOR_ORG_TYPE_HEADER not in headers


# --- organisations: demandes --------------------------------------------------------------


def test_another_bailleur_cannot_change_or_radiate_a_demande(
        client: TestClient, application: HlmApplication, world: World) -> None:
    did = _file_as_b1(client, "TR-B1", ressources_annuelles=6000, unites_consommation=1)
    before = application.compter_evenements()
    calls = [("situation", {"date": "2024-02-01", "ressources_annuelles": 90000}),
             ("radiation", {"date": "2024-02-01", "motif": "autre"}),
             ("separation", {"date_separation": "2024-02-01", "membre_id": "P2-TR-B1",
                             "mode": "substitution"})]
    for path, body in calls:
        for headers in (bearer("bailleur", B2), bearer("reservataire", R1),
                        bearer("commune", C1), bearer("auditeur")):
            assert_error(client.post(f"/v1/demandes/{did}/{path}", json=body,
                                     headers=headers), 403, "FORBIDDEN")
    assert application.compter_evenements() == before
    # The registering organisation and admin may.
    r = client.post(f"/v1/demandes/{did}/situation", json=calls[0][1],
                    headers=bearer("bailleur", B1))
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/demandes/{did}/radiation", json=calls[1][1],
                    headers=bearer("admin"))
    assert r.status_code == 201, r.text


def test_an_admin_filed_demande_is_not_any_bailleurs(
        client: TestClient, application: HlmApplication, world: World) -> None:
    r = client.post(f"/v1/demandes/{world.demandes['D1']}/situation",
                    json={"date": "2024-02-01", "dalo": True}, headers=bearer("bailleur", B1))
    assert_error(r, 403, "FORBIDDEN")


def test_historique_for_admin_auditeur_and_the_registering_organisation_only(
        client: TestClient, application: HlmApplication, world: World) -> None:
    did = _file_as_b1(client, "TR-HIST")
    for headers in (bearer("admin"), bearer("auditeur"), bearer("bailleur", B1)):
        assert client.get(f"/v1/demandes/{did}/historique", headers=headers).status_code == 200
    for headers in (bearer("bailleur", B2), bearer("reservataire", R1), bearer("commune", C1),
                    bearer("abonne")):
        assert_error(client.get(f"/v1/demandes/{did}/historique", headers=headers), 403,
                     "FORBIDDEN")
    # The shared file itself stays readable by every organisation that chooses candidates.
    for headers in (bearer("bailleur", B2), bearer("reservataire", R2), bearer("commune", C2)):
        assert client.get(f"/v1/demandes/{did}", headers=headers).status_code == 200


# --- organisations: vacancies -------------------------------------------------------------


def test_vacancy_reads_by_organisation(client: TestClient, application: HlmApplication,
                                       world: World) -> None:
    v_res, v_nr, v_qpv = (world.vacances[k] for k in ("V_RES", "V_NR", "V_QPV"))
    allowed = [(v_res, bearer("bailleur", B1)), (v_res, bearer("reservataire", R1)),
               (v_qpv, bearer("commune", C1)), (v_nr, bearer("auditeur")),
               (v_nr, bearer("admin"))]
    refused = [(v_res, bearer("bailleur", B2)), (v_res, bearer("reservataire", R2)),
               (v_nr, bearer("reservataire", R1)),  # non réservé: not R1's contingent
               (v_res, bearer("commune", C1)),  # not handed to the maire
               (v_qpv, bearer("commune", C2)), (v_res, bearer("abonne"))]
    for vid, headers in allowed:
        assert client.get(f"/v1/vacances/{vid}", headers=headers).status_code == 200
    for vid, headers in refused:
        # 403 whatever the date asked: never 404 to hide, never the state.
        for params in ({}, {"as_of": "1995-01-01"}):
            err = assert_error(client.get(f"/v1/vacances/{vid}", params=params,
                                          headers=headers), 403, "FORBIDDEN")
            assert "designataire" not in err["details"] and "statut" not in err["details"]


def test_reservataire_and_commune_see_motifs_and_votes_of_their_own_candidates_only(
        client: TestClient, application: HlmApplication, world: World) -> None:
    vid = world.vacances["V_QPV"]  # R1's candidate D_QPV not attributed, motif "test"
    r = client.get(f"/v1/vacances/{vid}", headers=bearer("reservataire", R1))
    own = next(d for d in r.json()["designations"] if d["demande_id"] == world.demandes["D_QPV"])
    assert own["motif"] == "test"
    r = client.get(f"/v1/vacances/{vid}", headers=bearer("commune", C1))
    other = next(d for d in r.json()["designations"]
                 if d["demande_id"] == world.demandes["D_QPV"])
    assert other["motif"] is None and other["votes"] is None
    assert other["decision"] == "non_attribution"  # the outcome stays visible
    r = client.get(f"/v1/vacances/{vid}", headers=bearer("bailleur", B1))
    assert next(d for d in r.json()["designations"]
                if d["demande_id"] == world.demandes["D_QPV"])["motif"] == "test"


def test_the_organisation_is_checked_before_the_state(
        client: TestClient, application: HlmApplication, world: World) -> None:
    """B2 acting on B1's vacancies gets 403 where B1 would get a 409 or 422."""
    v_attr, d_attr = world.vacances["V_ATTR"], world.demandes["D_ATTR"]
    r = client.post(f"/v1/vacances/{v_attr}/bail",
                    json={"demande_id": d_attr, "date_signature": "2024-03-20"},
                    headers=bearer("bailleur", B1))
    assert r.status_code == 201, r.text
    before = application.compter_evenements()
    closed = [("decisions", {"date_commission": "2024-04-01", "decisions": [
                  {"demande_id": d_attr, "decision": "attribution", "rang": 1}]}),
              ("refus", {"demande_id": d_attr, "date": "2024-04-01"}),
              ("bail", {"demande_id": d_attr, "date_signature": "2024-04-01"}),
              ("designations", {"demande_id": world.demandes["D1"], "date": "2024-04-01"})]
    for path, body in closed:
        assert_error(client.post(f"/v1/vacances/{v_attr}/{path}", json=body,
                                 headers=bearer("bailleur", B1)), 409)
        err = assert_error(client.post(f"/v1/vacances/{v_attr}/{path}", json=body,
                                       headers=bearer("bailleur", B2)), 403, "FORBIDDEN")
        assert "date_signature" not in err["details"]
    # L-RES has an open vacancy (409 for B1), L-RES is B1's (403 for B2); a logement not
    # described on the date is 422 for B1, 403 for B2.
    for body, b1_status in (({"date_information": "2024-09-01"}, 409),
                            ({"date_information": "2019-01-01"}, 422)):
        assert_error(client.post("/v1/logements/L-RES/vacances", json=body,
                                 headers=bearer("bailleur", B1)), b1_status)
        assert_error(client.post("/v1/logements/L-RES/vacances", json=body,
                                 headers=bearer("bailleur", B2)), 403, "FORBIDDEN")
    assert application.compter_evenements() == before


# --- time ---------------------------------------------------------------------------------


def test_a_designation_dated_in_the_future_is_refused(
        client: TestClient, application: HlmApplication, world: World) -> None:
    """The Why of issue 8: a bailleur's designation dated 40 days ahead on a vacancy still in
    the réservataire's month took the turn from the réservataire."""
    today = application.today()
    vid = declarer(application, "L-RES2", today - timedelta(days=5))
    before = application.compter_evenements()
    futur = (today + timedelta(days=40)).isoformat()
    err = assert_error(client.post(f"/v1/vacances/{vid}/designations",
                                   json={"demande_id": world.demandes["D1"], "date": futur},
                                   headers=bearer("bailleur", B1)), 422, "DATE_FUTURE")
    assert err["details"]["champ"] == "date"
    assert application.compter_evenements() == before
    r = client.get(f"/v1/vacances/{vid}", headers=bearer("bailleur", B1))
    assert r.json()["designataire"] == "reservataire"


@pytest.mark.parametrize("path,body", [
    ("/v1/demandes", demande_json("TR-FUT", date_depot="{demain}")),
    ("/v1/logements/L-QPV2/vacances", {"date_information": "{demain}"}),
])
def test_every_business_date_is_never_after_today(
        client: TestClient, application: HlmApplication, world: World, path: str,
        body: dict[str, Any]) -> None:
    demain = (application.today() + timedelta(days=1)).isoformat()
    body = {k: (demain if v == "{demain}" else v) for k, v in body.items()}
    assert_error(client.post(path, json=body, headers=bearer("admin")), 422, "DATE_FUTURE")
    today = {k: (application.today().isoformat() if v == demain else v)
             for k, v in body.items()}
    assert client.post(path, json=today, headers=bearer("admin")).status_code == 201


def test_a_backdated_designation_after_the_deadline_is_flagged_late(
        client: TestClient, application: HlmApplication, world: World) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS: dated within the réservataire's month, recorded after it:
    accepted (possible at its business date) and flagged `saisie_tardive`."""
    today = application.today()
    informee = today - timedelta(days=60)
    vid = declarer(application, "L-RES2", informee)
    jour = (informee + timedelta(days=10)).isoformat()
    # The bailleur could not designate then: it was the réservataire's month.
    assert_error(client.post(f"/v1/vacances/{vid}/designations",
                             json={"demande_id": world.demandes["D1"], "date": jour},
                             headers=bearer("bailleur", B1)), 403, "FORBIDDEN")
    r = client.post(f"/v1/vacances/{vid}/designations",
                    json={"demande_id": world.demandes["D1"], "date": jour},
                    headers=bearer("reservataire", R1))
    assert r.status_code == 201, r.text
    d = next(d for d in r.json()["designations"] if d["demande_id"] == world.demandes["D1"])
    assert d["saisie_tardive"] is True
    vue = client.get(f"/v1/vacances/{vid}", headers=bearer("auditeur")).json()
    assert vue["designations"][0]["saisie_tardive"] is True
    events = client.get(f"/v1/demandes/{world.demandes['D1']}/historique",
                        headers=bearer("auditeur")).json()["evenements"]
    assert [e["saisie_tardive"] for e in events] == [False, True]
    # In time: not flagged.
    vid2 = declarer(application, "L-QPV2", today - timedelta(days=3))
    r = client.post(f"/v1/vacances/{vid2}/designations",
                    json={"demande_id": world.demandes["D2"],
                          "date": (today - timedelta(days=1)).isoformat()},
                    headers=bearer("reservataire", R1))
    assert r.status_code == 201, r.text
    assert r.json()["designations"][0]["saisie_tardive"] is False


# --- one open vacancy per logement --------------------------------------------------------


def test_one_open_vacancy_per_logement_until_its_lease(
        client: TestClient, application: HlmApplication, world: World) -> None:
    b1 = bearer("bailleur", B1)
    v_attr, d_attr = world.vacances["V_ATTR"], world.demandes["D_ATTR"]
    before = application.compter_evenements()
    err = assert_error(client.post("/v1/logements/L-NR3/vacances",
                                   json={"date_information": "2024-06-01"}, headers=b1),
                       409, "VACANCE_OUVERTE")
    assert err["details"]["vacance_id"] == v_attr
    assert application.compter_evenements() == before
    r = client.post(f"/v1/vacances/{v_attr}/bail",
                    json={"demande_id": d_attr, "date_signature": "2024-03-20"}, headers=b1)
    assert r.status_code == 201, r.text
    r = client.post("/v1/logements/L-NR3/vacances", json={"date_information": "2024-06-01"},
                    headers=b1)
    assert r.status_code == 201, r.text
    assert_error(client.post("/v1/logements/L-NR3/vacances",
                             json={"date_information": "2024-07-01"}, headers=b1),
                 409, "VACANCE_OUVERTE")


def test_two_vacancies_saved_at_once_on_one_logement_fail_together(
        application: HlmApplication, world: World) -> None:
    """The store's index, not only the command's check: the synthetic history's batched
    saves cannot open two either."""
    from eventsourcing.persistence import IntegrityError

    from domain.vacance import Vacance

    logement = application.logement("L-B2")
    etat = logement.etat_au(date(2024, 1, 1))
    before = application.compter_evenements()
    with pytest.raises(IntegrityError):
        application.save(Vacance.declarer("L-B2", date(2024, 1, 1), etat),
                         Vacance.declarer("L-B2", date(2024, 1, 2), etat))
    assert application.compter_evenements() == before
    assert statut("POST", application.declarer_vacance(ADMIN, "L-B2", date(2024, 1, 3))) == 201
