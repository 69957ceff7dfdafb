"""Quota read models: R-QUOTA-HORS-QPV-Q1-25, R-Q1-THRESHOLD, R-QUOTA-QPV-50,
R-NONRESERVE-25-DALO, R-COLLECTIVITE-25-DALO, R-6-MONTH-FLUX-INJUNCTION, bitemporal."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.commandes import ChangementSituation, EtatLogement
from projections.service import Projections

# Parc, ADMIN and BAILLEUR are also imported from here (tests/service/test_injonction.py).
from tests.helpers_quotas import ADMIN, BAILLEUR, Parc  # noqa: F401 (BAILLEUR re-exported)


@pytest.fixture
def vues(application, settings):
    projections = Projections(application, settings)
    yield projections
    projections.stop()


def figures(vues: Projections, annee: int, as_of: date, known_at: datetime | None = None):
    vues.runner.catch_up()
    return vues.quotas_bailleur("B1", "T1", annee, as_of, known_at)


def test_EX_04_strict_threshold_and_relogés_counted_once(application, vues):
    """R-QUOTA-HORS-QPV-Q1-25 / R-Q1-THRESHOLD: "inférieur à" is strict; a relogé household
    below the threshold counts once."""
    parc = Parc(application)
    parc.bail(date(2023, 3, 1), ressources="8099.99")               # H1 first quartile
    parc.bail(date(2023, 3, 2), ressources="8100")                  # H2 at the threshold
    parc.bail(date(2023, 3, 3), ressources="12000", reloge=True)    # H3 relogé
    parc.bail(date(2023, 3, 4), ressources="5000", reloge=True)     # H4 both
    hors = figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]
    assert hors == {"attributions": 4, "premier_quartile": 2, "reloges": 1, "eligibles": 3,
                    "quartile_inconnu": 0, "taux": 0.75, "objectif": 0.25, "conforme": True,
                    "minimum": 1, "manque": 0}


def test_EX_03_only_attributions_followed_by_a_lease_count(application, vues):
    """R-QUOTA-HORS-QPV-Q1-25: an attribution with no signed lease is in neither the
    numerator nor the denominator."""
    parc = Parc(application)
    parc.bail(date(2023, 5, 1), ressources="5000", signer=False)
    parc.bail(date(2023, 5, 2), ressources="5000")
    parc.bail(date(2023, 5, 3), ressources="30000")
    hors = figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]
    assert (hors["attributions"], hors["eligibles"], hors["taux"]) == (2, 1, 0.5)


def test_as_of_counts_leases_signed_up_to_that_date_only(application, vues):
    parc = Parc(application)
    parc.bail(date(2023, 2, 1), ressources="5000")
    parc.bail(date(2023, 9, 1), ressources="30000")
    assert figures(vues, 2023, date(2023, 6, 30))["hors_qpv"]["attributions"] == 1
    assert figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]["attributions"] == 2
    empty = figures(vues, 2023, date(2022, 12, 31))
    assert empty["hors_qpv"]["attributions"] == 0 and empty["hors_qpv"]["taux"] is None
    assert empty["hors_qpv"]["conforme"] is None


def test_a_late_resources_correction_changes_the_answer_only_when_known(application, vues):
    """Bitemporal: the household's resources corrected after the lease (as of a date before
    the lease) change the first-quartile count only for known_at after the correction."""
    parc = Parc(application)
    did, _ = parc.bail(date(2023, 4, 1), ressources="30000")
    assert figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]["premier_quartile"] == 0
    time.sleep(0.01)
    before = datetime.now(UTC)
    time.sleep(0.01)
    application.modifier_situation(ADMIN, did, date(2023, 1, 1),
                                   ChangementSituation(ressources_annuelles=Decimal("6000")))
    assert figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]["premier_quartile"] == 1
    assert figures(vues, 2023, date(2023, 12, 31), before)["hors_qpv"]["premier_quartile"] == 0


def test_a_threshold_published_late_is_applied_from_when_it_is_known(application, vues):
    """R-Q1-THRESHOLD: the arrêté of the lease year, recorded after the lease."""
    parc = Parc(application, seuils={2016: "5000"})
    parc.bail(date(2023, 4, 1), ressources="7000")
    assert figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]["premier_quartile"] == 0
    application.publier_seuil(ADMIN, "T1", 2023, Decimal("8100"), "arrêté 2023")
    assert figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]["premier_quartile"] == 1


def test_QPV_and_non_reserved_blocks_with_their_dates_of_entry_into_force(application, vues):
    """R-QUOTA-QPV-50 from 2018-11-25; R-NONRESERVE-25-DALO and the hors-QPV objective from
    2017-01-29. A lease counts toward a rule only if the rule was in force on its date: the
    QPV leases of June 2018 never enter the 2018 QPV base, whatever `as_of`."""
    parc = Parc(application, seuils={2016: "8000"})
    parc.bail(date(2018, 6, 1), ressources="5000", qpv=True)
    parc.bail(date(2018, 6, 2), ressources="30000", qpv=True, dalo=True)
    mid = figures(vues, 2018, date(2018, 6, 30))
    assert mid["qpv"]["attributions"] == 0 and mid["qpv"]["objectif"] is None
    assert mid["hors_qpv"]["objectif"] == 0.25
    assert mid["non_reserves"] == {"attributions": 2, "dalo_ou_prioritaires": 1,
                                   "taux": 0.5, "objectif": 0.25, "conforme": True,
                                   "minimum": 1, "manque": 0}
    end = figures(vues, 2018, date(2018, 12, 31))
    assert end["qpv"]["attributions"] == 0 and end["qpv"]["objectif"] == 0.5
    assert end["qpv"]["conforme"] is None                      # nothing to judge yet
    parc.bail(date(2018, 12, 3), ressources="30000", qpv=True)
    end = figures(vues, 2018, date(2018, 12, 31))
    assert (end["qpv"]["attributions"], end["qpv"]["conforme"]) == (1, True)
    assert figures(vues, 2016, date(2016, 12, 31))["hors_qpv"]["objectif"] is None


def test_R_COLLECTIVITE_25_DALO_counts_the_collectivité_s_own_candidates(application, vues):
    parc = Parc(application)
    parc.bail(date(2023, 3, 1), reserve=True, dalo=True)
    parc.bail(date(2023, 3, 2), reserve=True)
    parc.bail(date(2023, 3, 3), reserve=False, dalo=True)
    vues.runner.catch_up()
    body = vues.quotas_reservataire("R1", 2023, date(2023, 12, 31), None)
    assert (body.pop("as_of"), body.pop("known_at")) == ("2023-12-31", None)
    assert body == {"reservataire_id": "R1", "annee": 2023, "attributions": 2,
                    "dalo_ou_prioritaires": 1, "taux": 0.5, "objectif": 0.25,
                    "conforme": True, "minimum": 1, "manque": 0}
    assert vues.quotas_reservataire("R1", 2016, date(2016, 12, 31), None)["objectif"] is None


def test_R_6_MONTH_FLUX_INJUNCTION_under_v20(application, vues):
    parc = Parc(application)
    for i in range(4):
        parc.bail(date(2023, 2 + i, 1), ressources="30000")
    semestre = figures(vues, 2023, date(2023, 6, 30))["semestre"]
    assert semestre["debut"] == "2023-01-01" and semestre["fin"] == "2023-06-30"
    assert semestre["hors_qpv_taux_6_mois"] == 0.0 and semestre["injonction"] is True


def test_quota_endpoint_roles_and_shape(client, auth, application):
    Parc(application).bail(date(2023, 3, 1), ressources="5000")
    url = "/v1/quotas/bailleurs/B1?territoire_id=T1&annee=2023&as_of=2023-12-31"
    body = client.get(url, headers=auth("bailleur", "B1")).json()
    assert set(body) >= {"bailleur_id", "territoire_id", "annee", "as_of", "known_at",
                         "hors_qpv", "qpv", "non_reserves", "semestre"}
    assert body["hors_qpv"]["premier_quartile"] == 1
    assert client.get(url, headers=auth("auditeur")).status_code == 200
    assert client.get(url, headers=auth("bailleur", "B2")).status_code == 403
    assert client.get(url.replace("annee=2023", "annee=abc"),
                      headers=auth("admin")).status_code == 422
    r = client.get("/v1/quotas/reservataires/R1?annee=2023", headers=auth("reservataire", "R1"))
    assert r.status_code == 200 and r.json()["objectif"] == 0.25


def test_a_correction_after_a_projector_restart_still_reaches_the_lease(application,
                                                                        settings):
    """R-Q1-THRESHOLD / R-QUOTA-HORS-QPV-Q1-25: the lease of a corrected demande is found
    from the table, not from memory."""
    parc = Parc(application)
    did, _ = parc.bail(date(2023, 4, 1), ressources="30000")
    first = Projections(application, settings)
    try:
        assert figures(first, 2023, date(2023, 12, 31))["hors_qpv"]["premier_quartile"] == 0
    finally:
        first.stop()
    application.modifier_situation(ADMIN, did, date(2023, 1, 1),
                                   ChangementSituation(ressources_annuelles=Decimal("6000")))
    second = Projections(application, settings)
    try:
        assert figures(second, 2023, date(2023, 12, 31))["hors_qpv"]["premier_quartile"] == 1
    finally:
        second.stop()


def test_a_lease_whose_quartile_cannot_be_known_is_counted_apart(application, vues):
    """R-QUOTA-QPV-50 / R-QUOTA-HORS-QPV-Q1-25 with no threshold published for the year: the
    leases are neither first quartile nor "autre"; the blocks are undetermined, not
    compliant (three QPV leases used to give 100 %). The threshold, once published, decides."""
    parc = Parc(application, seuils={})
    for jour in (3, 4, 5):
        parc.bail(date(2023, 3, jour), qpv=True)
    parc.bail(date(2023, 4, 1))
    parc.bail(date(2023, 4, 2))
    body = figures(vues, 2023, date(2023, 12, 31))
    qpv, hors = body["qpv"], body["hors_qpv"]
    assert (qpv["attributions"], qpv["autres_quartiles"], qpv["quartile_inconnu"]) == (3, 0, 3)
    assert qpv["conforme"] is None and qpv["taux"] == 0.0
    assert (hors["eligibles"], hors["quartile_inconnu"], hors["conforme"]) == (0, 2, None)
    assert hors["manque"] == 1
    application.publier_seuil(ADMIN, "T1", 2023, Decimal("8100"), "arrêté 2023")
    body = figures(vues, 2023, date(2023, 12, 31))
    assert (body["qpv"]["autres_quartiles"], body["qpv"]["quartile_inconnu"],
            body["qpv"]["conforme"]) == (3, 0, True)
    assert (body["hors_qpv"]["quartile_inconnu"], body["hors_qpv"]["conforme"]) == (0, False)


def test_a_relogé_qualifies_whatever_its_quartile(application, vues):
    """R-QUOTA-HORS-QPV-Q1-25 (al. 26): a relogé household qualifies though no threshold is
    published (R-Q1-THRESHOLD), the other lease's quartile staying unknown."""
    parc = Parc(application, seuils={})
    parc.bail(date(2023, 4, 1), reloge=True)
    parc.bail(date(2023, 4, 2))
    hors = figures(vues, 2023, date(2023, 12, 31))["hors_qpv"]
    assert (hors["eligibles"], hors["quartile_inconnu"], hors["conforme"]) == (1, 1, True)


