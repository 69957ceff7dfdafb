"""R-6-MONTH-FLUX-INJUNCTION (L441-1 al. 34): while the injunction runs, the bailleur's
hors-QPV vacancies are the préfet's to designate on; its attributions count in the quota
and are marked; acts that the injunction, as known later, should have stopped are kept and
flagged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.commandes import DecisionCommission, DepotDemande, EtatLogement
from tests.helpers_lifecycle import assert_error, nothing_recorded
from tests.service.test_quotas import ADMIN, BAILLEUR, Parc

PREFET = "R-ETAT"
QUOTAS = "/v1/quotas/bailleurs/B1?territoire_id=T1&annee=2023&as_of=2023-12-31"


@pytest.fixture
def parc(client, application) -> Parc:
    """T1 subject since 2017, every report transmitted, R-ETAT acting for the préfet."""
    parc = Parc(application)
    application.definir_reservataire(ADMIN, PREFET, "Préfecture", "etat")
    application.definir_territoire(ADMIN, "T1", "EPCI", date(2017, 1, 29), False,
                                   prefet_reservataire_id=PREFET)
    return parc


def enjoindre(parc: Parc) -> None:
    """2023 H1: four hors-QPV leases, none qualifying: the flux misses 25 % on 2023-06-30."""
    for mois in (2, 3, 4, 5):
        parc.bail(date(2023, mois, 1), ressources="30000")


def vacance(parc: Parc, jour: date, *, qpv: bool = False) -> str:
    parc.n += 1
    lid = f"LV{parc.n}"
    parc.app.definir_logement(ADMIN, lid, EtatLogement.depuis({
        "bailleur_id": "B1", "territoire_id": "T1", "commune": "C1", "qpv": qpv,
        "zone_tendue": False, "reservataire_id": None, "date_effet": date(2010, 1, 1)}))
    return str(parc.app.declarer_vacance(BAILLEUR, lid, jour).id)


def demande(parc: Parc, ressources: str = "5000", reloge: bool = False) -> str:
    parc.n += 1
    return str(parc.app.deposer_demande(ADMIN, DepotDemande.depuis({
        "numero_unique": f"NI{parc.n}", "date_depot": date(2015, 1, 1),
        "demandeur_id": f"PI{parc.n}", "personnes_a_loger": [],
        "ressources_annuelles": Decimal(ressources), "unites_consommation": Decimal(1),
        "dalo": False, "categories_prioritaires": [],
        "relogement_renouvellement_urbain": reloge})).id)


def designer(client, auth, vid: str, did: str, jour: str, role: str, org: str | None):
    return client.post(f"/v1/vacances/{vid}/designations", headers=auth(role, org),
                       json={"demande_id": did, "date": jour})


def test_under_injunction_only_the_prefet_designates_on_hors_qpv(client, auth, application,
                                                                   parc):
    """R-6-MONTH-FLUX-INJUNCTION (EX-14: enjoined on the semester end whose flux misses the
    objective): the bailleur's hors-QPV vacancies are the préfet's."""
    enjoindre(parc)
    vid, did = vacance(parc, date(2023, 7, 10)), demande(parc)
    with nothing_recorded(application):
        r = designer(client, auth, vid, did, "2023-07-12", "bailleur", "B1")
        body = assert_error(r, 403, "FORBIDDEN", "R-6-MONTH-FLUX-INJUNCTION")
        assert body["details"]["designataire"] == "prefet"
    # Another réservataire of the State is not the one acting for this préfet.
    application.definir_reservataire(ADMIN, "R-ETAT-2", "Autre préfecture", "etat")
    with nothing_recorded(application):
        assert designer(client, auth, vid, did, "2023-07-12", "reservataire",
                        "R-ETAT-2").status_code == 403
    r = designer(client, auth, vid, did, "2023-07-12", "reservataire", PREFET)
    assert r.status_code == 201, r.text
    [designation] = r.json()["designations"]
    assert (designation["par"], designation["organisation"], designation["tour"]) == (
        "prefet", PREFET, None)
    # The préfet reads the vacancy it designated on; the bailleur's turns are unchanged.
    lue = client.get(f"/v1/vacances/{vid}", headers=auth("reservataire", PREFET))
    assert lue.status_code == 200 and lue.json()["designations"][0]["par"] == "prefet"
    assert [t["designataire"] for t in lue.json()["tours"]] == ["bailleur"]


def test_a_qpv_vacancy_or_a_day_before_the_injunction_stays_the_bailleurs(client, auth,
                                                                          application, parc):
    """R-6-MONTH-FLUX-INJUNCTION: QPV logements and days before the injunction are not the
    préfet's; there its réservataire is refused by the organisation check, which says
    nothing of the vacancy."""
    enjoindre(parc)
    qpv = vacance(parc, date(2023, 7, 10), qpv=True)
    assert designer(client, auth, qpv, demande(parc), "2023-07-12", "bailleur",
                    "B1").status_code == 201
    hors = vacance(parc, date(2023, 6, 10))
    assert designer(client, auth, hors, demande(parc), "2023-06-29", "bailleur",
                    "B1").status_code == 201
    assert designer(client, auth, hors, demande(parc), "2023-06-30", "bailleur",
                    "B1").status_code == 403
    autre = demande(parc)
    with nothing_recorded(application):
        for vid, jour in ((qpv, "2023-07-12"), (hors, "2023-06-29")):
            r = designer(client, auth, vid, autre, jour, "reservataire", PREFET)
            body = assert_error(r, 403, "FORBIDDEN")
            assert body["details"] == {"action": "vacance.designer"}


def test_the_prefets_attributions_count_and_are_marked(client, auth, application, parc):
    """R-6-MONTH-FLUX-INJUNCTION (EX-14): the préfet's attributions count in the quota, both
    sides of the rate, apart from the bailleur's non-réservé pool."""
    enjoindre(parc)
    vid, did = vacance(parc, date(2023, 7, 10)), demande(parc, "5000")  # first quartile
    assert designer(client, auth, vid, did, "2023-07-12", "reservataire",
                    PREFET).status_code == 201
    application.decider(BAILLEUR, vid, date(2023, 7, 20),
                        [DecisionCommission(did, "attribution", rang=1)])
    application.signer_bail(BAILLEUR, vid, did, date(2023, 7, 25))
    body = client.get(QUOTAS, headers=auth("auditeur")).json()
    assert body["attributions_prefet"] == {"regle": "R-6-MONTH-FLUX-INJUNCTION",
                                           "attributions_prefet": 1, "hors_injonction": []}
    assert (body["hors_qpv"]["attributions"], body["hors_qpv"]["eligibles"]) == (5, 1)
    # Neither the bailleur's pool (R-NONRESERVE-25-DALO) nor a réservataire's own.
    assert body["non_reserves"]["attributions"] == 4


