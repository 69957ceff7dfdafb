"""Issue 10 through the application, the views, the replay and the API: Île-de-France's
regional threshold (R-Q1-THRESHOLD, EX-05), objectives from a date with their floors
(R-CIA-BAILLEUR-DISTRIBUTION, R-QUOTA-RATE-ADAPTATION, R-CIA-ABSENCE-DEFAULT-OBJECTIVES:
EX-16, EX-26), the CIA's declared objectives, and the ZUS assimilation
(R-QPV-ASSIMILATION-ZUS, EX-22)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.application import HlmApplication
from domain.commandes import Cia, OrientationsCil
from domain.errors import Invalide
from projections.bitemporal import BELIEVED, position_at
from projections.replay import position_connue, rapport_de, rejouer_journal
from projections.service import Projections
from tests.helpers_lifecycle import COMMUNE, Monde, assert_error, nothing_recorded
from tests.helpers_quotas import ADMIN, Parc

D = Decimal


@pytest.fixture
def vues(application, settings):
    projections = Projections(application, settings)
    yield projections
    projections.stop()


@pytest.fixture
def parc(application) -> Parc:
    """B1 and B2, no territory yet: each test defines its own (no report transmitted)."""
    return Parc(application, territoire=None)


def quotas(vues: Projections, territoire: str, annee: int, as_of: date | None = None,
           known_at: datetime | None = None, bailleur: str = "B1") -> dict[str, Any]:
    vues.runner.catch_up()
    return vues.quotas_bailleur(bailleur, territoire, annee, as_of or date(annee, 12, 31),
                                known_at)


def agree_with_the_replay(app: HlmApplication, vues: Projections, as_of: date) -> None:
    """Every bailleur × territoire body of the view is the replay's (hlm replay)."""
    etat = rejouer_journal(app, position_connue(app, None))
    for body in rapport_de(etat, as_of, None, app.v20_effective_from)["bailleurs"]:
        assert quotas(vues, body["territoire_id"], as_of.year, as_of,
                      bailleur=body["bailleur_id"]) == body


def instant() -> datetime:
    time.sleep(0.002)
    moment = datetime.now(UTC)
    time.sleep(0.002)
    return moment


# --- R-Q1-THRESHOLD in Île-de-France (EX-05) ----------------------------------------------------

def test_EX_05_the_regional_threshold_decides_the_first_quartile_of_idf_leases(
        application, vues, parc):
    """R-Q1-THRESHOLD, EX-05: regional 8,000 (a threshold of the EPT's own demandeurs would
    be 9,000): the demandeur at 8,500 €/UC is not first quartile in Île-de-France; outside
    it, the EPCI's own 9,000 applies and the same household is. A regional value published
    late changes the facts from when it is known; a later year's value leaves earlier
    leases alone."""
    parc.territoire("T-IDF", idf=True)
    parc.territoire("T-EPCI")
    application.publier_seuil(ADMIN, "T-EPCI", 2023, D("9000"), "arrêté EPCI 2023")
    with nothing_recorded(application), pytest.raises(Invalide) as refus:
        application.publier_seuil(ADMIN, "T-IDF", 2023, D("9000"), "arrêté EPT")
    assert refus.value.rule == "R-Q1-THRESHOLD"
    parc.bail(date(2023, 4, 1), "T-IDF", ressources="8500")
    parc.bail(date(2023, 4, 1), "T-EPCI", ressources="8500")
    hors = quotas(vues, "T-IDF", 2023)["hors_qpv"]
    assert (hors["premier_quartile"], hors["quartile_inconnu"]) == (0, 1)  # no value yet
    avant = instant()
    application.publier_seuil_regional(ADMIN, 2023, D("8000"), "arrêté régional 2023")
    hors = quotas(vues, "T-IDF", 2023)["hors_qpv"]
    assert (hors["attributions"], hors["premier_quartile"], hors["quartile_inconnu"]) == (
        1, 0, 0)
    assert quotas(vues, "T-EPCI", 2023)["hors_qpv"]["premier_quartile"] == 1
    assert quotas(vues, "T-IDF", 2023, known_at=avant)["hors_qpv"]["quartile_inconnu"] == 1
    # 2024's regional value: 2023's leases keep 2023's; a 2024 lease at 8,500 is below 9,000.
    application.publier_seuil_regional(ADMIN, 2024, D("9000"), "arrêté régional 2024")
    parc.bail(date(2024, 2, 1), "T-IDF", ressources="8500")
    assert quotas(vues, "T-IDF", 2023)["hors_qpv"]["premier_quartile"] == 0
    assert quotas(vues, "T-IDF", 2024)["hors_qpv"]["premier_quartile"] == 1
    agree_with_the_replay(application, vues, date(2023, 12, 31))
    agree_with_the_replay(application, vues, date(2024, 6, 30))