def test_a_view_of_an_older_shape_is_built_again_from_the_log(application, settings):
    """A store whose quota rows were written before `quartile_inconnu` (no such column,
    no shape recorded) gets the view built again from the first event by the next
    projector that holds the lock."""
    parc = Parc(application, seuils={})
    parc.bail(date(2023, 3, 3), qpv=True)
    first = Projections(application, settings)
    try:
        first.runner.catch_up()
        with first.db.transaction() as cur:
            # The table as the code before issue 10 created it: no quartile_inconnu.
            cur.execute("DROP TABLE pv_baux")
            cur.execute(
                "CREATE TABLE pv_baux (vacance_id TEXT NOT NULL, demande_id TEXT NOT NULL, "
                "bailleur_id TEXT NOT NULL, territoire_id TEXT NOT NULL, reservataire_id "
                "TEXT, reservataire_type TEXT, date_signature TEXT NOT NULL, qpv INTEGER NOT "
                "NULL, premier_quartile INTEGER NOT NULL, reloge INTEGER NOT NULL, dalo "
                "INTEGER NOT NULL, prioritaire INTEGER NOT NULL, pool_bailleur INTEGER NOT "
                "NULL, recorded_from BIGINT NOT NULL, superseded_at BIGINT)")
            cur.execute("UPDATE hlm_vues SET forme = NULL")
    finally:
        first.stop()
    second = Projections(application, settings)
    try:
        qpv = figures(second, 2023, date(2023, 12, 31))["qpv"]
        assert (qpv["attributions"], qpv["quartile_inconnu"]) == (1, 1)
        assert {s.nom: s.erreur for s in second.runner.statuses().values()}["quotas"] is None
    finally:
        second.stop()


