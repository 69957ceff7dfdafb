"""Reference data: bailleurs, réservataires, territoires and logements."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commandes import EtatLogement
from domain.errors import Conflit, Invalide
from domain.ids import bailleur_uuid, logement_uuid, reservataire_uuid, territoire_uuid
from domain.rules.quotas import r_semester_report_due

RAPPORT = "R-SEMESTER-REPORT"
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

        class Modifie(Aggregate.Event):
            nom: str
            soumis_mixite_depuis: date | None
            ile_de_france: bool

        class SeuilPremierQuartilePublie(Aggregate.Event):
            annee: int
            montant_par_uc: Decimal
            acte: str

        class ObjectifsFixes(Aggregate.Event):
            bailleur_id: str
            annee: int
            taux_hors_qpv_premier_quartile: Decimal
            taux_qpv_autres_quartiles: Decimal

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
    ) -> None:
        self.territoire_id = territoire_id
        self.nom = nom
        self.soumis_mixite_depuis = soumis_mixite_depuis
        self.ile_de_france = ile_de_france
        self.seuils: dict[int, dict[str, Any]] = {}
        self.objectifs: dict[str, dict[str, Any]] = {}

    @event("Modifie")
    def modifier(self, nom: str, soumis_mixite_depuis: date | None, ile_de_france: bool) -> None:
        self.nom = nom
        self.soumis_mixite_depuis = soumis_mixite_depuis
        self.ile_de_france = ile_de_france

    @event("SeuilPremierQuartilePublie")
    def publier_seuil(self, annee: int, montant_par_uc: Decimal, acte: str) -> None:
        """R-Q1-THRESHOLD: the yearly first-quartile threshold, published by arrêté."""
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
        """The CIA objectives of one bailleur for one year, if fixed."""
        return self.objectifs.get(f"{bailleur_id}/{annee}")

    def seuil_pour(self, annee: int) -> Decimal | None:
        """The threshold of `annee`, else of the latest earlier year published (a threshold
        is published once a year; until the new arrêté the last one is the known value)."""
        years = [y for y in self.seuils if y <= annee]
        return self.seuils[max(years)]["montant_par_uc"] if years else None


# A logement's attributes, as each version records them after its date_effet.
LOGEMENT_FIELDS = tuple(f.name for f in fields(EtatLogement) if f.name != "date_effet")


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
        self.historique: list[dict[str, Any]] = [dict(etat)]

    @event("Modifie")
    def modifier(self, etat: dict[str, Any]) -> None:
        kept = [e for e in self.historique if e["date_effet"] != etat["date_effet"]]
        kept.append(dict(etat))
        self.historique = sorted(kept, key=lambda e: e["date_effet"])

    def etat_au(self, jour: date) -> dict[str, Any] | None:
        current = None
        for etat in self.historique:
            if etat["date_effet"] <= jour:
                current = etat
        return current

    def version_du(self, jour: date) -> dict[str, Any] | None:
        return next((e for e in self.historique if e["date_effet"] == jour), None)
