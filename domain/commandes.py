"""The commands the application takes whose content is more than a few ids and dates: typed
values, checked by the HTTP schemas before they get here, turned into the fields the events
record by `champs()` (so what is stored stays what it always was).

`depuis(mapping)` reads a command from a mapping of the same field names (a request body
dumped by its schema, a test's payload, the demo's data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self


@dataclass(frozen=True)
class Personne:
    """A person to house with the demandeur, and their tie to the demandeur."""

    personne_id: str
    lien: str

    def champs(self) -> dict[str, Any]:
        return {"personne_id": self.personne_id, "lien": self.lien}


def _personnes(valeurs: Any) -> tuple[Personne, ...] | None:
    if valeurs is None:
        return None
    return tuple(p if isinstance(p, Personne) else Personne(p["personne_id"], p["lien"])
                 for p in valeurs)


@dataclass(frozen=True)
class ChangementSituation:
    """The parts of a household's situation a change sets; None: unchanged."""

    ressources_annuelles: Decimal | None = None
    unites_consommation: Decimal | None = None
    dalo: bool | None = None
    categories_prioritaires: tuple[str, ...] | None = None
    personnes_a_loger: tuple[Personne, ...] | None = None
    relogement_renouvellement_urbain: bool | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: _typer(k, v) for k, v in valeurs.items() if k in known})

    def champs(self) -> dict[str, Any]:
        """Only the fields set, as the events record them."""
        return {k: v for k, v in _champs(self).items() if v is not None}


@dataclass(frozen=True)
class Situation:
    """A household's whole situation, as a demande records it from a date (its fields, in
    this order, are `domain.demande.SITUATION_FIELDS`)."""

    ressources_annuelles: Decimal | None
    unites_consommation: Decimal | None
    dalo: bool = False
    categories_prioritaires: tuple[str, ...] = ()
    personnes_a_loger: tuple[Personne, ...] = ()
    relogement_renouvellement_urbain: bool = False

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        """From a mapping; a field absent or None takes its default (nothing declared)."""
        ch = ChangementSituation.depuis(valeurs)
        return cls(ressources_annuelles=ch.ressources_annuelles,
                   unites_consommation=ch.unites_consommation, dalo=ch.dalo or False,
                   categories_prioritaires=ch.categories_prioritaires or (),
                   personnes_a_loger=ch.personnes_a_loger or (),
                   relogement_renouvellement_urbain=ch.relogement_renouvellement_urbain
                   or False)

    def champs(self) -> dict[str, Any]:
        return _champs(self)


def _typer(nom: str, valeur: Any) -> Any:
    if nom == "personnes_a_loger":
        return _personnes(valeur)
    if nom == "categories_prioritaires" and valeur is not None:
        return tuple(valeur)
    return valeur


def _champs(situation: ChangementSituation | Situation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(situation):
        valeur = getattr(situation, f.name)
        if f.name == "personnes_a_loger" and valeur is not None:
            valeur = [p.champs() for p in valeur]
        elif f.name == "categories_prioritaires" and valeur is not None:
            valeur = list(valeur)
        out[f.name] = valeur
    return out


@dataclass(frozen=True)
class DepotDemande:
    """A demande filed: its numéro unique (its natural key), filing date and demandeur."""

    numero_unique: str
    date_depot: date
    demandeur_id: str
    situation: Situation

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(numero_unique=valeurs["numero_unique"], date_depot=valeurs["date_depot"],
                   demandeur_id=valeurs["demandeur_id"],
                   situation=Situation.depuis(valeurs))


class ModeSeparation(StrEnum):
    """R-SENIORITY-SEPARATION: the other member takes the demande over, or the leaving
    member files a new one."""

    SUBSTITUTION = "substitution"
    NOUVELLE_DEMANDE = "nouvelle_demande"


@dataclass(frozen=True)
class Separation:
    """A couple separates; `numero_unique`, `date_depot` and `situation` describe the new
    demande (mode nouvelle_demande); `date_substitution` defaults to the separation's."""

    membre_id: str
    date_separation: date
    mode: ModeSeparation
    date_substitution: date | None = None
    numero_unique: str | None = None
    date_depot: date | None = None
    situation: Situation | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(membre_id=valeurs["membre_id"], date_separation=valeurs["date_separation"],
                   mode=ModeSeparation(valeurs["mode"]),
                   date_substitution=valeurs.get("date_substitution"),
                   numero_unique=valeurs.get("numero_unique"),
                   date_depot=valeurs.get("date_depot"),
                   situation=Situation.depuis(valeurs))


@dataclass(frozen=True)
class EtatLogement:
    """A logement's attributes from `date_effet` on (after the date, in this order:
    `domain.referentiel.LOGEMENT_FIELDS`)."""

    date_effet: date
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(**{f.name: valeurs[f.name] for f in fields(cls)})

    def champs(self) -> dict[str, Any]:
        """The version as `Logement` records it: the date first, then the attributes."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class VotesCommission:
    pour: int
    contre: int
    voix_maire: str | None = None


@dataclass(frozen=True)
class DecisionCommission:
    """One decision of the CALEOL on one designated demande (R-COMMISSION-NOMINATIVE)."""

    demande_id: str
    decision: str
    rang: int | None = None
    motif: str | None = None
    votes: VotesCommission | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        votes = valeurs.get("votes")
        return cls(demande_id=valeurs["demande_id"], decision=valeurs["decision"],
                   rang=valeurs.get("rang"), motif=valeurs.get("motif"),
                   votes=None if votes is None else VotesCommission(
                       votes["pour"], votes["contre"], votes.get("voix_maire")))

    def champs(self) -> dict[str, Any]:
        """As `Vacance.decider` takes it (the votes as recorded)."""
        votes = None if self.votes is None else {
            "pour": self.votes.pour, "contre": self.votes.contre,
            "voix_maire": self.votes.voix_maire}
        return {"demande_id": self.demande_id, "decision": self.decision, "rang": self.rang,
                "motif": self.motif, "votes": votes}
