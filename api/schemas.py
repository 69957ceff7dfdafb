"""Request bodies of the v1 contract. Unknown fields are refused (a typo must not be lost)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)

from domain.rules.cycle import Decision
from domain.rules.priorities import CATEGORIES
from domain.serialisation import valeurs

if not TYPE_CHECKING:
    Decision = valeurs(Decision)

# Every date of a body or a query lies in these bounds (API.md, Dates): beyond them a date
# is a typing error, and no date arithmetic has to reach the ends of the calendar.
DATE_MIN, DATE_MAX = date(1990, 1, 1), date(2100, 12, 31)
Jour = Annotated[date, Field(ge=DATE_MIN, le=DATE_MAX,
                             description="ISO date within 1990-01-01..2100-12-31")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Euros = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
UC = Annotated[Decimal, Field(gt=0, le=50, max_digits=6, decimal_places=2)]
Taux = Annotated[Decimal, Field(ge=0, le=1)]
Year = Annotated[StrictInt, Field(ge=1996, le=2100)]
Categorie = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
Lien = Literal["conjoint", "partenaire", "concubin", "enfant", "autre"]


def _unique_codes(codes: list[str]) -> list[str]:
    if len(codes) != len(set(codes)):
        raise ValueError("a category is listed twice")
    return codes


Categories = Annotated[list[Categorie], Field(max_length=len(CATEGORIES),  # type: ignore
                                              json_schema_extra={"uniqueItems": True}),
                       AfterValidator(_unique_codes)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BailleurIn(Body):
    nom: Text


class ReservataireIn(Body):
    nom: Text
    type: Literal["etat", "collectivite", "action_logement", "autre"]


class TerritoireIn(Body):
    nom: Text
    soumis_mixite_depuis: Jour | None
    ile_de_france: StrictBool


class SeuilIn(Body):
    annee: Year
    montant_par_uc: Euros
    acte: Text


class ObjectifsIn(Body):
    bailleur_id: Text
    annee: Year
    taux_hors_qpv_premier_quartile: Taux
    taux_qpv_autres_quartiles: Taux


class LogementIn(Body):
    bailleur_id: Text
    territoire_id: Text
    commune: Text
    qpv: StrictBool
    zone_tendue: StrictBool
    reservataire_id: Text | None
    date_effet: Jour


class Personne(Body):
    personne_id: Text
    lien: Lien


def _unique_people(personnes: list[Personne]) -> list[Personne]:
    ids = [p.personne_id for p in personnes]
    if len(ids) != len(set(ids)):
        raise ValueError("a personne is listed twice")
    return personnes


class DemandeIn(Body):
    numero_unique: Annotated[str, Field(min_length=1, max_length=40)]
    date_depot: Jour
    demandeur_id: Text
    personnes_a_loger: list[Personne] = Field(default_factory=list, max_length=30)
    ressources_annuelles: Euros
    unites_consommation: UC
    dalo: StrictBool = False
    categories_prioritaires: Categories = Field(default_factory=list)
    relogement_renouvellement_urbain: StrictBool = False

    _people = field_validator("personnes_a_loger")(_unique_people)


class SituationChanges(Body):
    """The parts of a demande's situation a change may set (absent: unchanged)."""

    ressources_annuelles: Euros | None = None
    unites_consommation: UC | None = None
    dalo: StrictBool | None = None
    categories_prioritaires: Categories | None = None
    personnes_a_loger: list[Personne] | None = Field(None, max_length=30)

    _people = field_validator("personnes_a_loger")(
        lambda v: v if v is None else _unique_people(v))
    relogement_renouvellement_urbain: StrictBool | None = None


class SituationIn(SituationChanges):
    date: Jour


class SeparationIn(SituationChanges):
    """The situation fields describe the new demande in mode nouvelle_demande."""

    date_separation: Jour
    membre_id: Text
    mode: Literal["substitution", "nouvelle_demande"]
    numero_unique: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    date_depot: Jour | None = None
    date_substitution: Jour | None = Field(
        None, description="Date of the substitution (default: date_separation)")


class RadiationIn(Body):
    date: Jour
    motif: Literal["attribution", "renonciation", "non_renouvellement", "irrecevabilite",
                   "autre"]


class TransmissionIn(Body):
    """R-SEMESTER-REPORT: a bailleur's semester report transmitted to the préfet."""

    bailleur_id: Text | None = Field(None, description="default: the caller's bailleur "
                                                       "(required for admin)")
    territoire_id: Text
    date_fin: Jour = Field(description="30 June or 31 December")
    date_transmission: Jour


class VacanceIn(Body):
    date_information: Jour


class DesignationIn(Body):
    demande_id: Text
    date: Jour


class VotesIn(Body):
    pour: Annotated[StrictInt, Field(ge=0, le=100)]
    contre: Annotated[StrictInt, Field(ge=0, le=100)]
    voix_maire: Literal["pour", "contre"] | None = None


class DecisionIn(Body):
    demande_id: Text
    decision: Decision
    rang: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
    motif: Annotated[str, Field(max_length=500)] | None = None
    votes: VotesIn | None = None


class DecisionsIn(Body):
    date_commission: Jour
    decisions: list[DecisionIn] = Field(min_length=1, max_length=50)


class RefusIn(Body):
    demande_id: Text
    date: Jour
    motif: Annotated[str, Field(max_length=500)] | None = None


class BailIn(Body):
    demande_id: Text
    date_signature: Jour
