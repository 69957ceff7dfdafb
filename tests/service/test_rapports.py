"""R-SEMESTER-REPORT: the semester report (JSON and CSV), and the edge queries of the quota
read models (as_of before any history, known_at in the future, a year without leases)."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest

from tests.helpers_lifecycle import Monde, assert_error
from tests.helpers_quotas import Parc

URL = "/v1/rapports/semestre?bailleur_id=B1&territoire_id=T1"


@pytest.fixture
def parc(application) -> Parc:
    parc = Parc(application, rapports=False)  # the tests transmit
    parc.bail(date(2023, 2, 1), ressources="5000")                 # first quartile
    parc.bail(date(2023, 5, 2), ressources="30000")                # neither
    parc.bail(date(2023, 3, 3), ressources="5000", qpv=True)       # QPV: not in the report
    parc.bail(date(2023, 8, 4), ressources="30000", reloge=True)   # relogé, second semester
    return parc


@pytest.fixture
def client(parc, client):
    """The API opened on the parc: its leases were recorded before the read side knew the
    bailleur enjoined for the reports it had not transmitted (R-6-MONTH-FLUX-INJUNCTION:
    the préfet would designate households of al. 25-26 only); such acts are kept."""
    return client


def test_june_report_lists_the_semesters_hors_qpv_leases(client, auth, parc):
    """R-SEMESTER-REPORT; eligible = first quartile or relogé (R-QUOTA-HORS-QPV-Q1-25);
    no injunction of R-6-MONTH-FLUX-INJUNCTION: the flux is met and every report since v20
    was transmitted on time."""
    Monde(client, auth).transmettre_rapports(date(2022, 6, 30), date(2022, 12, 31))
    body = client.get(f"{URL}&date_fin=2023-06-30", headers=auth("auditeur")).json()
    assert body["regle"] == "R-SEMESTER-REPORT"
    assert body["periode"] == {"debut": "2023-01-01", "fin": "2023-06-30"}
    assert body["echeance"] == "2023-07-15" and body["exigible"] is True
    assert [r["date_signature"] for r in body["attributions"]] == ["2023-02-01", "2023-05-02"]
    assert [r["eligible"] for r in body["attributions"]] == [True, False]
    assert body["semestre"] == {"attributions": 2, "premier_quartile": 1, "reloges": 0,
                                "eligibles": 1, "quartile_inconnu": 0, "taux": 0.5,
                                "objectif": 0.25}
    assert body["annee"]["attributions"] == 2 and body["injonction"] is False


def test_december_report_covers_july_to_december_and_the_whole_year(client, auth, parc):
    """R-SEMESTER-REPORT: the second semester, due on 15 January (DECISIONS §25)."""
    body = client.get(f"{URL}&date_fin=2023-12-31", headers=auth("bailleur", "B1")).json()
    assert body["periode"] == {"debut": "2023-07-01", "fin": "2023-12-31"}
    assert body["echeance"] == "2024-01-15"
    assert [(r["reloge"], r["eligible"]) for r in body["attributions"]] == [(True, True)]
    assert body["semestre"]["taux"] == 1.0
    assert body["annee"]["attributions"] == 3 and body["annee"]["eligibles"] == 2


def test_csv_has_one_row_per_lease(client, auth, parc):
    resp = client.get(f"{URL}&date_fin=2023-06-30",
                      headers=auth("admin", Accept="text/csv"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [r["date_signature"] for r in rows] == ["2023-02-01", "2023-05-02"]
    assert rows[0]["premier_quartile"] == "True" and rows[1]["eligible"] == "False"
    assert "attachment" in resp.headers["content-disposition"]


def test_before_version_20_the_report_is_not_required_but_given(client, auth, parc):
    """R-SEMESTER-REPORT exists only from v20 (HLM_V20_EFFECTIVE_FROM)."""
    parc.bail(date(2019, 3, 1), ressources="5000")
    body = client.get(f"{URL}&date_fin=2019-06-30", headers=auth("auditeur")).json()
    assert body["exigible"] is False and body["semestre"]["attributions"] == 1


def test_a_semester_without_leases_gives_zeros_and_nulls(client, auth, parc):
    Monde(client, auth).transmettre_rapports(date(2022, 6, 30), date(2022, 12, 31),
                                             date(2023, 6, 30), date(2023, 12, 31))
    body = client.get(f"{URL}&date_fin=2024-06-30", headers=auth("auditeur")).json()
    assert body["attributions"] == []
    assert body["semestre"]["attributions"] == 0 and body["semestre"]["taux"] is None
    assert body["annee"]["taux"] is None and body["annee"]["conforme"] is None
    assert body["injonction"] is False


def test_the_report_as_known_at_an_earlier_time_ignores_leases_recorded_later(
        client, auth, application, parc):
    """R-SEMESTER-REPORT as it could have been sent: `known_at` bounds what it counts."""
    time.sleep(0.01)
    before = datetime.now(UTC)
    time.sleep(0.01)
    parc.bail(date(2023, 6, 1), ressources="5000")  # recorded late
    now = client.get(f"{URL}&date_fin=2023-06-30", headers=auth("auditeur")).json()
    then = client.get(f"{URL}&date_fin=2023-06-30&known_at={before.isoformat()}".replace(
        "+", "%2B"), headers=auth("auditeur")).json()
    assert now["semestre"]["attributions"] == 3 and then["semestre"]["attributions"] == 2
    assert then["known_at"] == before.isoformat()


@pytest.mark.parametrize("date_fin", ["2023-06-15", "2023-12-30", "2023-01-01"])
def test_other_dates_than_30_june_and_31_december_are_422(client, auth, parc, date_fin):
    """R-SEMESTER-REPORT: arrêté au 30 juin or au 31 décembre only."""
    err = assert_error(client.get(f"{URL}&date_fin={date_fin}", headers=auth("auditeur")),
                       422, "VALIDATION", "R-SEMESTER-REPORT")
    assert err["details"]["date_fin"] == date_fin


@pytest.mark.parametrize("query", ["date_fin=hier", "date_fin=2023-02-30", "",
                                   "date_fin=2023-06-30&known_at=demain"])
def test_malformed_report_queries_are_422(client, auth, parc, query):
    assert_error(client.get(f"{URL}&{query}", headers=auth("auditeur")), 422, "VALIDATION")


def test_report_roles(client, auth, parc):
    url = f"{URL}&date_fin=2023-06-30"
    assert client.get(url).status_code == 401
    for role, org in (("bailleur", "B2"), ("reservataire", "R1"), ("abonne", None)):
        assert_error(client.get(url, headers=auth(role, org)), 403, "FORBIDDEN")


# --- edge queries of the quota read models (R-QUOTA-HORS-QPV-Q1-25, R-QUOTA-QPV-50,
# R-NONRESERVE-25-DALO, R-COLLECTIVITE-25-DALO, R-6-MONTH-FLUX-INJUNCTION) ---------------

QUOTAS = "/v1/quotas/bailleurs/B1?territoire_id=T1&annee={annee}&as_of={as_of}"


def test_as_of_before_any_history_gives_zeros_and_nulls(client, auth, parc):
    body = client.get(QUOTAS.format(annee=1999, as_of="1999-06-30"),
                      headers=auth("auditeur")).json()
    for block in ("hors_qpv", "qpv", "non_reserves"):
        assert body[block]["attributions"] == 0
        assert body[block]["taux"] is None and body[block]["conforme"] is None
        assert body[block]["objectif"] is None  # no such objective in 1999
    assert body["semestre"]["injonction"] is False
    r = client.get("/v1/quotas/reservataires/R1?annee=1999&as_of=1999-06-30",
                   headers=auth("auditeur")).json()
    assert (r["attributions"], r["taux"], r["objectif"]) == (0, None, None)


def test_known_at_in_the_future_is_everything_known_now(client, auth, parc):
    url = QUOTAS.format(annee=2023, as_of="2023-12-31")
    demain = (datetime.now(UTC) + timedelta(days=365)).isoformat().replace("+", "%2B")
    now = client.get(url, headers=auth("auditeur")).json()
    future = client.get(f"{url}&known_at={demain}", headers=auth("auditeur")).json()
    assert {k: v for k, v in future.items() if k != "known_at"} == \
        {k: v for k, v in now.items() if k != "known_at"}
    assert now["hors_qpv"]["attributions"] == 3


def test_known_at_before_any_record_sees_nothing(client, auth, parc):
    url = QUOTAS.format(annee=2023, as_of="2023-12-31") + "&known_at=2000-01-01T00:00:00Z"
    body = client.get(url, headers=auth("auditeur")).json()
    assert body["hors_qpv"]["attributions"] == 0 and body["hors_qpv"]["objectif"] is None


def test_a_year_with_no_lease_gives_zeros(client, auth, parc):
    body = client.get(QUOTAS.format(annee=2021, as_of="2021-12-31"),
                      headers=auth("auditeur")).json()
    assert body["hors_qpv"] == {"attributions": 0, "premier_quartile": 0, "reloges": 0,
                                "eligibles": 0, "quartile_inconnu": 0, "taux": None,
                                "objectif": 0.25, "conforme": None, "minimum": None,
                                "manque": None}


@pytest.mark.parametrize("query", ["as_of=2023-02-30", "as_of=hier", "known_at=2023-13-01",
                                   "annee=deux-mille"])
def test_invalid_dates_on_quota_reads_are_422(client, auth, parc, query):
    base = "/v1/quotas/bailleurs/B1?territoire_id=T1&annee=2023"
    assert_error(client.get(f"{base}&{query}", headers=auth("auditeur")), 422, "VALIDATION")
    assert_error(client.get(f"/v1/quotas/reservataires/R1?annee=2023&{query}",
                            headers=auth("auditeur")), 422, "VALIDATION")


TRANSMISSIONS = "/v1/rapports/semestre/transmissions"


def test_EX_27_a_transmission_on_time_and_one_late(client, auth, parc):
    """R-SEMESTER-REPORT: due 15 July for 30 June, 15 January for 31 December; the first
    transmission stands, the same again records nothing, another date is a conflict."""
    bailleur = auth("bailleur", "B1")
    juin = {"territoire_id": "T1", "date_fin": "2023-06-30", "date_transmission": "2023-07-15"}
    r = client.post(TRANSMISSIONS, json=juin, headers=bailleur)
    assert r.status_code == 201, r.text
    assert r.json() == {"bailleur_id": "B1", "territoire_id": "T1", "date_fin": "2023-06-30",
                        "date_transmission": "2023-07-15", "echeance": "2023-07-15",
                        "a_temps": True}
    assert client.post(TRANSMISSIONS, json=juin, headers=bailleur).status_code == 200
    assert_error(client.post(TRANSMISSIONS, json={**juin, "date_transmission": "2023-07-16"},
                             headers=bailleur), 409, "RAPPORT_DEJA_TRANSMIS",
                 "R-SEMESTER-REPORT")
    decembre = {"bailleur_id": "B1", "territoire_id": "T1", "date_fin": "2023-12-31",
                "date_transmission": "2024-01-16"}
    r = client.post(TRANSMISSIONS, json=decembre, headers=auth("admin"))
    assert r.status_code == 201 and r.json()["a_temps"] is False
    assert r.json()["echeance"] == "2024-01-15"
    rapport = client.get(f"{URL}&date_fin=2023-06-30", headers=auth("auditeur")).json()
    assert rapport["transmission"]["date_transmission"] == "2023-07-15"


def test_a_transmission_is_shown_as_known_then(client, auth, parc):
    """R-SEMESTER-REPORT: as known before its transmission, the report shows its due date
    and no transmission; as known now, the late one."""
    avant = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    client.post(TRANSMISSIONS, json={"territoire_id": "T1", "date_fin": "2023-06-30",
                                     "date_transmission": "2023-07-20"},
                headers=auth("bailleur", "B1"))
    rapport = client.get(f"{URL}&date_fin=2023-06-30&known_at={quote(avant)}",
                         headers=auth("auditeur")).json()
    assert rapport["transmission"] == {"bailleur_id": "B1", "territoire_id": "T1",
                                       "date_fin": "2023-06-30", "date_transmission": None,
                                       "echeance": "2023-07-15", "a_temps": None}
    now = client.get(f"{URL}&date_fin=2023-06-30", headers=auth("auditeur")).json()
    assert now["transmission"]["a_temps"] is False


@pytest.mark.parametrize(("body", "status", "code", "rule"), [
    ({"date_fin": "2023-09-30", "date_transmission": "2023-10-01"}, 422, "VALIDATION",
     "R-SEMESTER-REPORT"),
    ({"date_fin": "2023-06-30", "date_transmission": "2023-06-29"}, 422, "DATE_INCOHERENTE",
     "R-SEMESTER-REPORT"),
    ({"date_fin": "2023-06-30", "date_transmission": "2099-07-01"}, 422, "DATE_FUTURE",
     None),
    ({"date_fin": "2023-06-30", "date_transmission": "2023-07-01", "territoire_id": "T-X"},
     404, "NOT_FOUND", None),
])
def test_a_bad_transmission_records_nothing(client, auth, parc, application, body, status,
                                            code, rule):
    """R-SEMESTER-REPORT: a date that ends no semester, a transmission before the end, one
    in the future, an unknown territory: refused, nothing recorded."""
    before = application.compter_evenements()
    assert_error(client.post(TRANSMISSIONS, json={"territoire_id": "T1", **body},
                             headers=auth("bailleur", "B1")), status, code, rule)
    assert application.compter_evenements() == before


def test_only_the_bailleur_itself_or_admin_transmits(client, auth, parc):
    """R-SEMESTER-REPORT is the bailleur's: another bailleur and the auditeur are refused;
    the administrator names the bailleur."""
    juin = {"bailleur_id": "B1", "territoire_id": "T1", "date_fin": "2023-06-30",
            "date_transmission": "2023-07-10"}
    assert_error(client.post(TRANSMISSIONS, json=juin, headers=auth("bailleur", "B2")), 403,
                 "FORBIDDEN")
    assert_error(client.post(TRANSMISSIONS, json=juin, headers=auth("auditeur")), 403,
                 "FORBIDDEN")
    assert_error(client.post(TRANSMISSIONS, json={k: v for k, v in juin.items()
                                                  if k != "bailleur_id"},
                             headers=auth("admin")), 422, "VALIDATION")


def test_EX_15_a_report_not_transmitted_raises_the_injunction_until_it_is(client, auth, parc):
    """R-6-MONTH-FLUX-INJUNCTION on the report ground: the 2022-12-31 report not transmitted
    by 2023-01-15 enjoins the bailleur from 2023-01-16 although its flux is met; once
    transmitted, with the twelve-month flux at the objective, the injunction is lifted."""
    Monde(client, auth).transmettre_rapports(date(2022, 6, 30))
    quotas = "/v1/quotas/bailleurs/B1?territoire_id=T1&annee=2023&as_of=2023-03-31"
    semestre = client.get(quotas, headers=auth("auditeur")).json()["semestre"]
    assert (semestre["injonction"], semestre["injonction_motif"],
            semestre["injonction_depuis"]) == (True, "RAPPORT_NON_TRANSMIS", "2023-01-16")
    r = client.post(TRANSMISSIONS, headers=auth("bailleur", "B1"), json={
        "territoire_id": "T1", "date_fin": "2022-12-31", "date_transmission": "2023-04-03"})
    assert r.status_code == 201 and r.json()["a_temps"] is False
    semestre = client.get(quotas.replace("2023-03-31", "2023-04-30"),
                          headers=auth("auditeur")).json()["semestre"]
    assert (semestre["injonction"], semestre["injonction_levee_le"]) == (False, "2023-04-03")
    # On 2023-03-31, before the transmission, it ran: the answer for that day stays.
    avant = client.get(quotas, headers=auth("auditeur")).json()["semestre"]
    assert avant["injonction"] is True
