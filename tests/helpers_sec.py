"""Shared helpers of the security, validation, idempotency and concurrency tests: a small
territory seeded through the application service, payloads, tokens, error-shape checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from api.schemas import DemandeIn
from domain.application import HlmApplication
from domain.commandes import DecisionCommission, DepotDemande, EtatLogement
from domain.rules.quotas import r_semester_report_due
from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM
from domain.vacance import Acteur
from tests.helpers_http import SECRET, assert_error, bearer, token  # noqa: F401 (re-exported)

ADMIN = Acteur("admin", sub="admin-seed")

TERRITOIRE = "T-EPCI"
B1, B2 = "B1", "B2"
R1, R2 = "R1", "R2"
C1, C2 = "75101", "75102"
SEUIL_2024 = 10_000

# logement id -> (bailleur, commune, qpv, zone_tendue, reservataire)
LOGEMENTS: dict[str, tuple[str, str, bool, bool, str | None]] = {
    "L-RES": (B1, C1, False, True, R1),   # reserved by R1, zone tendue: one-month deadline
    "L-NR": (B1, C1, False, True, None),  # non réservé: the bailleur designates
    "L-NR2": (B1, C1, False, False, None),
    "L-NR3": (B1, C1, False, False, None),
    "L-QPV": (B1, C1, True, False, R1),   # QPV, reserved by R1: goes to the maire on failure
    "L-B2": (B2, C2, False, False, R2),
    # Twins of the above without a vacancy in the seeded world (one open vacancy each).
    "L-RES2": (B1, C1, False, True, R1),
    "L-QPV2": (B1, C1, True, False, R1),
}


def demande_json(numero: str, **overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/demandes body (JSON values)."""
    body: dict[str, Any] = {
        "numero_unique": numero,
        "date_depot": "2023-01-10",
        "demandeur_id": f"P-{numero}",
        "personnes_a_loger": [{"personne_id": f"P2-{numero}", "lien": "conjoint"}],
        "ressources_annuelles": 30000,
        "unites_consommation": 1.5,
        "dalo": False,
        "categories_prioritaires": [],
        "relogement_renouvellement_urbain": False,
    }
    body.update(overrides)
    return body


def deposer(app: HlmApplication, numero: str, **overrides: Any) -> str:
    """File a demande through the application service (as the API would) and return its id."""
    payload = DemandeIn(**demande_json(numero, **overrides)).model_dump()
    return app.deposer_demande(ADMIN, DepotDemande.depuis(payload)).id


def seed_reference(app: HlmApplication) -> None:
    app.definir_bailleur(ADMIN, B1, "Bailleur Un")
    app.definir_bailleur(ADMIN, B2, "Bailleur Deux")
    app.definir_reservataire(ADMIN, R1, "Ville", "collectivite")
    app.definir_reservataire(ADMIN, R2, "Préfecture", "etat")
    app.definir_territoire(ADMIN, TERRITOIRE, "EPCI", date(2015, 1, 1), False)
    app.publier_seuil(ADMIN, TERRITOIRE, 2024, SEUIL_2024, "arrêté 2024")
    for bailleur in (B1, B2):
        transmettre_rapports(app, bailleur, TERRITOIRE)
    for lid, (bailleur, commune, qpv, tendue, res) in LOGEMENTS.items():
        app.definir_logement(ADMIN, lid, EtatLogement.depuis({
            "bailleur_id": bailleur, "territoire_id": TERRITOIRE, "commune": commune,
            "qpv": qpv, "zone_tendue": tendue, "reservataire_id": res,
            "date_effet": date(2020, 1, 1)}))


def premiere_fin_de_semestre(debut: date = DEFAULT_V20_EFFECTIVE_FROM) -> date:
    """The first 30 June or 31 December on or after `debut`: by default the first semester
    whose report is due (R-SEMESTER-REPORT exists from v20 on)."""
    juin = date(debut.year, 6, 30)
    return juin if debut <= juin else date(debut.year, 12, 31)


