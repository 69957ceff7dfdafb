"""Reference data: bailleurs, réservataires, territoires and logements."""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commandes import Cia, EtatLogement, OrientationsCil
from domain.errors import Conflit, Invalide
from domain.ids import (
    bailleur_uuid,
    logement_uuid,
    region_uuid,
    reservataire_uuid,
    territoire_uuid,
)
from domain.rules.quotas import (
    PLANCHERS,
    Adaptation,
    en_vigueur,
    r_cia_bailleur_distribution,
    r_q1_threshold,
    r_quota_rate_adaptation,
    r_semester_report_due,
    revision_avant,
    taux_applicable,
)

RAPPORT = "R-SEMESTER-REPORT"
SEUIL = "R-Q1-THRESHOLD"
REPARTITION = "R-CIA-BAILLEUR-DISTRIBUTION"
ADAPTATION = "R-QUOTA-RATE-ADAPTATION"
HORS_QPV, QPV = "R-QUOTA-HORS-QPV-Q1-25", "R-QUOTA-QPV-50"
# The field of a CIL's orientations that sets each rule's local rate.
TAUX_LOCAL = {HORS_QPV: "taux_hors_qpv", QPV: "taux_qpv"}
REGION_ILE_DE_FRANCE = "ile-de-france"
RESERVATAIRE_TYPES = ("etat", "collectivite", "action_logement", "autre")


class Bailleur(Aggregate):
    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Enregistre(Aggregate.Created):
            bailleur_id: str
            nom: str

        class Renomme(Aggregate.Event):
            nom: str

        class RapportTransmis(Aggregate.Event):
            territoire_id: str
            date_fin: date
            date_transmission: date

    @staticmethod
    def create_id(bailleur_id: str) -> UUID:
        return bailleur_uuid(bailleur_id)

    @event("Enregistre")
    def __init__(self, bailleur_id: str, nom: str) -> None:
        self.bailleur_id = bailleur_id
        self.nom = nom
        # R-SEMESTER-REPORT: territoire_id -> semester end -> the day its report was sent.
        self.transmissions: dict[str, dict[date, date]] = {}

    @event("Renomme")
    def renommer(self, nom: str) -> None:
        self.nom = nom

    def transmissions_de(self, territoire_id: str) -> dict[date, date]:
        """Semester end -> the day its report on this territory was transmitted."""
        return self.transmissions.get(territoire_id, {})

    def transmis_le(self, territoire_id: str, date_fin: date) -> date | None:
        return self.transmissions_de(territoire_id).get(date_fin)

    def transmettre_rapport(self, territoire_id: str, date_fin: date,
                            date_transmission: date) -> bool:
        """R-SEMESTER-REPORT (L441-1 al. 33): the bailleur transmits to the préfet its data
        "arrêtées au 30 juin et au 31 décembre". The first transmission of a semester is the
        one that counts (on time or late, R-6-MONTH-FLUX-INJUNCTION); the same again records
        nothing (False), another date is a conflict."""
        try:
            r_semester_report_due(date_fin)
        except ValueError as exc:
            raise Invalide(str(exc), rule=RAPPORT,
                           details={"date_fin": date_fin.isoformat()}) from None
        if date_transmission < date_fin:
            raise Invalide("The data cannot be transmitted before the day they are arrêtées.",
                           code="DATE_INCOHERENTE", rule=RAPPORT,
                           details={"date_fin": date_fin.isoformat()})
        deja = self.transmis_le(territoire_id, date_fin)
        if deja == date_transmission:
            return False
        if deja is not None:
            raise Conflit("This semester's report is already transmitted.",
                          code="RAPPORT_DEJA_TRANSMIS", rule=RAPPORT,
                          details={"date_transmission": deja.isoformat()})
        self._rapport_transmis(territoire_id, date_fin, date_transmission)
        return True

    @event("RapportTransmis")
    def _rapport_transmis(self, territoire_id: str, date_fin: date,
                          date_transmission: date) -> None:
        self.transmissions.setdefault(territoire_id, {})[date_fin] = date_transmission