def test_an_act_the_injunction_known_later_forbids_is_kept_and_flagged(client, auth,
                                                                       application, parc):
    """The bailleur designates on 2023-07-20 while nothing says it is enjoined; the leases
    of the first semester, recorded afterwards, start the injunction on 2023-06-30: the
    act stands and is flagged."""
    vid, did = vacance(parc, date(2023, 7, 10)), demande(parc, "30000")
    assert designer(client, auth, vid, did, "2023-07-20", "bailleur", "B1").status_code == 201
    application.decider(BAILLEUR, vid, date(2023, 7, 25),
                        [DecisionCommission(did, "attribution", rang=1)])
    application.signer_bail(BAILLEUR, vid, did, date(2023, 7, 28))
    avant = client.get(QUOTAS, headers=auth("auditeur")).json()
    assert avant["attributions_prefet"]["hors_injonction"] == []
    enjoindre(parc)  # recorded late
    apres = client.get(QUOTAS, headers=auth("auditeur")).json()
    assert apres["semestre"]["injonction_depuis"] == "2023-06-30"
    assert apres["attributions_prefet"] == {"regle": "R-6-MONTH-FLUX-INJUNCTION",
                                            "attributions_prefet": 0,
                                            "hors_injonction": [vid]}


def test_the_prefet_designates_only_households_of_al_25_or_26(client, auth, application,
                                                               parc):
    """R-6-MONTH-FLUX-INJUNCTION: "aux publics concernés": a household neither first
    quartile (R-Q1-THRESHOLD) nor relogé is refused, nothing recorded; a relogé one is not."""
    enjoindre(parc)
    vid, aise = vacance(parc, date(2023, 7, 10)), demande(parc, "30000")
    with nothing_recorded(application):
        r = designer(client, auth, vid, aise, "2023-07-12", "reservataire", PREFET)
        assert_error(r, 422, "MENAGE_NON_CONCERNE", "R-6-MONTH-FLUX-INJUNCTION")
    reloge = demande(parc, "30000", reloge=True)
    assert designer(client, auth, vid, reloge, "2023-07-12", "reservataire",
                    PREFET).status_code == 201


def test_the_prefets_reservataire_must_be_of_the_state(client, auth, application, parc):
    """R-6-MONTH-FLUX-INJUNCTION: the réservataire acting for the préfet is the State's."""
    with nothing_recorded(application):
        r = client.put("/v1/territoires/T1", headers=auth("admin"), json={
            "nom": "EPCI", "soumis_mixite_depuis": "2017-01-29", "ile_de_france": False,
            "prefet_reservataire_id": "R1"})
        assert_error(r, 422, "RESERVATAIRE_NON_ETAT", "R-6-MONTH-FLUX-INJUNCTION")
    r = client.get("/v1/territoires/T1", headers=auth("admin"))
    assert r.json()["prefet_reservataire_id"] == PREFET


def test_without_a_prefet_recorded_only_an_administrator_designates(client, auth,
                                                                    application, parc):
    """R-6-MONTH-FLUX-INJUNCTION: a territory without a préfet's réservataire recorded."""
    application.definir_territoire(ADMIN, "T1", "EPCI", date(2017, 1, 29), False)
    enjoindre(parc)
    vid = vacance(parc, date(2023, 7, 10))
    assert designer(client, auth, vid, demande(parc), "2023-07-12", "reservataire",
                    PREFET).status_code == 403
    r = designer(client, auth, vid, demande(parc), "2023-07-12", "admin", None)
    assert r.status_code == 201 and r.json()["designations"][0]["par"] == "prefet"
