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
    model_validator,
)

from domain.rules.cycle import Decision
from domain.rules.priorities import CATEGORIES
from domain.rules.ressources import Justificatif, MotifRessourcesPropres
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
# The codes of R-RESOURCES-REQUERANT-ONLY: listed in the document, checked by the domain,
# so that an unknown one is refused with the rule's id (422 VALIDATION, rule set).
MotifRessources = Annotated[str, Field(
    max_length=40, json_schema_extra={"enum": [m.value for m in MotifRessourcesPropres]},
    description="ground on which only the requérant's resources count "
                "(R-RESOURCES-REQUERANT-ONLY); null in a change withdraws it with its "
                "evidence")]
CodeJustificatif = Annotated[str, Field(
    max_length=40, json_schema_extra={"enum": [j.value for j in Justificatif]},
    description="the document attesting the ground (R-RESOURCES-REQUERANT-ONLY)")]


class PartiesOptionnelles(BaseModel):
    """The optional parts of a situation: R-RESOURCES-REQUERANT-ONLY (the requérant's own
    resources, the ground and its evidence, given together) and the facts of priority m)
    (R-PRIORITY-CATEGORIES: JEUNE_EX_ASE needs the birth date and the last day of care)."""

    ressources_requerant: Euros | None = Field(
        None, description="the requérant's own annual resources")
    unites_consommation_requerant: UC | None = Field(
        None, description="consumption units when only the requérant's resources count "
                          "(default 1: a person alone)")
    motif_ressources_propres: MotifRessources | None = None
    justificatif: CodeJustificatif | None = None
    date_justificatif: Jour | None = Field(None, description="date of the evidence, not "
                                                             "after today")
    date_naissance: Jour | None = Field(None, description="the demandeur's birth date "
                                                          "(priority m))")
    fin_prise_en_charge_ase: Jour | None = Field(
        None, description="last day of the care by the aide sociale à l'enfance (priority m))")
    mineur_emancipe: StrictBool | None = Field(None, description="emancipated minor "
                                                                 "(priority m))")


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
    prefet_reservataire_id: Text | None = Field(
        None, description="the réservataire (type etat) that designates for the préfet on "
                          "an enjoined bailleur's hors-QPV vacancies (R-6-MONTH-FLUX-INJUNCTION)")


class SeuilIn(Body):
    annee: Year
    montant_par_uc: Euros
    acte: Text


class ObjectifsIn(Body):
    bailleur_id: Text
    annee: Year
    taux_hors_qpv_premier_quartile: Taux
    taux_qpv_autres_quartiles: Taux


class ObjectifPublicIn(Body):
    """An objective of attributions to a public the CIA names: a count, a share, or both."""

    nombre: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
    taux: Taux | None = None

    @model_validator(mode="after")
    def _un_au_moins(self) -> ObjectifPublicIn:
        if self.nombre is None and self.taux is None:
            raise ValueError("an objective is a nombre, a taux, or both")
        return self


Base = Annotated[StrictInt, Field(ge=0, le=1_000_000,
                                  description="the leases expected of the bailleur, which "
                                              "weigh its objective")]


class ObjectifBailleurIn(Body):
    bailleur_id: Text
    taux_hors_qpv_premier_quartile: Taux
    base_hors_qpv: Base
    taux_qpv_autres_quartiles: Taux | None = Field(
        None, description="null: the territory's rate (then `base_qpv` may be left out)")
    base_qpv: Base | None = None


class CiaIn(Body):
    """R-CIA-BAILLEUR-DISTRIBUTION: a CIA from `date_effet`, every bailleur's objectives
    weighted by the leases expected of it."""

    date_effet: Jour
    acte: Text
    objectifs: list[ObjectifBailleurIn] = Field(min_length=1, max_length=200)
    objectif_travailleurs_essentiels: ObjectifPublicIn | None = Field(
        None, description="R-ESSENTIAL-WORKERS-OBJECTIVE (v20)")
    objectif_sapeurs_pompiers: ObjectifPublicIn | None = Field(
        None, description="R-SAPEUR-POMPIER-OBJECTIVE (from 2021-11-27)")


class OrientationsIn(Body):
    """R-QUOTA-RATE-ADAPTATION: a CIL's rates from `date_effet` (null: the statutory one)."""

    date_effet: Jour
    acte: Text
    taux_hors_qpv: Taux | None = Field(None, description="L441-1-5 1° bis")
    taux_qpv: Taux | None = Field(None, description="L441-1-5 1° ter")


class LogementIn(Body):
    bailleur_id: Text
    territoire_id: Text
    commune: Text
    qpv: StrictBool
    zone_tendue: StrictBool
    reservataire_id: Text | None
    date_effet: Jour
    ancienne_zus: StrictBool = Field(
        False, description="in a former ZUS never classified QPV (R-QPV-ASSIMILATION-ZUS)")
    sortie_qpv_le: Jour | None = Field(
        None, description="the day its quartier left the QPV list (R-QPV-ASSIMILATION-ZUS)")


class Personne(Body):
    personne_id: Text
    lien: Lien


def _unique_people(personnes: list[Personne]) -> list[Personne]:
    ids = [p.personne_id for p in personnes]
    if len(ids) != len(set(ids)):
        raise ValueError("a personne is listed twice")
    return personnes


class DemandeIn(PartiesOptionnelles, Body):
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


class SituationChanges(PartiesOptionnelles, Body):
    """The parts of a demande's situation a change may set (absent: unchanged; an optional
    part given as null: withdrawn)."""

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