class Reservataire(Aggregate):
    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Enregistre(Aggregate.Created):
            reservataire_id: str
            nom: str
            type: str

        class Modifie(Aggregate.Event):
            nom: str
            type: str

    @staticmethod
    def create_id(reservataire_id: str) -> UUID:
        return reservataire_uuid(reservataire_id)

    @event("Enregistre")
    def __init__(self, reservataire_id: str, nom: str, type: str) -> None:  # noqa: A002
        self.reservataire_id = reservataire_id
        self.nom = nom
        self.type = type

    @event("Modifie")
    def modifier(self, nom: str, type: str) -> None:  # noqa: A002
        self.nom = nom
        self.type = type


class Territoire(Aggregate):
    """An EPCI, an EPT of the métropole du Grand Paris or Paris (R-MIXITE-TERRITORY)."""

    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Defini(Aggregate.Created):
            territoire_id: str
            nom: str
            soumis_mixite_depuis: date | None
            ile_de_france: bool
            prefet_reservataire_id: str | None

        class Modifie(Aggregate.Event):
            nom: str
            soumis_mixite_depuis: date | None
            ile_de_france: bool
            prefet_reservataire_id: str | None

        class SeuilPremierQuartilePublie(Aggregate.Event):
            annee: int
            montant_par_uc: Decimal
            acte: str

        class ObjectifsFixes(Aggregate.Event):
            bailleur_id: str
            annee: int
            taux_hors_qpv_premier_quartile: Decimal
            taux_qpv_autres_quartiles: Decimal

        class CiaConclue(Aggregate.Event):
            date_effet: date
            acte: str
            objectifs: list[dict[str, Any]]
            objectif_travailleurs_essentiels: dict[str, Any] | None
            objectif_sapeurs_pompiers: dict[str, Any] | None

        class OrientationsAdoptees(Aggregate.Event):
            date_effet: date
            acte: str
            taux_hors_qpv: Decimal | None
            taux_qpv: Decimal | None
            adapte: bool
            revision_avant: date | None

    @staticmethod
    def create_id(territoire_id: str) -> UUID:
        return territoire_uuid(territoire_id)

    @event("Defini")
    def __init__(
        self,
        territoire_id: str,
        nom: str,
        soumis_mixite_depuis: date | None,
        ile_de_france: bool,
        prefet_reservataire_id: str | None = None,
    ) -> None:
        self.territoire_id = territoire_id
        self.nom = nom
        self.soumis_mixite_depuis = soumis_mixite_depuis
        self.ile_de_france = ile_de_france
        # The réservataire (type etat) that acts for the préfet on this territory: it
        # designates on the hors-QPV vacancies of an enjoined bailleur (L441-1 al. 34).
        self.prefet_reservataire_id = prefet_reservataire_id
        self.seuils: dict[int, dict[str, Any]] = {}
        self.objectifs: dict[str, dict[str, Any]] = {}
        # Dated records, by date_effet: the CIAs (R-CIA-BAILLEUR-DISTRIBUTION) and the CIL's
        # orientations (R-QUOTA-RATE-ADAPTATION); each holds until a later one.
        self.cias: list[dict[str, Any]] = []
        self.orientations: list[dict[str, Any]] = []

    @event("Modifie")
    def modifier(self, nom: str, soumis_mixite_depuis: date | None, ile_de_france: bool,
                 prefet_reservataire_id: str | None = None) -> None:
        self.nom = nom
        self.soumis_mixite_depuis = soumis_mixite_depuis
        self.ile_de_france = ile_de_france
        self.prefet_reservataire_id = prefet_reservataire_id

    def publier_seuil(self, annee: int, montant_par_uc: Decimal, acte: str) -> None:
        """R-Q1-THRESHOLD: the yearly first-quartile threshold, published by arrêté. In
        Île-de-France the threshold is the region's (L441-1 al. 25): a territoire's own is
        refused (`Region.publier_seuil`)."""
        if self.ile_de_france:
            raise Invalide("In Île-de-France the first-quartile threshold is the region's: "
                           "publish it with POST /v1/seuils/ile-de-france.",
                           code="SEUIL_REGIONAL", rule=SEUIL,
                           details={"territoire_id": self.territoire_id})
        self._seuil_publie(annee=annee, montant_par_uc=montant_par_uc, acte=acte)

    @event("SeuilPremierQuartilePublie")
    def _seuil_publie(self, annee: int, montant_par_uc: Decimal, acte: str) -> None:
        self.seuils[annee] = {"annee": annee, "montant_par_uc": montant_par_uc, "acte": acte}

    @event("ObjectifsFixes")
    def fixer_objectifs(
        self,
        bailleur_id: str,
        annee: int,
        taux_hors_qpv_premier_quartile: Decimal,
        taux_qpv_autres_quartiles: Decimal,
    ) -> None:
        """R-CIA-BAILLEUR-DISTRIBUTION: CIA objectives of one bailleur for one year."""
        self.objectifs[f"{bailleur_id}/{annee}"] = {
            "bailleur_id": bailleur_id,
            "annee": annee,
            "taux_hors_qpv_premier_quartile": taux_hors_qpv_premier_quartile,
            "taux_qpv_autres_quartiles": taux_qpv_autres_quartiles,
        }

    def objectifs_de(self, bailleur_id: str, annee: int) -> dict[str, Any] | None:
        """The objectives of one bailleur for one year fixed by year, if any."""
        return self.objectifs.get(f"{bailleur_id}/{annee}")

    def seuil_pour(self, annee: int) -> Decimal | None:
        """The threshold of `annee` the territoire recorded (`seuil_premier_quartile`
        chooses between it and the region's)."""
        return _seuil_de(self.seuils, annee)

    # --- objectives from a date (issue 10) -----------------------------------------------

    def conclure_cia(self, cia: Cia, v20_effective_from: date) -> None:
        """R-CIA-BAILLEUR-DISTRIBUTION (L441-1 al. 28): a CIA from its `date_effet`, whose
        objectives, weighted by the leases expected of each bailleur, reach the territory's
        rate then ("globalement respecté"); a bailleur below it alone is lawful. With the
        objectives of R-ESSENTIAL-WORKERS-OBJECTIVE (v20) and R-SAPEUR-POMPIER-OBJECTIVE
        (v18) if it sets them, only where they are in force; none before v15 (the CIA's
        distribution enters L441-1 with al. 28 of v15)."""
        if not en_vigueur(REPARTITION, cia.date_effet, v20_effective_from):
            raise Invalide("A CIA distributes the quota effort from 2017-01-29 (v15) only.",
                           rule=REPARTITION, details={"date_effet": cia.date_effet.isoformat()})
        bailleurs = [o.bailleur_id for o in cia.objectifs]
        if not bailleurs or len(set(bailleurs)) != len(bailleurs):
            raise Invalide("A CIA lists each of its bailleurs once.",
                           details={"bailleurs": bailleurs})
        for regle, objectif in (("R-ESSENTIAL-WORKERS-OBJECTIVE", cia.travailleurs_essentiels),
                                ("R-SAPEUR-POMPIER-OBJECTIVE", cia.sapeurs_pompiers)):
            if objectif is not None and not en_vigueur(regle, cia.date_effet,
                                                       v20_effective_from):
                raise Invalide("This objective is not in the law on that date.", rule=regle,
                               details={"date_effet": cia.date_effet.isoformat()})
        if any(o.taux_qpv_autres_quartiles is not None and o.base_qpv is None
               for o in cia.objectifs):
            raise Invalide("A bailleur's QPV objective is weighed by its expected QPV leases "
                           "(base_qpv).", rule=REPARTITION)
        hors = r_cia_bailleur_distribution(
            [(o.taux_hors_qpv_premier_quartile, o.base_hors_qpv) for o in cia.objectifs],
            self.taux_au(HORS_QPV, cia.date_effet))
        qpv = [(o.taux_qpv_autres_quartiles, o.base_qpv or 0) for o in cia.objectifs
               if o.taux_qpv_autres_quartiles is not None]
        for repartition in (hors, *([r_cia_bailleur_distribution(
                qpv, self.taux_au(QPV, cia.date_effet))] if qpv else [])):
            if not repartition.respecte:
                raise Invalide(
                    "The CIA's objectives, weighted by the expected leases, are below the "
                    "territory's rate: it must be globally respected.", rule=REPARTITION,
                    details={"taux_pondere": None if repartition.taux_pondere is None
                             else str(round(repartition.taux_pondere, 4)),
                             "taux_territoire": str(repartition.taux_territoire)})
        self._cia_conclue(
            date_effet=cia.date_effet, acte=cia.acte,
            objectifs=[o.champs() for o in cia.objectifs],
            objectif_travailleurs_essentiels=None if cia.travailleurs_essentiels is None
            else cia.travailleurs_essentiels.champs(),
            objectif_sapeurs_pompiers=None if cia.sapeurs_pompiers is None
            else cia.sapeurs_pompiers.champs())

    @event("CiaConclue")
    def _cia_conclue(self, date_effet: date, acte: str, objectifs: list[dict[str, Any]],
                     objectif_travailleurs_essentiels: dict[str, Any] | None,
                     objectif_sapeurs_pompiers: dict[str, Any] | None) -> None:
        self.cias = _date_remplacee(self.cias, {
            "date_effet": date_effet, "acte": acte, "objectifs": objectifs,
            "objectif_travailleurs_essentiels": objectif_travailleurs_essentiels,
            "objectif_sapeurs_pompiers": objectif_sapeurs_pompiers})

    def adopter_orientations(self, orientations: OrientationsCil) -> None:
        """R-QUOTA-RATE-ADAPTATION: the CIL's rates from `date_effet` (L441-1-5 1° bis,
        1° ter): higher than the statutory ones, or, under v15, a hors-QPV rate "adapté"
        lower, to be reviewed within three years (EX-26)."""
        adapte = False
        for regle, taux in ((HORS_QPV, orientations.taux_hors_qpv),
                            (QPV, orientations.taux_qpv)):
            if taux is None:
                continue
            adaptation = r_quota_rate_adaptation(regle, taux, orientations.date_effet)
            if adaptation == Adaptation.REFUSE:
                raise Invalide("A conférence intercommunale may only set a rate higher than "
                               "the statutory one.", rule=ADAPTATION,
                               details={"regle": regle, "taux": str(taux),
                                        "taux_minimal": str(PLANCHERS[regle])})
            adapte = adapte or adaptation == Adaptation.ADAPTE
        self._orientations_adoptees(
            date_effet=orientations.date_effet, acte=orientations.acte,
            taux_hors_qpv=orientations.taux_hors_qpv, taux_qpv=orientations.taux_qpv,
            adapte=adapte,
            revision_avant=revision_avant(orientations.date_effet) if adapte else None)

    @event("OrientationsAdoptees")
    def _orientations_adoptees(self, date_effet: date, acte: str,
                               taux_hors_qpv: Decimal | None, taux_qpv: Decimal | None,
                               adapte: bool, revision_avant: date | None) -> None:
        self.orientations = _date_remplacee(self.orientations, {
            "date_effet": date_effet, "acte": acte, "taux_hors_qpv": taux_hors_qpv,
            "taux_qpv": taux_qpv, "adapte": adapte, "revision_avant": revision_avant})

    def cia_au(self, jour: date) -> dict[str, Any] | None:
        """The CIA in force on `jour`: the last one that took effect by then."""
        return _en_vigueur(self.cias, jour)

    def orientations_au(self, jour: date) -> dict[str, Any] | None:
        return _en_vigueur(self.orientations, jour)

    def taux_au(self, regle: str, jour: date) -> Decimal:
        """The territory's rate of a mix rule on `jour` (R-QUOTA-RATE-ADAPTATION): the
        CIL's in force then, else the statutory one."""
        orientations = self.orientations_au(jour)
        if orientations is None:
            return taux_applicable(regle, None, None, jour)
        return taux_applicable(regle, orientations[TAUX_LOCAL[regle]],
                               orientations["date_effet"], jour)

    def objectifs_au(self, bailleur_id: str, jour: date) -> dict[str, Any] | None:
        """The objectives fixed to the bailleur on `jour`: its part of the CIA in force, or
        its objectives of that year (recorded by year, from 1 January), whichever took
        effect last (al. 31: a CIA concluded replaces the objectives fixed before it); a
        CIA in force that does not name it leaves it the territory's rates (None)."""
        cia = self.cia_au(jour)
        annuels = self.objectifs_de(bailleur_id, jour.year)
        if cia is None or (annuels is not None
                           and cia["date_effet"] < date(jour.year, 1, 1)):
            return annuels
        return next((o for o in cia["objectifs"] if o["bailleur_id"] == bailleur_id), None)


