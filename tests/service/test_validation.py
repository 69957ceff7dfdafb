"""Bad input: 422 VALIDATION in the contract's error shape (never a 500), recording nothing;
unknown ids and routes: 404 NOT_FOUND in the same shape."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.errors import statut_http
from api.schemas import DemandeIn
from domain.application import HlmApplication
from domain.commandes import DepotDemande
from domain.errors import Invalide
from tests.helpers_sec import (
    ADMIN,
    B1,
    C1,
    TERRITOIRE,
    World,
    assert_error,
    bearer,
    demande_json,
)

ADMIN_H = bearer("admin")
MISSING = object()


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(base)
    for k, v in changes.items():
        if v is MISSING:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _all_invalid(client: TestClient, application: HlmApplication, method: str, path: str,
                 cases: dict[str, Any], status: int = 422, code: str = "VALIDATION") -> None:
    """Each case (a JSON body, or raw bytes) is refused with `status`/`code` and records
    nothing."""
    for name, body in cases.items():
        before = application.compter_evenements()
        if isinstance(body, bytes):
            resp = client.request(method, path, content=body,
                                  headers={**ADMIN_H, "Content-Type": "application/json"})
        else:
            resp = client.request(method, path, json=body, headers=ADMIN_H)
        try:
            err = assert_error(resp, status, code)
        except AssertionError as exc:
            raise AssertionError(f"case {name!r}: {exc}") from None
        if code == "VALIDATION" and "errors" in err["details"]:
            assert err["details"]["errors"], name
        assert application.compter_evenements() == before, f"case {name!r} recorded events"


# --- demandes --------------------------------------------------------------------------------


def test_post_demande_rejects_bad_input(client: TestClient, application: HlmApplication) -> None:
    ok = demande_json("VAL-1")
    cases: dict[str, Any] = {
        "malformed json": b'{"numero_unique": "VAL-1", ',
        "not json at all": b"numero_unique=VAL-1",
        "empty body": b"",
        "json array": [ok],
        "json null": b"null",
        "string for a number": _with(ok, ressources_annuelles="beaucoup"),
        "string for the uc": _with(ok, unites_consommation="deux"),
        "bool for a number": _with(ok, ressources_annuelles=True),
        "NaN resources": b'{"numero_unique": "VAL-1", "date_depot": "2023-01-10", '
                         b'"demandeur_id": "P", "ressources_annuelles": NaN, '
                         b'"unites_consommation": 1}',
        "Infinity resources": b'{"numero_unique": "VAL-1", "date_depot": "2023-01-10", '
                              b'"demandeur_id": "P", "ressources_annuelles": Infinity, '
                              b'"unites_consommation": 1}',
        "too many digits": _with(ok, ressources_annuelles=10**20),
        "number for a text": _with(ok, demandeur_id=12),
        "yes for a bool": _with(ok, dalo="yes"),
        "1 for a bool": _with(ok, relogement_renouvellement_urbain=1),
        "unknown lien": _with(ok, personnes_a_loger=[{"personne_id": "X", "lien": "cousin"}]),
        "personne without lien": _with(ok, personnes_a_loger=[{"personne_id": "X"}]),
        "personne listed twice": _with(ok, personnes_a_loger=[
            {"personne_id": "X", "lien": "enfant"}, {"personne_id": "X", "lien": "enfant"}]),
        "personnes not a list": _with(ok, personnes_a_loger="X"),
        "unknown priority code": _with(ok, categories_prioritaires=["PAS_UNE_CATEGORIE"]),
        "letter as priority code": _with(ok, categories_prioritaires=["a"]),
        "lowercase priority code": _with(ok, categories_prioritaires=["handicap"]),
        "impossible date": _with(ok, date_depot="2024-02-30"),
        "french date": _with(ok, date_depot="10/01/2023"),
        "month 13": _with(ok, date_depot="2023-13-01"),
        "negative resources": _with(ok, ressources_annuelles=-1),
        "zero uc": _with(ok, unites_consommation=0),
        "negative uc": _with(ok, unites_consommation=-1.5),
        "unknown field": _with(ok, revenu_fiscal=12000),
        "typo of a field": _with(ok, dallo=True, dalo=MISSING),
        "missing numero_unique": _with(ok, numero_unique=MISSING),
        "missing date_depot": _with(ok, date_depot=MISSING),
        "missing resources": _with(ok, ressources_annuelles=MISSING),
        "missing uc": _with(ok, unites_consommation=MISSING),
        "empty numero_unique": _with(ok, numero_unique=""),
        "null demandeur": _with(ok, demandeur_id=None),
    }
    _all_invalid(client, application, "POST", "/v1/demandes", cases)
    # The valid body goes through: the cases above differ from it by one thing each.
    assert client.post("/v1/demandes", json=ok, headers=ADMIN_H).status_code == 201


def test_unknown_priority_code_is_refused_by_the_application_too(
        application: HlmApplication) -> None:
    """Behind the HTTP schema, the service itself refuses an unknown code
    (R-PRIORITY-CATEGORIES)."""
    payload = DemandeIn(**demande_json("VAL-APP")).model_dump()
    payload["categories_prioritaires"] = ["HANDICAP", "INCONNUE"]
    before = application.compter_evenements()
    with pytest.raises(Invalide) as info:
        application.deposer_demande(ADMIN, DepotDemande.depuis(payload))
    assert statut_http(info.value) == 422 and info.value.code == "VALIDATION"
    assert info.value.rule == "R-PRIORITY-CATEGORIES"
    assert info.value.details == {"categories_inconnues": ["INCONNUE"]}
    assert application.compter_evenements() == before


def test_situation_rejects_bad_input(client: TestClient, application: HlmApplication,
                                     world: World) -> None:
    path = f"/v1/demandes/{world.demandes['D1']}/situation"
    ok = {"date": "2024-01-01", "ressources_annuelles": 20000}
    cases = {
        "malformed json": b'{"date": ',
        "missing date": _with(ok, date=MISSING),
        "impossible date": _with(ok, date="2024-02-30"),
        "negative resources": _with(ok, ressources_annuelles=-100),
        "zero uc": _with(ok, unites_consommation=0),
        "yes for dalo": _with(ok, dalo="yes"),
        "unknown priority code": _with(ok, categories_prioritaires=["INCONNUE"]),
        "unknown lien": _with(ok, personnes_a_loger=[{"personne_id": "X", "lien": "voisin"}]),
        "unknown field": _with(ok, statut="radiee"),
    }
    _all_invalid(client, application, "POST", path, cases)
    assert client.post(path, json=ok, headers=ADMIN_H).status_code == 201


def test_separation_and_radiation_reject_bad_input(client: TestClient,
                                                   application: HlmApplication,
                                                   world: World) -> None:
    d1 = world.demandes["D1"]
    sep = {"date_separation": "2024-01-01", "membre_id": "P2-D1", "mode": "substitution"}
    _all_invalid(client, application, "POST", f"/v1/demandes/{d1}/separation", {
        "unknown mode": _with(sep, mode="divorce"),
        "missing membre": _with(sep, membre_id=MISSING),
        "impossible date": _with(sep, date_separation="2023-02-29"),
        "unknown field": _with(sep, motif="x"),
        "unknown priority code": _with(sep, mode="nouvelle_demande", numero_unique="VAL-SEP",
                                       date_depot="2024-02-01",
                                       categories_prioritaires=["INCONNUE"]),
    })
    rad = {"date": "2024-01-01", "motif": "renonciation"}
    _all_invalid(client, application, "POST", f"/v1/demandes/{d1}/radiation", {
        "unknown motif": _with(rad, motif="demenagement"),
        "missing motif": _with(rad, motif=MISSING),
        "impossible date": _with(rad, date="2024-04-31"),
        "unknown field": _with(rad, commentaire="x"),
    })
    assert client.post(f"/v1/demandes/{d1}/radiation", json=rad,
                       headers=ADMIN_H).status_code == 201


# --- reference data --------------------------------------------------------------------------


def test_reference_data_rejects_bad_input(client: TestClient,
                                          application: HlmApplication) -> None:
    _all_invalid(client, application, "PUT", "/v1/bailleurs/B-VAL", {
        "malformed json": b'{"nom": "x"',
        "missing nom": {},
        "empty nom": {"nom": ""},
        "number for nom": {"nom": 3},
        "unknown field": {"nom": "x", "siren": "123"},
    })
    res = {"nom": "Ville", "type": "collectivite"}
    _all_invalid(client, application, "PUT", "/v1/reservataires/R-VAL", {
        "unknown type": _with(res, type="prefecture"),
        "capitalised type": _with(res, type="Etat"),
        "missing type": _with(res, type=MISSING),
    })
    ter = {"nom": "EPCI", "soumis_mixite_depuis": "2017-01-27", "ile_de_france": False}
    _all_invalid(client, application, "PUT", "/v1/territoires/T-VAL", {
        "yes for a bool": _with(ter, ile_de_france="yes"),
        "string true for a bool": _with(ter, ile_de_france="true"),
        "impossible date": _with(ter, soumis_mixite_depuis="2017-02-30"),
        "missing bool": _with(ter, ile_de_france=MISSING),
    })
    assert client.put("/v1/territoires/T-VAL", json=ter, headers=ADMIN_H).status_code == 200
    seuil = {"annee": 2024, "montant_par_uc": 10000, "acte": "arrêté"}
    _all_invalid(client, application, "POST", "/v1/territoires/T-VAL/seuils", {
        "string year": _with(seuil, annee="2024"),
        "float year": _with(seuil, annee=2024.5),
        "year out of range": _with(seuil, annee=1900),
        "negative amount": _with(seuil, montant_par_uc=-1),
        "string amount": _with(seuil, montant_par_uc="dix mille"),
        "missing acte": _with(seuil, acte=MISSING),
    })
    assert client.put(f"/v1/bailleurs/{B1}", json={"nom": "B"}, headers=ADMIN_H).status_code \
        == 200
    obj = {"bailleur_id": B1, "annee": 2024, "taux_hors_qpv_premier_quartile": 0.25,
           "taux_qpv_autres_quartiles": 0.5}
    _all_invalid(client, application, "POST", "/v1/territoires/T-VAL/objectifs", {
        "rate above 1": _with(obj, taux_hors_qpv_premier_quartile=1.5),
        "negative rate": _with(obj, taux_qpv_autres_quartiles=-0.1),
        "missing rate": _with(obj, taux_qpv_autres_quartiles=MISSING),
    })
    _all_invalid(client, application, "POST", "/v1/seuils/ile-de-france", {
        "string year": _with(seuil, annee="2024"),
        "negative amount": _with(seuil, montant_par_uc=-1),
        "unknown field": _with(seuil, territoire_id="T-VAL"),
    })
    part = {"bailleur_id": B1, "taux_hors_qpv_premier_quartile": 0.3, "base_hors_qpv": 10}
    cia = {"date_effet": "2024-01-01", "acte": "CIA", "objectifs": [part]}
    _all_invalid(client, application, "POST", "/v1/territoires/T-VAL/cia", {
        "no bailleur": _with(cia, objectifs=[]),
        "rate above 1": _with(cia, objectifs=[_with(part, taux_hors_qpv_premier_quartile=2)]),
        "negative base": _with(cia, objectifs=[_with(part, base_hors_qpv=-1)]),
        "missing base": _with(cia, objectifs=[_with(part, base_hors_qpv=MISSING)]),
        "empty objective": _with(cia, objectif_sapeurs_pompiers={}),
        "impossible date": _with(cia, date_effet="2024-02-30"),
    })
    _all_invalid(client, application, "POST", "/v1/territoires/T-VAL/cia", {
        "future date": _with(cia, date_effet="2099-01-01")}, code="DATE_FUTURE")
    cil = {"date_effet": "2024-01-01", "acte": "CIL", "taux_hors_qpv": 0.3}
    _all_invalid(client, application, "POST", "/v1/territoires/T-VAL/orientations", {
        "rate above 1": _with(cil, taux_qpv=1.5),
        "missing acte": _with(cil, acte=MISSING),
    })
    log = {"bailleur_id": B1, "territoire_id": "T-VAL", "commune": C1, "qpv": False,
           "zone_tendue": True, "reservataire_id": None, "date_effet": "2020-01-01"}
    _all_invalid(client, application, "PUT", "/v1/logements/L-VAL", {
        "yes for ancienne_zus": _with(log, ancienne_zus="yes"),
        "impossible sortie_qpv_le": _with(log, sortie_qpv_le="2019-02-30"),
        "no for a bool": _with(log, qpv="no"),
        "0 for a bool": _with(log, zone_tendue=0),
        "missing reservataire_id": _with(log, reservataire_id=MISSING),
        "impossible date": _with(log, date_effet="2020-02-30"),
        "unknown field": _with(log, surface=42),
    })
    assert client.put("/v1/logements/L-VAL", json=log, headers=ADMIN_H).status_code == 200


# --- the cycle -------------------------------------------------------------------------------


def test_cycle_commands_reject_bad_input(client: TestClient, application: HlmApplication,
                                         world: World) -> None:
    _all_invalid(client, application, "POST", "/v1/logements/L-NR/vacances", {
        "missing date": {},
        "impossible date": {"date_information": "2024-02-30"},
        "datetime for a date": {"date_information": "2024-02-03T10:00:00+01:00"},
        "unknown field": {"date_information": "2024-02-03", "motif": "depart"},
    })
    v_nr = world.vacances["V_NR"]
    des = {"demande_id": world.demandes["D1"], "date": "2024-03-05"}
    _all_invalid(client, application, "POST", f"/v1/vacances/{v_nr}/designations", {
        "malformed json": b'{"demande_id": }',
        "missing demande": _with(des, demande_id=MISSING),
        "impossible date": _with(des, date="2024-02-30"),
        "unknown field": _with(des, rang=1),
    })
    v_dec, d_dec = world.vacances["V_DEC"], world.demandes["D_DEC"]
    dec = {"demande_id": d_dec, "decision": "attribution", "rang": 1}
    body = {"date_commission": "2024-03-10", "decisions": [dec]}
    _all_invalid(client, application, "POST", f"/v1/vacances/{v_dec}/decisions", {
        "unknown decision": _with(body, decisions=[_with(dec, decision="peut_etre")]),
        "no decision": _with(body, decisions=[]),
        "rank 0": _with(body, decisions=[_with(dec, rang=0)]),
        "string rank": _with(body, decisions=[_with(dec, rang="1")]),
        "unknown maire vote": _with(body, decisions=[_with(
            dec, votes={"pour": 3, "contre": 3, "voix_maire": "abstention"})]),
        "negative votes": _with(body, decisions=[_with(
            dec, votes={"pour": -1, "contre": 3})]),
        "impossible date": _with(body, date_commission="2024-02-30"),
        "unknown field": _with(body, lieu="siège"),
    })
    v_attr, d_attr = world.vacances["V_ATTR"], world.demandes["D_ATTR"]
    _all_invalid(client, application, "POST", f"/v1/vacances/{v_attr}/refus", {
        "missing date": {"demande_id": d_attr},
        "motif not text": {"demande_id": d_attr, "date": "2024-03-12", "motif": 3},
    })
    _all_invalid(client, application, "POST", f"/v1/vacances/{v_attr}/bail", {
        "impossible date": {"demande_id": d_attr, "date_signature": "2024-02-30"},
        "missing date": {"demande_id": d_attr},
        "unknown field": {"demande_id": d_attr, "date_signature": "2024-03-15", "loyer": 500},
    })


def test_bad_headers(client: TestClient, application: HlmApplication) -> None:
    before = application.compter_evenements()
    resp = client.put("/v1/bailleurs/B-H", json={"nom": "x"},
                      headers={**ADMIN_H, "Idempotency-Key": "   "})
    assert_error(resp, 400)
    resp = client.put("/v1/bailleurs/B-H", json={"nom": "x"},
                      headers={**ADMIN_H, "Idempotency-Key": "k" * 201})
    assert_error(resp, 422, "VALIDATION")
    assert application.compter_evenements() == before


# --- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["as_of=2024-02-30", "as_of=hier", "as_of=2024-13-01",
                                   "known_at=pas-une-date", "known_at=2024-02-30T00:00:00"])
def test_invalid_read_dates_are_422(client: TestClient, world: World, query: str) -> None:
    for path in (f"/v1/demandes/{world.demandes['D1']}",
                 f"/v1/vacances/{world.vacances['V_NR']}"):
        err = assert_error(client.get(f"{path}?{query}", headers=ADMIN_H), 422, "VALIDATION")
        assert err["details"]["errors"][0]["loc"][0] == "query"


def test_valid_read_date(client: TestClient, world: World) -> None:
    resp = client.get(f"/v1/demandes/{world.demandes['D1']}?as_of=2024-02-29",
                      headers=ADMIN_H)
    assert resp.status_code == 200
    assert resp.json()["as_of"] == "2024-02-29"
    assert resp.json()["anciennete_jours"] == (date(2024, 2, 29) - date(2023, 1, 10)).days


# --- 404 -------------------------------------------------------------------------------------


def test_unknown_ids_are_404(client: TestClient, application: HlmApplication,
                             world: World) -> None:
    unknown = str(uuid.uuid4())
    d1, v_nr = world.demandes["D1"], world.vacances["V_NR"]
    # A vacancy id is not a demande id, and the other way round.
    for path in (f"/v1/demandes/{unknown}", "/v1/demandes/not-a-uuid", f"/v1/demandes/{v_nr}",
                 f"/v1/demandes/{unknown}/historique", "/v1/demandes/not-a-uuid/historique",
                 f"/v1/vacances/{unknown}", "/v1/vacances/not-a-uuid", f"/v1/vacances/{d1}",
                 "/v1/logements/L-UNKNOWN", "/v1/territoires/T-UNKNOWN"):
        assert_error(client.get(path, headers=ADMIN_H), 404, "NOT_FOUND")
    des = {"demande_id": d1, "date": "2024-03-05"}
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"/v1/demandes/{unknown}/situation", {"date": "2024-01-01", "dalo": True}),
        ("POST", "/v1/demandes/not-a-uuid/radiation", {"date": "2024-01-01", "motif": "autre"}),
        ("POST", f"/v1/demandes/{unknown}/separation",
         {"date_separation": "2024-01-01", "membre_id": "X", "mode": "substitution"}),
        ("POST", "/v1/logements/L-UNKNOWN/vacances", {"date_information": "2024-03-01"}),
        ("POST", f"/v1/vacances/{unknown}/designations", des),
        ("POST", "/v1/vacances/not-a-uuid/designations", des),
        ("POST", f"/v1/vacances/{v_nr}/designations", {"demande_id": unknown,
                                                        "date": "2024-03-05"}),
        ("POST", f"/v1/vacances/{v_nr}/designations", {"demande_id": "NUM-INCONNU",
                                                        "date": "2024-03-05"}),
        ("POST", f"/v1/vacances/{world.vacances['V_DEC']}/decisions",
         {"date_commission": "2024-03-10",
          "decisions": [{"demande_id": unknown, "decision": "attribution", "rang": 1}]}),
        ("POST", f"/v1/vacances/{unknown}/refus", {"demande_id": d1, "date": "2024-03-12"}),
        ("POST", f"/v1/vacances/{unknown}/bail", {"demande_id": d1,
                                                  "date_signature": "2024-03-12"}),
        ("POST", "/v1/territoires/T-UNKNOWN/seuils",
         {"annee": 2024, "montant_par_uc": 1, "acte": "x"}),
        ("POST", "/v1/territoires/T-UNKNOWN/orientations",
         {"date_effet": "2024-01-01", "acte": "x", "taux_hors_qpv": 0.3}),
        ("POST", f"/v1/territoires/{TERRITOIRE}/cia",
         {"date_effet": "2024-01-01", "acte": "x", "objectifs": [
             {"bailleur_id": "B-UNKNOWN", "taux_hors_qpv_premier_quartile": 0.3,
              "base_hors_qpv": 1}]}),
        ("PUT", "/v1/logements/L-NEW", {"bailleur_id": "B-UNKNOWN", "territoire_id": TERRITOIRE,
                                        "commune": C1, "qpv": False, "zone_tendue": False,
                                        "reservataire_id": None, "date_effet": "2020-01-01"}),
        ("PUT", "/v1/logements/L-NEW", {"bailleur_id": B1, "territoire_id": TERRITOIRE,
                                        "commune": C1, "qpv": False, "zone_tendue": False,
                                        "reservataire_id": "R-UNKNOWN",
                                        "date_effet": "2020-01-01"}),
    ]
    for method, path, body in writes:
        before = application.compter_evenements()
        resp = client.request(method, path, json=body, headers=ADMIN_H)
        try:
            assert_error(resp, 404, "NOT_FOUND")
        except AssertionError as exc:
            raise AssertionError(f"{method} {path} {body}: {exc}") from None
        assert application.compter_evenements() == before, path


def test_unknown_route_and_method(client: TestClient) -> None:
    for path in ("/v1/nope", "/v2/demandes", "/", "/v1/demandes"):
        resp = client.get(path, headers=ADMIN_H)
        if path == "/v1/demandes":
            assert_error(resp, 405)
        else:
            assert_error(resp, 404, "NOT_FOUND")
    assert_error(client.get("/v1/nope"), 404, "NOT_FOUND")  # even without a token
    assert_error(client.delete("/v1/bailleurs/B1", headers=ADMIN_H), 405)