def test_R_GOV_STATISTICS_every_bailleur_of_the_territory_together(client, auth, application):
    """L441-1 al. 37: the territory's base, qualifying count and rate of both rules, against
    the statutory rates; admin and auditeur only."""
    parc = Parc(application)
    parc.bail(date(2023, 3, 1), ressources="5000")            # first quartile, hors QPV
    parc.bail(date(2023, 3, 2))                               # other, hors QPV
    parc.bail(date(2023, 3, 3), ressources="5000", qpv=True)  # first quartile, QPV
    application.definir_bailleur(ADMIN, "B2", "Autre bailleur")
    application.definir_logement(ADMIN, "L-B2", EtatLogement.depuis({
        "bailleur_id": "B2", "territoire_id": "T1", "commune": "C1", "qpv": False,
        "zone_tendue": False, "reservataire_id": None, "date_effet": date(2010, 1, 1)}))
    url = "/v1/statistiques/territoires/T1?annee=2023&as_of=2023-12-31"
    body = client.get(url, headers=auth("auditeur")).json()
    assert body["regle"] == "R-GOV-STATISTICS" and body["territoire_id"] == "T1"
    hors, qpv = body["hors_qpv"], body["qpv"]
    assert (hors["attributions"], hors["eligibles"], hors["taux"], hors["objectif"],
            hors["conforme"]) == (2, 1, 0.5, 0.25, True)
    assert (qpv["attributions"], qpv["autres_quartiles"], qpv["taux"], qpv["objectif"],
            qpv["conforme"]) == (1, 0, 0.0, 0.5, False)
    assert client.get(url, headers=auth("admin")).status_code == 200
    for role, org in (("bailleur", "B1"), ("reservataire", "R1"), ("abonne", None)):
        assert client.get(url, headers=auth(role, org)).status_code == 403
    before = client.get(url.replace("2023-12-31", "2016-12-31").replace("2023", "2016", 1),
                        headers=auth("auditeur")).json()
    assert before["hors_qpv"]["objectif"] is None and before["qpv"]["objectif"] is None