def _seuil_de(seuils: dict[int, dict[str, Any]], annee: int) -> Decimal | None:
    """The threshold of `annee`, else of the latest earlier year published (a threshold is
    published once a year; until the new arrêté the last one is the known value)."""
    years = [y for y in seuils if y <= annee]
    return seuils[max(years)]["montant_par_uc"] if years else None


def _date_remplacee(records: list[dict[str, Any]], record: dict[str, Any]
                    ) -> list[dict[str, Any]]:
    """The dated records with `record` in place of the one of its date, by date."""
    kept = [r for r in records if r["date_effet"] != record["date_effet"]]
    return sorted([*kept, record], key=lambda r: r["date_effet"])


def _en_vigueur(records: list[dict[str, Any]], jour: date) -> dict[str, Any] | None:
    return next((r for r in reversed(records) if r["date_effet"] <= jour), None)


class Region(Aggregate):
    """A region whose registered demandeurs set one first-quartile threshold for all its
    territoires: Île-de-France (L441-1 al. 25, "en Ile-de-France, sur le territoire de la
    région"; R-Q1-THRESHOLD)."""

    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Definie(Aggregate.Created):
            region_id: str

        class SeuilPremierQuartilePublie(Aggregate.Event):
            annee: int
            montant_par_uc: Decimal
            acte: str

    @staticmethod
    def create_id(region_id: str) -> UUID:
        return region_uuid(region_id)

    @event("Definie")
    def __init__(self, region_id: str) -> None:
        self.region_id = region_id
        self.seuils: dict[int, dict[str, Any]] = {}

    @event("SeuilPremierQuartilePublie")
    def publier_seuil(self, annee: int, montant_par_uc: Decimal, acte: str) -> None:
        """R-Q1-THRESHOLD: the yearly regional threshold, published by arrêté."""
        self.seuils[annee] = {"annee": annee, "montant_par_uc": montant_par_uc, "acte": acte}

    def seuil_pour(self, annee: int) -> Decimal | None:
        return _seuil_de(self.seuils, annee)


