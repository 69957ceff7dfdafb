"""The quota tests' builder: a parc of logements on territories subject to the mix rules,
with whole cycles to a signed lease driven through the application service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.application import HlmApplication
from domain.commandes import DecisionCommission, DepotDemande, EtatLogement
from domain.vacance import Acteur
from tests.helpers_sec import transmettre_rapports

ADMIN = Acteur("admin")
BAILLEUR = Acteur("bailleur", "B1")
RESERVATAIRE = Acteur("reservataire", "R1")
SEUILS = {2016: "8000", 2023: "8100"}


class Parc:
    """Bailleurs B1 and B2, a collectivité réservataire R1 and, unless `territoire` is None
    (the test defines its own with `territoire(...)`), the territory T1 subject to the mix
    rules since 2017-01-29 with its first-quartile thresholds (`seuils`, by year) and, with
    `rapports`, every semester report of B1 on it transmitted on time. `rapports=False`:
    none, so B1 may be enjoined (R-6-MONTH-FLUX-INJUNCTION) and `bail` designates as the
    administrator, for whoever may (the préfet included)."""

    def __init__(self, app: HlmApplication, seuils: dict[int, str] | None = None, *,
                 territoire: str | None = "T1", rapports: bool = True) -> None:
        self.app = app
        self.n = 0
        self.rapports = rapports
        if territoire is not None:
            self.territoire(territoire, nom="EPCI")
            for annee, montant in (seuils if seuils is not None else SEUILS).items():
                app.publier_seuil(ADMIN, territoire, annee, Decimal(montant), "arrêté")
        app.definir_bailleur(ADMIN, "B1", "Bailleur")
        app.definir_bailleur(ADMIN, "B2", "Autre bailleur")
        app.definir_reservataire(ADMIN, "R1", "Commune", "collectivite")
        if territoire is not None and rapports:
            transmettre_rapports(app, "B1", territoire)

    def territoire(self, tid: str, *, idf: bool = False,
                   soumis: date | None = date(2017, 1, 29), nom: str | None = None) -> None:
        self.app.definir_territoire(ADMIN, tid, nom or f"Territoire {tid}", soumis, idf)

    def logement(self, logement_id: str | None = None, territoire: str = "T1", *,
                 qpv: bool = False, reserve: bool = False, ancienne_zus: bool = False,
                 sortie_qpv_le: date | None = None) -> str:
        """A logement of B1 in commune C1 from 2010-01-01, réservé by R1 if `reserve`."""
        if logement_id is None:
            self.n += 1
            logement_id = f"LV{self.n}"
        self.app.definir_logement(ADMIN, logement_id, EtatLogement.depuis({
            "bailleur_id": "B1", "territoire_id": territoire, "commune": "C1", "qpv": qpv,
            "zone_tendue": False, "reservataire_id": "R1" if reserve else None,
            "date_effet": date(2010, 1, 1), "ancienne_zus": ancienne_zus,
            "sortie_qpv_le": sortie_qpv_le}))
        return logement_id

    def demande(self, numero: str | None = None, demandeur_id: str | None = None, *,
                ressources: str = "30000", uc: str = "1", dalo: bool = False,
                reloge: bool = False) -> str:
        """A demande filed on 2015-01-01 by a household alone (`ressources` a year)."""
        if numero is None:
            self.n += 1
            numero = f"NI{self.n}"
        return self.app.deposer_demande(ADMIN, DepotDemande.depuis({
            "numero_unique": numero, "date_depot": date(2015, 1, 1),
            "demandeur_id": demandeur_id or f"P-{numero}", "personnes_a_loger": [],
            "ressources_annuelles": Decimal(ressources), "unites_consommation": Decimal(uc),
            "dalo": dalo, "categories_prioritaires": [],
            "relogement_renouvellement_urbain": reloge})).id

    def bail(self, jour: date, territoire: str = "T1", *, ressources: str = "30000",
             uc: str = "1", qpv: bool = False, ancienne_zus: bool = False,
             sortie_qpv_le: date | None = None, reloge: bool = False, dalo: bool = False,
             reserve: bool = False, signer: bool = True) -> tuple[str, str]:
        """A new logement vacant on `jour`, a new demande designated on it (by R1 if
        `reserve`, else by B1), attributed rank 1 and its lease signed that day (unless not
        `signer`): (demande id, vacance id)."""
        self.n += 1
        lid = self.logement(f"L{self.n}", territoire, qpv=qpv, reserve=reserve,
                            ancienne_zus=ancienne_zus, sortie_qpv_le=sortie_qpv_le)
        did = self.demande(f"N{self.n}", f"P{self.n}", ressources=ressources, uc=uc,
                           dalo=dalo, reloge=reloge)
        vid = self.app.declarer_vacance(BAILLEUR, lid, jour).id
        designateur = RESERVATAIRE if reserve else BAILLEUR
        if not self.rapports:
            designateur = ADMIN
        self.app.designer(designateur, vid, did, jour)
        self.app.decider(BAILLEUR, vid, jour, [DecisionCommission(did, "attribution", rang=1)])
        if signer:
            self.app.signer_bail(BAILLEUR, vid, did, jour)
        return did, vid