def fins_de_semestre_echues() -> list[date]:
    """The semester ends from v20 on whose report is due before today."""
    fin, out = premiere_fin_de_semestre(), []
    while r_semester_report_due(fin) < date.today():
        out.append(fin)
        fin = date(fin.year, 12, 31) if fin.month == 6 else date(fin.year + 1, 6, 30)
    return out


def transmettre_rapports(app: HlmApplication, bailleur_id: str, territoire_id: str) -> None:
    """Every semester report transmitted on time: otherwise the préfet's injunction for a
    missing report (R-6-MONTH-FLUX-INJUNCTION) takes the bailleur's hors-QPV vacancies."""
    for fin in fins_de_semestre_echues():
        app.transmettre_rapport(ADMIN, bailleur_id, territoire_id, fin,
                                fin + timedelta(days=10))


def logement_non_reserve(app: HlmApplication, logement_id: str) -> str:
    """Another non-réservé logement of B1 (one open vacancy per logement)."""
    app.definir_logement(ADMIN, logement_id, EtatLogement.depuis({
        "bailleur_id": B1, "territoire_id": TERRITOIRE, "commune": C1, "qpv": False,
        "zone_tendue": False, "reservataire_id": None, "date_effet": date(2020, 1, 1)}))
    return logement_id


def declarer(app: HlmApplication, logement_id: str, jour: date = date(2024, 3, 1)) -> str:
    return app.declarer_vacance(ADMIN, logement_id, jour).id


@dataclass
class World:
    """The seeded territory: demandes by name, vacancies by name."""

    demandes: dict[str, str] = field(default_factory=dict)
    vacances: dict[str, str] = field(default_factory=dict)


def seed_world(app: HlmApplication) -> World:
    """Reference data, a few demandes and vacancies at several stages of their cycle.

    - V_RES: L-RES, the réservataire R1's turn (deadline 2024-04-01);
    - V_NR: L-NR, non réservé, the bailleur B1's turn;
    - V_QPV: L-QPV, R1's candidate D_QPV not attributed: the maire (commune C1) designates;
    - V_DEC: L-NR2, D_DEC designated by B1, awaiting the commission;
    - V_ATTR: L-NR3, D_ATTR attributed rang 1 by the commission, awaiting refusal or lease.
    """
    seed_reference(app)
    w = World()
    for name in ("D1", "D2", "D3", "D_QPV", "D_DEC", "D_ATTR"):
        w.demandes[name] = deposer(app, name)
    w.demandes["D_Q1"] = deposer(app, "D_Q1", ressources_annuelles=6000,
                                 unites_consommation=1)  # first quartile
    w.vacances["V_RES"] = declarer(app, "L-RES")
    w.vacances["V_NR"] = declarer(app, "L-NR")
    w.vacances["V_QPV"] = declarer(app, "L-QPV")
    app.designer(Acteur("reservataire", R1), w.vacances["V_QPV"], w.demandes["D_QPV"],
                 date(2024, 3, 2))
    app.decider(ADMIN, w.vacances["V_QPV"], date(2024, 3, 10), [
        DecisionCommission(w.demandes["D_QPV"], "non_attribution", motif="test")])
    w.vacances["V_DEC"] = declarer(app, "L-NR2")
    app.designer(Acteur("bailleur", B1), w.vacances["V_DEC"], w.demandes["D_DEC"],
                 date(2024, 3, 2))
    w.vacances["V_ATTR"] = declarer(app, "L-NR3")
    app.designer(Acteur("bailleur", B1), w.vacances["V_ATTR"], w.demandes["D_ATTR"],
                 date(2024, 3, 2))
    app.decider(ADMIN, w.vacances["V_ATTR"], date(2024, 3, 10), [
        DecisionCommission(w.demandes["D_ATTR"], "attribution", rang=1)])
    return w