def test_a_territoire_entering_ile_de_france_takes_the_regional_threshold(
        application, vues, parc):
    """R-Q1-THRESHOLD: the flag decides whose threshold the territoire's leases take: its own
    (recorded before it was in Île-de-France) until it is, then the region's, as known."""
    parc.territoire("T1")
    application.publier_seuil(ADMIN, "T1", 2023, D("9000"), "arrêté 2023")
    application.publier_seuil_regional(ADMIN, 2023, D("8000"), "arrêté régional 2023")
    parc.bail(date(2023, 4, 1), ressources="8500")
    assert quotas(vues, "T1", 2023)["hors_qpv"]["premier_quartile"] == 1
    avant = instant()
    application.definir_territoire(ADMIN, "T1", "Territoire T1", date(2017, 1, 29), True)
    assert quotas(vues, "T1", 2023)["hors_qpv"]["premier_quartile"] == 0
    assert quotas(vues, "T1", 2023, known_at=avant)["hors_qpv"]["premier_quartile"] == 1
    agree_with_the_replay(application, vues, date(2023, 12, 31))


def test_the_regional_threshold_route(client, auth, application):
    """R-Q1-THRESHOLD through the API: the region's value published and read; a territoire
    in Île-de-France refused its own (SEUIL_REGIONAL), nothing recorded."""
    admin = auth("admin")
    seuil = {"annee": 2023, "montant_par_uc": 8000, "acte": "arrêté régional 2023"}
    assert_error(client.post("/v1/seuils/ile-de-france", json=seuil,
                             headers=auth("bailleur", "B1")), 403, "FORBIDDEN")
    r = client.post("/v1/seuils/ile-de-france", json=seuil, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json() == {"region_id": "ile-de-france", **seuil}
    client.post("/v1/seuils/ile-de-france", json={**seuil, "annee": 2024, "montant_par_uc":
                                                  8200.5}, headers=admin)
    r = client.get("/v1/seuils/ile-de-france", headers=auth("reservataire", "R1"))
    assert [s["montant_par_uc"] for s in r.json()["seuils"]] == [8000, 8200.5]
    assert client.put("/v1/territoires/T-IDF", json={
        "nom": "EPT", "soumis_mixite_depuis": "2017-01-29", "ile_de_france": True},
        headers=admin).status_code == 200
    with nothing_recorded(application):
        err = assert_error(client.post("/v1/territoires/T-IDF/seuils", json=seuil,
                                       headers=admin), 422, "SEUIL_REGIONAL",
                           "R-Q1-THRESHOLD")
    assert err["details"] == {"territoire_id": "T-IDF"}


def test_the_maire_s_designation_follows_the_regional_threshold(monde: Monde, client,
                                                                application) -> None:
    """R-FAILED-QPV-TO-MAIRE judged with R-Q1-THRESHOLD as al. 25 gives it: the territoire
    in Île-de-France, the regional 9,000 makes a household at 8,500 €/UC first quartile
    (under the territoire's own 8,100 it was not)."""
    r = client.put("/v1/territoires/T1", json={
        "nom": "EPT un", "soumis_mixite_depuis": "2017-01-29", "ile_de_france": True},
        headers=monde.admin)
    assert r.status_code == 200, r.text
    r = client.post("/v1/seuils/ile-de-france", json={
        "annee": 2023, "montant_par_uc": 9000, "acte": "arrêté régional"}, headers=monde.admin)
    assert r.status_code == 201, r.text
    monde.logement("L-QPV", qpv=True)
    vid = monde.vacance("L-QPV", "2023-04-20")
    candidat = monde.demande(ressources=30000, uc=2)
    x = monde.demande(ressources=17000, uc=2)  # 8,500 €/UC
    y = monde.demande(ressources=18600, uc=2)  # 9,300 €/UC
    assert monde.designer(vid, candidat, "2023-04-25").status_code == 201
    assert monde.decider(vid, "2023-05-10", monde.non_attribution(candidat)).status_code == 201
    with nothing_recorded(application):
        assert_error(monde.designer(vid, x, "2023-05-15", monde.commune), 422,
                     "PREMIER_QUARTILE_EXCLU", "R-FAILED-QPV-TO-MAIRE")
    r = monde.designer(vid, y, "2023-05-15", monde.auth("commune", COMMUNE))
    assert r.status_code == 201, r.text


# --- objectives from a date (EX-16, EX-26) ------------------------------------------------------

def cia_ex16(b2: str) -> Cia:
    return Cia.depuis({"date_effet": date(2024, 3, 15), "acte": "CIA", "objectifs": [
        {"bailleur_id": "B1", "taux_hors_qpv_premier_quartile": D("0.20"), "base_hors_qpv": 60},
        {"bailleur_id": "B2", "taux_hors_qpv_premier_quartile": D(b2), "base_hors_qpv": 40}]})


def test_EX_16_a_cia_below_the_territory_rate_is_refused_and_replaces_the_default(
        application, vues, parc):
    """R-CIA-ABSENCE-DEFAULT-OBJECTIVES, R-CIA-BAILLEUR-DISTRIBUTION, EX-16: subject on
    2021-01-01, no CIA: 25 % from 2023-05-02; the CIA of 2024-03-15 at 24.8 % weighted is
    refused (nothing recorded), at 25.2 % accepted: B1's objective is its 20 % from that
    day (a bailleur below 25 % is lawful)."""
    parc.territoire("T1", soumis=date(2021, 1, 1))
    with nothing_recorded(application), pytest.raises(Invalide) as refus:
        application.conclure_cia(ADMIN, "T1", cia_ex16("0.32"))
    assert refus.value.rule == "R-CIA-BAILLEUR-DISTRIBUTION"
    application.conclure_cia(ADMIN, "T1", cia_ex16("0.33"))
    assert quotas(vues, "T1", 2023)["hors_qpv"]["objectif"] == 0.25
    assert quotas(vues, "T1", 2024, date(2024, 3, 14))["hors_qpv"]["objectif"] == 0.25
    assert quotas(vues, "T1", 2024)["hors_qpv"]["objectif"] == 0.2
    assert quotas(vues, "T1", 2024, bailleur="B2")["hors_qpv"]["objectif"] == 0.33
    agree_with_the_replay(application, vues, date(2024, 12, 31))


def test_EX_26_a_cil_rate_above_the_floor_is_the_block_s_objective(application, vues, parc):
    """R-QUOTA-RATE-ADAPTATION, EX-26 (a): the CIL sets 30 % hors QPV: one qualifying lease
    of four is 25 %, compliant with the statutory rate but not with the local one (2
    needed); the territory's statistics take the same rate. (b) 20 % under the current
    text: refused."""
    parc.territoire("T1")
    application.publier_seuil(ADMIN, "T1", 2023, D("8100"), "arrêté")
    application.adopter_orientations(ADMIN, "T1", OrientationsCil(
        date(2023, 1, 1), "orientations de la CIL", D("0.30"), D("0.60")))
    with nothing_recorded(application), pytest.raises(Invalide) as refus:
        application.adopter_orientations(ADMIN, "T1", OrientationsCil(
            date(2023, 6, 1), "orientations", D("0.20")))
    assert refus.value.rule == "R-QUOTA-RATE-ADAPTATION"
    parc.bail(date(2023, 3, 1), ressources="5000")
    for _ in range(3):
        parc.bail(date(2023, 3, 2))
    hors = quotas(vues, "T1", 2023)["hors_qpv"]
    assert (hors["taux"], hors["objectif"], hors["conforme"], hors["minimum"],
            hors["manque"]) == (0.25, 0.3, False, 2, 1)
    assert quotas(vues, "T1", 2023)["qpv"]["objectif"] == 0.6
    assert quotas(vues, "T1", 2022)["hors_qpv"]["objectif"] == 0.25  # before the CIL's date
    vues.runner.catch_up()
    stats = vues.statistiques_territoire("T1", 2023, date(2023, 12, 31), None)
    assert (stats["hors_qpv"]["objectif"], stats["hors_qpv"]["conforme"]) == (0.3, False)
    agree_with_the_replay(application, vues, date(2023, 12, 31))


def test_EX_26_c_a_rate_adapted_under_v15_holds_while_v15_does(application, vues, parc):
    """R-QUOTA-RATE-ADAPTATION, EX-26 (c): 20 % adapted under v15, review due within three
    years, is the objective until v16 (2018-11-25), the statutory 25 % after."""
    parc.territoire("T1")
    application.adopter_orientations(ADMIN, "T1", OrientationsCil(
        date(2017, 6, 1), "orientations approuvées par l'EPCI et le préfet", D("0.20")))
    orientations = application.territoire("T1").orientations
    assert (orientations[0]["adapte"], orientations[0]["revision_avant"]) == (
        True, date(2020, 6, 1))
    assert quotas(vues, "T1", 2017)["hors_qpv"]["objectif"] == 0.2
    assert quotas(vues, "T1", 2018, date(2018, 11, 24))["hors_qpv"]["objectif"] == 0.2
    assert quotas(vues, "T1", 2019)["hors_qpv"]["objectif"] == 0.25


def test_the_cia_s_declared_objectives_are_shown_with_nothing_achieved_known(
        application, vues, parc):
    """R-ESSENTIAL-WORKERS-OBJECTIVE, R-SAPEUR-POMPIER-OBJECTIVE: the CIA's objectives in the
    bailleur's quota body from its date, nothing achieved known."""
    parc.territoire("T1")
    application.conclure_cia(ADMIN, "T1", Cia.depuis({
        "date_effet": date(2023, 1, 1), "acte": "CIA 2023",
        "objectifs": [{"bailleur_id": "B1", "taux_hors_qpv_premier_quartile": D("0.25"),
                       "base_hors_qpv": 10}],
        "objectif_travailleurs_essentiels": {"taux": D("0.1")},
        "objectif_sapeurs_pompiers": {"nombre": 3}}))
    body = quotas(vues, "T1", 2023)
    assert body["travailleurs_essentiels"] == {
        "regle": "R-ESSENTIAL-WORKERS-OBJECTIVE", "en_vigueur": True,
        "objectif": {"nombre": None, "taux": 0.1}, "realise": None}
    assert body["sapeurs_pompiers"]["objectif"] == {"nombre": 3, "taux": None}
    avant = quotas(vues, "T1", 2022)
    assert avant["travailleurs_essentiels"]["objectif"] is None
    assert avant["sapeurs_pompiers"]["en_vigueur"] is True  # from 2021-11-27
    agree_with_the_replay(application, vues, date(2023, 12, 31))


def test_the_cia_and_orientations_routes(monde: Monde, client, application) -> None:
    """R-CIA-BAILLEUR-DISTRIBUTION and R-QUOTA-RATE-ADAPTATION through the API: refusals
    record nothing; the territoire shows its CIAs and the CIL's orientations."""
    admin = monde.admin
    assert client.put("/v1/territoires/T1", json={
        "nom": "EPCI", "soumis_mixite_depuis": "2021-01-01", "ile_de_france": False},
        headers=admin).status_code == 200
    client.put("/v1/bailleurs/B2", json={"nom": "Bailleur deux"}, headers=admin)
    body = {"date_effet": "2024-03-15", "acte": "CIA signée le 15 mars 2024", "objectifs": [
        {"bailleur_id": "B1", "taux_hors_qpv_premier_quartile": 0.20, "base_hors_qpv": 60},
        {"bailleur_id": "B2", "taux_hors_qpv_premier_quartile": 0.32, "base_hors_qpv": 40}]}
    with nothing_recorded(application):
        err = assert_error(client.post("/v1/territoires/T1/cia", json=body, headers=admin),
                           422, "VALIDATION", "R-CIA-BAILLEUR-DISTRIBUTION")
        assert err["details"]["taux_pondere"] == "0.2480"
        assert_error(client.post("/v1/territoires/T1/cia", json=body,
                                 headers=monde.bailleur), 403, "FORBIDDEN")
        assert_error(client.post("/v1/territoires/T1/cia", json={
            **body, "objectifs": [{**body["objectifs"][0], "bailleur_id": "B-X"}]},
            headers=admin), 404, "NOT_FOUND")
        assert_error(client.post("/v1/territoires/T1/cia", json={
            **body, "objectif_travailleurs_essentiels": {}}, headers=admin), 422,
            "VALIDATION")
    body["objectifs"][1]["taux_hors_qpv_premier_quartile"] = 0.33
    r = client.post("/v1/territoires/T1/cia", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert (r.json()["taux_pondere_hors_qpv"], r.json()["taux_territoire_hors_qpv"]) == (
        0.252, 0.25)
    orientations = {"date_effet": "2023-01-01", "acte": "CIL", "taux_hors_qpv": 0.2}
    with nothing_recorded(application):
        assert_error(client.post("/v1/territoires/T1/orientations", json=orientations,
                                 headers=admin), 422, "VALIDATION", "R-QUOTA-RATE-ADAPTATION")
    r = client.post("/v1/territoires/T1/orientations",
                    json={**orientations, "taux_hors_qpv": 0.3}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json() == {"territoire_id": "T1", "date_effet": "2023-01-01", "acte": "CIL",
                        "taux_hors_qpv": 0.3, "taux_qpv": None, "adapte": False,
                        "revision_avant": None}
    vue = client.get("/v1/territoires/T1", headers=monde.bailleur).json()
    assert [c["date_effet"] for c in vue["cias"]] == ["2024-03-15"]
    # The CIA shown with the territory's rate on its date as known now: the CIL's 30 %.
    assert vue["cias"][0]["taux_territoire_hors_qpv"] == 0.3
    assert [o["taux_hors_qpv"] for o in vue["orientations"]] == [0.3]


# --- R-QPV-ASSIMILATION-ZUS (EX-22) -------------------------------------------------------------

def facts(vues: Projections) -> list[tuple[Any, ...]]:
    vues.runner.catch_up()
    with vues.db.transaction() as cur:
        position = position_at(cur, None)
        cur.execute(f"SELECT date_signature, qpv, qpv_mixite FROM pv_baux WHERE {BELIEVED} "
                    "ORDER BY date_signature", (position, position))
        return [tuple(r) for r in cur.fetchall()]


def test_EX_22_a_former_zus_counts_as_qpv_for_the_mix_rules_only_in_its_window(
        application, vues, parc):
    """R-QPV-ASSIMILATION-ZUS, EX-22: a former ZUS never classified QPV. (a) Lease on
    2019-05-01: in the QPV 50 % block, out of the hors-QPV 25 % one. (b) 2021-05-01 (v17):
    the 1° window ended on 2020-12-31, hors QPV. (c) Under v20: hors QPV. And the 2°
    window: six years from the quartier's exit. The logement stays non-QPV everywhere else
    (its vacancy, the lease's real flag, which the semester report and the injunction's
    flux read)."""
    parc.territoire("T1")
    application.publier_seuil(ADMIN, "T1", 2016, D("8000"), "arrêté")
    _, vid = parc.bail(date(2019, 5, 1), ancienne_zus=True)
    parc.bail(date(2021, 5, 1), ancienne_zus=True)
    parc.bail(date(2023, 5, 1), ancienne_zus=True)
    parc.bail(date(2020, 6, 1), sortie_qpv_le=date(2019, 1, 1))
    parc.bail(date(2019, 6, 1), sortie_qpv_le=date(2012, 6, 1))  # its six years are over
    assert facts(vues) == [("2019-05-01", 0, 1), ("2019-06-01", 0, 0), ("2020-06-01", 0, 1),
                           ("2021-05-01", 0, 0), ("2023-05-01", 0, 0)]
    b2019 = quotas(vues, "T1", 2019)
    assert (b2019["qpv"]["attributions"], b2019["hors_qpv"]["attributions"]) == (1, 1)
    assert quotas(vues, "T1", 2020)["qpv"]["attributions"] == 1
    assert quotas(vues, "T1", 2021)["hors_qpv"]["attributions"] == 1
    assert quotas(vues, "T1", 2023)["hors_qpv"]["attributions"] == 1
    vacance = vues.vacance(vid, date(2019, 5, 1), None)
    assert vacance is not None and vacance["qpv"] is False and "ancienne_zus" not in vacance
    agree_with_the_replay(application, vues, date(2019, 12, 31))
    agree_with_the_replay(application, vues, date(2020, 12, 31))


def test_the_logement_s_zus_flags_through_the_api(client, auth):
    """R-QPV-ASSIMILATION-ZUS through the API: `ancienne_zus` and `sortie_qpv_le` on the
    logement, in its history, validated."""
    admin = auth("admin")
    client.put("/v1/bailleurs/B1", json={"nom": "B"}, headers=admin)
    client.put("/v1/territoires/T1", json={"nom": "T", "soumis_mixite_depuis": None,
                                           "ile_de_france": False}, headers=admin)
    base = {"bailleur_id": "B1", "territoire_id": "T1", "commune": "C1", "qpv": False,
            "zone_tendue": False, "reservataire_id": None, "date_effet": "2010-01-01"}
    r = client.put("/v1/logements/L1", json=base, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["ancienne_zus"], r.json()["sortie_qpv_le"]) == (False, None)
    r = client.put("/v1/logements/L1", json={**base, "date_effet": "2019-01-01",
                                             "sortie_qpv_le": "2019-01-01"}, headers=admin)
    r = client.put("/v1/logements/L2", json={**base, "ancienne_zus": True}, headers=admin)
    assert r.json()["ancienne_zus"] is True
    vue = client.get("/v1/logements/L1", headers=admin).json()
    assert [v["sortie_qpv_le"] for v in vue["historique"]] == [None, "2019-01-01"]
    assert_error(client.put("/v1/logements/L3", json={**base, "ancienne_zus": "oui"},
                            headers=admin), 422, "VALIDATION")
