"""`hlm demo`: a realistic small territory, written through the application (not rows).

Two territoires, three bailleurs, four réservataires of every type, about forty logements,
about eighty demandes filed between 2012 and 2025, vacancies at every stage of the cycle, a
separation before and one after 2014-03-27 (R-SENIORITY-SEPARATION).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console

from domain.application import HlmApplication
from domain.commandes import (
    DecisionCommission,
    DepotDemande,
    EtatLogement,
    ModeSeparation,
    Personne,
    Separation,
    Situation,
    VotesCommission,
)
from domain.issue import Issue, Rejoue
from domain.rules.cycle import Decision
from domain.rules.priorities import CATEGORIES
from domain.rules.quotas import r_semester_report_due
from domain.vacance import Acteur
from infra.settings import Settings
from infra.tokens import make_token

ADMIN = Acteur("admin", sub="demo")
TERRITOIRES = {
    "T-METRO-NORD": ("Métropole Nord (EPCI)", date(2017, 1, 29), False),
    "T-EPT-SUD": ("EPT Grand Paris Sud", date(2017, 1, 29), True),
}
BAILLEURS = {"B-HABITAT-NORD": "Habitat Nord", "B-LOGIS-SUD": "Logis Sud",
             "B-OPH-VILLE": "OPH de la Ville"}
RESERVATAIRES = {
    "R-PREFECTURE": ("Préfecture (contingent de l'Etat)", "etat"),
    "R-COMMUNE-LILLE": ("Commune de Lille", "collectivite"),
    "R-ACTION-LOGEMENT": ("Action Logement Services", "action_logement"),
    "R-HOPITAL": ("Centre hospitalier", "autre"),
}
COMMUNES = {"T-METRO-NORD": ["LILLE", "ROUBAIX"], "T-EPT-SUD": ["EVRY", "CORBEIL"]}
SEUILS = {2017: 7200, 2018: 7350, 2019: 7500, 2020: 7650, 2021: 7800, 2022: 7950,
          2023: 8100, 2024: 8250, 2025: 8400, 2026: 8550}


def load_demo(app: HlmApplication, seed: int = 2024) -> dict[str, int]:
    rnd = random.Random(seed)
    for rid, (nom, type_) in RESERVATAIRES.items():
        app.definir_reservataire(ADMIN, rid, nom, type_)
    for tid, (nom, depuis, idf) in TERRITOIRES.items():
        # The préfecture's réservataire designates for the préfet under injunction.
        app.definir_territoire(ADMIN, tid, nom, depuis, idf,
                               prefet_reservataire_id="R-PREFECTURE")
        if idf:  # R-Q1-THRESHOLD: in Île-de-France the region's threshold (al. 25)
            continue
        for annee, montant in SEUILS.items():
            app.publier_seuil(ADMIN, tid, annee, Decimal(montant), f"arrêté {annee}")
    for annee, montant in SEUILS.items():
        app.publier_seuil_regional(ADMIN, annee, Decimal(montant) + 300,
                                   f"arrêté régional {annee}")
    for bid, nom in BAILLEURS.items():
        app.definir_bailleur(ADMIN, bid, nom)
    _rapports(app)
    app.fixer_objectifs(ADMIN, "T-METRO-NORD", "B-HABITAT-NORD", 2024, Decimal("0.30"),
                        Decimal("0.50"))

    logements = []
    for i in range(40):
        tid = list(TERRITOIRES)[i % 2]
        lid = f"L-{i + 1:03d}"
        etat = {
            "bailleur_id": list(BAILLEURS)[i % 3], "territoire_id": tid,
            "commune": COMMUNES[tid][i % 2], "qpv": i % 4 == 0, "zone_tendue": i % 3 != 2,
            "reservataire_id": None if i % 5 == 0 else list(RESERVATAIRES)[i % 4],
            "date_effet": date(2012, 1, 1),
        }
        app.definir_logement(ADMIN, lid, EtatLogement.depuis(etat))
        logements.append((lid, etat))
    # A logement leaves the QPV list in 2020 (attributes change over time, history kept).
    lid, etat = logements[0]
    app.definir_logement(ADMIN, lid, EtatLogement.depuis(
        {**etat, "qpv": False, "date_effet": date(2020, 6, 1)}))

    demandes = []
    codes = sorted(CATEGORIES)
    for i in range(80):
        depot = date(2012, 1, 15) + timedelta(days=rnd.randrange(0, 13 * 365))
        personnes = [{"personne_id": f"P-{i:03d}-{k}", "lien": lien}
                     for k, lien in enumerate(rnd.sample(["conjoint", "enfant", "enfant",
                                                          "autre"], rnd.randrange(0, 4)))]
        uc = Decimal("1") + Decimal("0.5") * len(personnes)
        body: dict[str, Any] = {
            "numero_unique": f"0591{depot.year % 100:02d}{i:07d}",
            "date_depot": depot, "demandeur_id": f"P-{i:03d}-D",
            "personnes_a_loger": personnes,
            "ressources_annuelles": Decimal(rnd.randrange(4000, 32000)) * uc,
            "unites_consommation": uc,
            "dalo": rnd.random() < 0.1,
            "categories_prioritaires": rnd.sample(codes, 1) if rnd.random() < 0.3 else [],
            "relogement_renouvellement_urbain": rnd.random() < 0.05,
        }
        if "JEUNE_EX_ASE" in body["categories_prioritaires"]:
            # m) needs its facts (R-PRIORITY-CATEGORIES): a 19-year-old whose care ended a
            # year before the filing (derived, so the demo's random draws stay the same).
            body |= {"date_naissance": depot.replace(year=depot.year - 19, day=1),
                     "fin_prise_en_charge_ase": depot - timedelta(days=365)}
        demande_id = _id(app.deposer_demande(ADMIN, DepotDemande.depuis(body)))
        demandes.append((demande_id, depot, personnes))

    _separations(app)
    counts = _vacances(app, rnd, logements, demandes)
    return {"territoires": 2, "bailleurs": 3, "reservataires": 4, "logements": 40,
            "demandes": len(demandes) + 3, **counts, "evenements": app.compter_evenements()}


def _rapports(app: HlmApplication) -> None:
    """R-SEMESTER-REPORT from v20: every bailleur transmits on time, except the OPH de la
    Ville's December 2024 report on Métropole Nord, never sent: the préfet's injunction
    (R-6-MONTH-FLUX-INJUNCTION) runs against it there from 2025-01-16."""
    fin = date(2022, 6, 30)
    while r_semester_report_due(fin) < app.today():
        for tid in TERRITOIRES:
            for bid in BAILLEURS:
                if (bid, tid, fin) != ("B-OPH-VILLE", "T-METRO-NORD", date(2024, 12, 31)):
                    app.transmettre_rapport(ADMIN, bid, tid, fin, fin + timedelta(days=9))
        fin = date(fin.year, 12, 31) if fin.month == 6 else date(fin.year + 1, 6, 30)


def _id(resultat: Issue[Any] | Rejoue) -> str:
    """The id of what a command without an Idempotency-Key recorded."""
    assert isinstance(resultat, Issue)
    return resultat.id


def _separations(app: HlmApplication) -> None:
    """EX-11: one separation before 2014-03-27 (no carry-over) and one after (carry-over)."""
    for num, sep, new_num, new_depot in (
        ("SEP-2011-A", date(2013, 6, 1), "SEP-2013-B", date(2013, 9, 15)),
        ("SEP-2011-C", date(2015, 2, 1), "SEP-2015-D", date(2015, 3, 1)),
    ):
        d = _id(app.deposer_demande(ADMIN, DepotDemande(
            numero_unique=num, date_depot=date(2011, 5, 10), demandeur_id=f"{num}-A",
            situation=Situation(ressources_annuelles=Decimal("21000"),
                                unites_consommation=Decimal("1.5"),
                                personnes_a_loger=(Personne(f"{num}-B", "conjoint"),)))))
        app.separer(ADMIN, d, Separation(
            date_separation=sep, membre_id=f"{num}-B", mode=ModeSeparation.NOUVELLE_DEMANDE,
            numero_unique=new_num, date_depot=new_depot,
            situation=Situation(ressources_annuelles=Decimal("14000"),
                                unites_consommation=Decimal("1"))))


def _vacances(app: HlmApplication, rnd: random.Random, logements: list[Any],
              demandes: list[Any]) -> dict[str, int]:
    stages = {"en_attente": 0, "designee": 0, "attribuee": 0, "refus": 0, "bail": 0,
              "echec": 0}
    pool = list(demandes)
    rnd.shuffle(pool)
    for n, (lid, etat) in enumerate(logements[:24]):
        info = date(2018 + n % 8, 1 + n % 12, 1 + n % 27)
        bailleur = Acteur("bailleur", etat["bailleur_id"])
        vid = _id(app.declarer_vacance(bailleur, lid, info))
        stage = list(stages)[n % len(stages)]
        if stage == "en_attente":
            stages[stage] += 1
            continue
        designateur = (Acteur("reservataire", etat["reservataire_id"])
                       if etat["reservataire_id"] else bailleur)
        jour = info + timedelta(days=10)
        candidats: list[str] = []
        while len(candidats) < 3 and pool:
            did, depot, _ = pool.pop()
            if depot <= jour:
                app.designer(designateur, vid, did, jour)
                candidats.append(did)
        if not candidats:
            continue
        commission = jour + timedelta(days=14)
        if stage == "designee":
            pass
        elif stage == "echec":
            app.decider(bailleur, vid, commission, [
                DecisionCommission(d, Decision.NON_ATTRIBUTION,
                                   motif="ressources insuffisantes") for d in candidats])
        else:
            app.decider(bailleur, vid, commission, [
                DecisionCommission(d, Decision.ATTRIBUTION, rang=r + 1,
                                   votes=VotesCommission(5, 4) if r == 0 else None)
                for r, d in enumerate(candidats)])
            if stage in ("refus", "bail"):
                app.refuser(bailleur, vid, candidats[0], commission + timedelta(days=7),
                            "logement trop éloigné du travail")
            if stage == "bail" and len(candidats) > 1:
                app.signer_bail(bailleur, vid, candidats[1], commission + timedelta(days=30))
        stages[stage] += 1
    return {f"vacances_{k}": v for k, v in stages.items()}


def print_quickstart(settings: Settings, app: HlmApplication, console: Console) -> None:
    secret = settings.secret
    base = f"http://{settings.host}:{settings.port}"
    ttl = min(86400, settings.jwt_max_ttl)

    def token(role: str, org: str | None = None) -> str:
        return make_token(secret, role, org, ttl, audience=settings.jwt_audience,
                          issuer=settings.jwt_issuer)

    tokens = {
        "ADMIN": token("admin"),
        "BAILLEUR": token("bailleur", "B-HABITAT-NORD"),
        "RESERVATAIRE": token("reservataire", "R-PREFECTURE"),
        "AUDITEUR": token("auditeur"),
    }
    out = ["", f"# Tokens valid {ttl // 60} min (admin; bailleur B-HABITAT-NORD; réservataire "
           "R-PREFECTURE; auditeur). Paste into another shell:"]
    out += [f"export {name}={tok}" for name, tok in tokens.items()]
    demande_id = app.demande_par_numero("SEP-2015-D")
    auth = "-H \"Authorization: Bearer $ADMIN\""
    out += [
        "",
        "# A demande that kept its seniority after a separation (R-SENIORITY-SEPARATION):",
        f"curl -s {base}/v1/demandes/{demande_id} {auth}",
        f"curl -s {base}/v1/demandes/{demande_id}/historique {auth}",
        "# A logement, then declare a vacancy on it as its bailleur:",
        f"curl -s {base}/v1/logements/L-004 {auth}",
        f"curl -s -X POST {base}/v1/logements/L-004/vacances "
        "-H \"Authorization: Bearer $BAILLEUR\" -H 'Content-Type: application/json' "
        f"-d '{{\"date_information\": \"{date.today().isoformat()}\"}}'",
        f"# OpenAPI: {base}/docs",
        "",
    ]
    for line in out:
        console.print(line, soft_wrap=True, highlight=False, markup=False)