def seuil_premier_quartile(territoire: Territoire | None, region: Region | None,
                           annee: int) -> Decimal | None:
    """R-Q1-THRESHOLD for `annee` on `territoire`: Île-de-France's regional value for an
    Île-de-France territoire (`region`: that region as known, None when it published
    nothing), else the territoire's own (domain.rules.quotas.r_q1_threshold)."""
    if territoire is None:
        return None
    regional = region.seuil_pour(annee) if region is not None else None
    return r_q1_threshold(territoire.ile_de_france, territoire.seuil_pour(annee), regional)


# A logement's attributes, as each version records them after its date_effet.
LOGEMENT_FIELDS = tuple(f.name for f in fields(EtatLogement) if f.name != "date_effet")
# The attributes added since the first events (R-QPV-ASSIMILATION-ZUS): a version recorded
# before them reads as their defaults.
LOGEMENT_DEFAUTS = {f.name: f.default for f in fields(EtatLogement) if f.default is not MISSING}


def _complet(etat: dict[str, Any]) -> dict[str, Any]:
    return {**etat, **{k: v for k, v in LOGEMENT_DEFAUTS.items() if k not in etat}}


class Logement(Aggregate):
    """A logement whose attributes change over time; each version holds from its date_effet."""

    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Caracterise(Aggregate.Created):
            logement_id: str
            etat: dict[str, Any]

        class Modifie(Aggregate.Event):
            etat: dict[str, Any]

    @staticmethod
    def create_id(logement_id: str) -> UUID:
        return logement_uuid(logement_id)

    @event("Caracterise")
    def __init__(self, logement_id: str, etat: dict[str, Any]) -> None:
        self.logement_id = logement_id
        self.historique: list[dict[str, Any]] = [_complet(etat)]

    @event("Modifie")
    def modifier(self, etat: dict[str, Any]) -> None:
        kept = [e for e in self.historique if e["date_effet"] != etat["date_effet"]]
        kept.append(_complet(etat))
        self.historique = sorted(kept, key=lambda e: e["date_effet"])

    def etat_au(self, jour: date) -> dict[str, Any] | None:
        current = None
        for etat in self.historique:
            if etat["date_effet"] <= jour:
                current = etat
        return current

    def version_du(self, jour: date) -> dict[str, Any] | None:
        return next((e for e in self.historique if e["date_effet"] == jour), None)
