"""A small builder for HTTP lifecycle tests: reference data, demandes and the attribution
cycle of a vacancy, driven through the public API as each actor would."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from domain.application import HlmApplication
from tests import helpers_http as http
from tests.helpers_sec import fins_de_semestre_echues

BAILLEUR = "B1"
RESERVATAIRE = "R1"
TERRITOIRE = "T1"
COMMUNE = "C1"

Headers = Callable[..., dict[str, str]]


def assert_error(resp: Response, status: int, code: str, rule: str | None = None) -> dict:
    """The contract's error shape with this code, and this rule id or none."""
    return http.assert_error(resp, status, code, rule)


@contextmanager
def nothing_recorded(application: HlmApplication):
    """The store's event count is unchanged by what runs inside."""
    before = application.compter_evenements()
    yield
    assert application.compter_evenements() == before


class Monde:
    """One bailleur, one réservataire, one territory with its thresholds, and helpers for
    each step of the cycle. Every call returns the raw response for the test to check."""

    def __init__(self, client: TestClient, auth: Headers) -> None:
        self.client = client
        self.auth = auth
        self.admin = auth("admin")
        self.bailleur = auth("bailleur", BAILLEUR)
        self.reservataire = auth("reservataire", RESERVATAIRE)
        self.commune = auth("commune", COMMUNE)
        self._n = 0

    # --- reference data ----------------------------------------------------------------

    def referentiel(self, seuils: dict[int, float] | None = None) -> Monde:
        """The bailleur, the réservataire, the territory subject to the mix rules since
        2017-01-29 with its thresholds (`seuils`, by year), and every semester report due
        by today transmitted on time."""
        c, h = self.client, self.admin
        assert c.put(f"/v1/bailleurs/{BAILLEUR}", json={"nom": "Bailleur un"},
                     headers=h).status_code == 200
        assert c.put(f"/v1/reservataires/{RESERVATAIRE}",
                     json={"nom": "Action Logement", "type": "action_logement"},
                     headers=h).status_code == 200
        assert c.put(f"/v1/territoires/{TERRITOIRE}",
                     json={"nom": "EPCI un", "soumis_mixite_depuis": "2017-01-29",
                           "ile_de_france": False}, headers=h).status_code == 200
        for annee, montant in (seuils or {2018: 8000, 2023: 8100}).items():
            r = c.post(f"/v1/territoires/{TERRITOIRE}/seuils",
                       json={"annee": annee, "montant_par_uc": montant,
                             "acte": f"arrêté {annee}"}, headers=h)
            assert r.status_code == 201, r.text
        self.transmettre_rapports()
        return self

    def transmettre_rapports(self, *fins: date) -> None:
        """The bailleur's semester reports ending on `fins` (by default every one due by
        today, from v20 on) transmitted on time, ten days after the semester's end
        (R-SEMESTER-REPORT): else the préfet's injunction for a missing report
        (R-6-MONTH-FLUX-INJUNCTION) takes its hors-QPV vacancies."""
        for fin in fins or fins_de_semestre_echues():
            r = self.client.post("/v1/rapports/semestre/transmissions", json={
                "bailleur_id": BAILLEUR, "territoire_id": TERRITOIRE,
                "date_fin": fin.isoformat(),
                "date_transmission": (fin + timedelta(days=10)).isoformat()},
                headers=self.admin)
            assert r.status_code == 201, r.text

    def logement(self, logement_id: str, *, qpv: bool = False, zone_tendue: bool = True,
                 reservataire_id: str | None = RESERVATAIRE,
                 date_effet: str = "2010-01-01") -> str:
        r = self.client.put(f"/v1/logements/{logement_id}", json={
            "bailleur_id": BAILLEUR, "territoire_id": TERRITOIRE, "commune": COMMUNE,
            "qpv": qpv, "zone_tendue": zone_tendue, "reservataire_id": reservataire_id,
            "date_effet": date_effet}, headers=self.admin)
        assert r.status_code == 200, r.text
        return logement_id

    # --- demandes ----------------------------------------------------------------------

    @staticmethod
    def payload_demande(numero: str, *, date_depot: str = "2020-01-15",
                        demandeur_id: str | None = None, ressources: float = 20000,
                        uc: float = 2, personnes: list[dict[str, str]] | None = None,
                        **extra: Any) -> dict[str, Any]:
        return {"numero_unique": numero, "date_depot": date_depot,
                "demandeur_id": demandeur_id or f"P-{numero}",
                "personnes_a_loger": personnes or [], "ressources_annuelles": ressources,
                "unites_consommation": uc, "dalo": False, "categories_prioritaires": [],
                "relogement_renouvellement_urbain": False, **extra}

    def post_demande(self, payload: dict[str, Any]) -> Response:
        return self.client.post("/v1/demandes", json=payload, headers=self.bailleur)

    def demande(self, numero: str | None = None, **kw: Any) -> str:
        """File a demande and return its id."""
        if numero is None:
            self._n += 1
            numero = f"0750123{self._n:05d}"
        r = self.post_demande(self.payload_demande(numero, **kw))
        assert r.status_code == 201, r.text
        return r.json()["demande_id"]

    def get_demande(self, demande_id: str, **params: str) -> dict[str, Any]:
        r = self.client.get(f"/v1/demandes/{demande_id}", params=params, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()

    def historique(self, demande_id: str) -> list[dict[str, Any]]:
        r = self.client.get(f"/v1/demandes/{demande_id}/historique", headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()["evenements"]

    def separer(self, demande_id: str, body: dict[str, Any]) -> Response:
        return self.client.post(f"/v1/demandes/{demande_id}/separation", json=body,
                                headers=self.bailleur)

    def radier(self, demande_id: str, date: str, motif: str = "renonciation") -> Response:
        return self.client.post(f"/v1/demandes/{demande_id}/radiation",
                                json={"date": date, "motif": motif}, headers=self.bailleur)

    # --- the cycle -----------------------------------------------------------------------

    def post_vacance(self, logement_id: str, date_information: str) -> Response:
        return self.client.post(f"/v1/logements/{logement_id}/vacances",
                                json={"date_information": date_information},
                                headers=self.bailleur)

    def vacance(self, logement_id: str, date_information: str) -> str:
        r = self.post_vacance(logement_id, date_information)
        assert r.status_code == 201, r.text
        return r.json()["vacance_id"]

    def designer(self, vacance_id: str, demande_id: str, date: str,
                 headers: dict[str, str] | None = None) -> Response:
        return self.client.post(f"/v1/vacances/{vacance_id}/designations",
                                json={"demande_id": demande_id, "date": date},
                                headers=headers or self.reservataire)

    def decider(self, vacance_id: str, date_commission: str,
                *decisions: dict[str, Any]) -> Response:
        return self.client.post(f"/v1/vacances/{vacance_id}/decisions",
                                json={"date_commission": date_commission,
                                      "decisions": list(decisions)},
                                headers=self.bailleur)

    @staticmethod
    def attribution(demande_id: str, rang: int | None = 1, decision: str = "attribution",
                    votes: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"demande_id": demande_id, "decision": decision, "rang": rang,
                "motif": None, "votes": votes}

    @staticmethod
    def non_attribution(demande_id: str, motif: str = "ressources") -> dict[str, Any]:
        return {"demande_id": demande_id, "decision": "non_attribution", "rang": None,
                "motif": motif, "votes": None}

    def refuser(self, vacance_id: str, demande_id: str, date: str) -> Response:
        return self.client.post(f"/v1/vacances/{vacance_id}/refus",
                                json={"demande_id": demande_id, "date": date,
                                      "motif": "trop loin"}, headers=self.bailleur)

    def bail(self, vacance_id: str, demande_id: str, date_signature: str) -> Response:
        return self.client.post(f"/v1/vacances/{vacance_id}/bail",
                                json={"demande_id": demande_id,
                                      "date_signature": date_signature},
                                headers=self.bailleur)

    def get_vacance(self, vacance_id: str, **params: str) -> dict[str, Any]:
        r = self.client.get(f"/v1/vacances/{vacance_id}", params=params, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()

    def attribuee(self, logement_id: str, date_information: str, demande_id: str,
                  date_commission: str, headers: dict[str, str] | None = None) -> str:
        """A vacancy on which `demande_id` is designated (by default by the réservataire)
        and attributed rank 1."""
        vid = self.vacance(logement_id, date_information)
        r = self.designer(vid, demande_id, date_information, headers)
        assert r.status_code == 201, r.text
        r = self.decider(vid, date_commission, self.attribution(demande_id))
        assert r.status_code == 201, r.text
        return vid


def designation(vue: dict[str, Any], demande_id: str) -> dict[str, Any]:
    return next(d for d in vue["designations"] if d["demande_id"] == demande_id)
