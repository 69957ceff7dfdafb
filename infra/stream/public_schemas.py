"""The public event contract, version 1: one pydantic model per public event type.

These models are the allow-list of what leaves the system (pull feed and Kafka): a field
that is not declared here is never published, whatever the domain event holds. The JSON
Schemas of docs/schemas/ and the messages of docs/asyncapi.yaml are generated from them
(`hlm schemas`), never written by hand.

What the models leave out on purpose (personal data of the households): demandeur and
personne ids, the composition of the household, resources and consumption units, priority
category codes (replaced by the boolean `prioritaire`: some category in force at the date,
R-PRIORITY-CATEGORIES), the numéro unique, and every free-text motif a person may have
given or that may describe a person (refusal motifs, commission motifs).

Versioning: a public type is named `hlm.<agregat>.<evenement>.v<N>`. A published version
never changes; any change to its payload (a field added, removed, renamed or whose meaning
changes) makes a new type `….v<N+1>` with its own model and schema (docs/DECISIONS.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.rules.cycle import Decision, Designataire
from domain.serialisation import valeurs

CONTRACT_VERSION = "1.0.0"


if not TYPE_CHECKING:
    # The v1 types list the designataires they were published with: the préfet's
    # designation under injunction has a type of its own (CandidatDesignePrefet).
    Designataire = Literal[tuple(d.value for d in Designataire if d != Designataire.PREFET)]
    Decision = valeurs(Decision)


class Donnees(BaseModel):
    """The public data of one event type. `extra="forbid"`: the schema says
    `additionalProperties: false`, and building one with an undeclared field fails."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- reference data ---------------------------------------------------------------------

class BailleurEnregistre(Donnees):
    """A bailleur (an organisation) is registered."""

    bailleur_id: str
    nom: str


class BailleurRenomme(Donnees):
    """A bailleur's name changes."""

    nom: str


class RapportTransmis(Donnees):
    """R-SEMESTER-REPORT: a bailleur transmitted to the préfet its hors-QPV data arrêtées
    au `date_fin` (30 June or 31 December) on `date_transmission`."""

    territoire_id: str
    date_fin: date
    date_transmission: date


class ReservataireEnregistre(Donnees):
    """A réservataire (an organisation) is registered."""

    reservataire_id: str
    nom: str
    type: Literal["etat", "collectivite", "action_logement", "autre"]


class ReservataireModifie(Donnees):
    """A réservataire's name or type changes."""

    nom: str
    type: Literal["etat", "collectivite", "action_logement", "autre"]


class TerritoireDefini(Donnees):
    """An EPCI, an EPT or Paris (R-MIXITE-TERRITORY)."""

    territoire_id: str
    nom: str
    soumis_mixite_depuis: date | None
    ile_de_france: bool


class TerritoireModifie(Donnees):
    """A territoire's name or subjection to the mix rules changes."""

    nom: str
    soumis_mixite_depuis: date | None
    ile_de_france: bool


class SeuilPremierQuartilePublie(Donnees):
    """R-Q1-THRESHOLD: the yearly first-quartile threshold (euros per consumption unit per
    year), a published act."""

    annee: int
    montant_par_uc: float
    acte: str


class ObjectifsFixes(Donnees):
    """R-CIA-BAILLEUR-DISTRIBUTION: the CIA objectives of a bailleur for a year."""

    bailleur_id: str
    annee: int
    taux_hors_qpv_premier_quartile: float
    taux_qpv_autres_quartiles: float


class ObjectifPublic(Donnees):
    """An objective of attributions to a public the CIA names: a count, a share, or both."""

    nombre: int | None
    taux: float | None


class ObjectifBailleurCia(Donnees):
    """One bailleur's objectives in a CIA and the leases expected of it that weigh them."""

    bailleur_id: str
    taux_hors_qpv_premier_quartile: float
    base_hors_qpv: int
    taux_qpv_autres_quartiles: float | None = Field(description="null: the territory's rate")
    base_qpv: int | None


class CiaConclue(Donnees):
    """R-CIA-BAILLEUR-DISTRIBUTION: a CIA in force from `date_effet` (replacing, from then,
    the objectives fixed before), with the objectives of R-ESSENTIAL-WORKERS-OBJECTIVE and
    R-SAPEUR-POMPIER-OBJECTIVE if it sets them."""

    date_effet: date
    acte: str
    objectifs: list[ObjectifBailleurCia]
    objectif_travailleurs_essentiels: ObjectifPublic | None
    objectif_sapeurs_pompiers: ObjectifPublic | None


class OrientationsAdoptees(Donnees):
    """R-QUOTA-RATE-ADAPTATION: a CIL's rates from `date_effet` (L441-1-5 1° bis, 1° ter;
    null: the statutory one); `adapte`: a lower hors-QPV rate under v15, to be reviewed by
    `revision_avant`."""

    date_effet: date
    acte: str
    taux_hors_qpv: float | None
    taux_qpv: float | None
    adapte: bool
    revision_avant: date | None


class RegionDefinie(Donnees):
    """A region whose threshold its territoires take: Île-de-France (R-Q1-THRESHOLD)."""

    region_id: str


class SeuilRegionalPublie(Donnees):
    """R-Q1-THRESHOLD: Île-de-France's yearly first-quartile threshold (euros per
    consumption unit per year), for every territoire `ile_de_france`."""

    annee: int
    montant_par_uc: float
    acte: str


class EtatLogement(Donnees):
    """The attributes of a logement from `date_effet` on."""

    logement_id: str
    date_effet: date
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None = Field(description="null: not réservé")


class LogementCaracterise(EtatLogement):
    """A logement is described, from `date_effet` on."""


class LogementModifie(EtatLogement):
    """A logement's attributes change from `date_effet` on (earlier versions still hold
    before that date)."""


# --- demandes -----------------------------------------------------------------------------

class Drapeaux(Donnees):
    """What the quota rules need about a household, never its data: DALO, some priority
    category in force at the date (R-PRIORITY-CATEGORIES), relogé renouvellement urbain."""

    dalo: bool
    prioritaire: bool = Field(description="a priority category of L441-1 in force at the "
                                          "event's business date (codes are not published)")
    relogement_renouvellement_urbain: bool


class DemandeDeposee(Drapeaux):
    """A demande is filed (its numéro unique and household are not published)."""

    date_depot: date
    date_anciennete: date
    anciennete_source: UUID | None = Field(
        description="the demande whose seniority this one keeps (R-SENIORITY-SEPARATION)")


class SituationModifiee(Drapeaux):
    """The household's situation changes from `date_effet` (flags as of that date)."""

    date_effet: date


class DemandeurSubstitue(Donnees):
    """After a separation the other member becomes the demandeur (who is not published)."""

    date_effet: date
    date_separation: date
    date_anciennete: date
    anciennete_source: UUID | None


class MembreParti(Donnees):
    """A member left the household and filed the demande `nouvelle_demande_id`."""

    date_separation: date
    nouvelle_demande_id: UUID


class DemandeRadiee(Donnees):
    """The demande is radiée."""

    date_effet: date
    motif: Literal["attribution", "renonciation", "non_renouvellement", "irrecevabilite",
                   "autre"]


class DesigneeSurVacance(Donnees):
    """The demande is designated on a vacancy (see hlm.vacance.candidat_designe)."""

    date_effet: date
    vacance_id: UUID


class DemandeAttribuee(Donnees):
    """The demande is satisfied by the lease of a logement."""

    date_effet: date
    vacance_id: UUID
    logement_id: str


# --- the attribution cycle ----------------------------------------------------------------

class VacanceDeclaree(Donnees):
    """A logement falls vacant: the attribution cycle starts, with the logement's
    attributes at the information date."""

    logement_id: str
    date_information: date
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None
    designataire: Designataire
    date_limite_designation: date | None = Field(
        description="R-RESERVATAIRE-DELAI-1-MOIS, null where it does not apply")


class TourDeDesignationPasse(Donnees):
    """R-RESERVATAIRE-DELAI-1-MOIS: the réservataire's month passed without a proposal;
    the bailleur designates for this turn."""

    date_effet: date
    designataire: Designataire
    motif: Literal["delai_expire"]
    regle: str | None


class CandidatDesigne(Donnees):
    """A demande is proposed for the vacancy."""

    date_effet: date
    demande_id: UUID
    par: Designataire
    organisation: str | None = Field(description="the designating organisation's id "
                                                 "(réservataire, bailleur or commune)")


class CandidatDesignePrefet(Donnees):
    """R-6-MONTH-FLUX-INJUNCTION (L441-1 al. 34): the bailleur enjoined, the préfet
    proposes a demande for its hors-QPV vacancy; the lease that follows is a préfet
    attribution."""

    date_effet: date
    demande_id: UUID
    organisation: str | None = Field(description="the réservataire acting for the préfet")


class Votes(Donnees):
    """The commission's votes on one decision."""

    pour: int
    contre: int
    voix_maire: Literal["pour", "contre"] | None = None


class DecisionCommission(Donnees):
    """One decision of the commission (its free-text motif is not published)."""

    demande_id: UUID
    decision: Decision
    rang: int | None
    votes: Votes | None
    departage_maire: bool = Field(description="R-COMMISSION-TIE-BREAK-MAIRE")


class DecisionsCommissionEnregistrees(Donnees):
    """The attribution commission decides on designated demandes
    (R-COMMISSION-NOMINATIVE)."""

    date_effet: date = Field(description="the date of the commission")
    decisions: list[DecisionCommission]


class RefusEnregistre(Donnees):
    """The household refused the attribution (its motif is not published)."""

    date_effet: date
    demande_id: UUID


class CandidatRetire(Donnees):
    """The demande left this cycle: radiated, or leased elsewhere."""

    date_effet: date
    demande_id: UUID
    motif: Literal["radiation", "attribuee_ailleurs"]


class AttributionReservataireEchouee(Donnees):
    """R-FAILED-QPV-TO-MAIRE: every candidate of the réservataire failed."""

    date_effet: date
    designataire: Designataire


class BailSigne(Drapeaux):
    """A lease is signed: the fact the quotas count. The flags are those of the household
    at `date_signature`, as known when the lease was recorded (a later-recorded correction
    is not re-published here: the quota read models answer with `known_at`)."""

    date_effet: date = Field(description="the date of signature")
    demande_id: UUID
    logement_id: str
    bailleur_id: str
    territoire_id: str
    reservataire_id: str | None
    qpv: bool
    designe_par: Designataire
    premier_quartile: bool | None = Field(
        description="resources per consumption unit strictly below the territory's "
                    "threshold for the year (R-Q1-THRESHOLD); null when no threshold or "
                    "no resources were known")


class BailSignePrefet(BailSigne):
    """The lease of the préfet's candidate under injunction (R-6-MONTH-FLUX-INJUNCTION,
    L441-1 al. 34): counted in the bailleur's quotas like any lease, excluded from the
    réservataires' annual flux (al. 39). `bail_signe.v1` keeps its designataires."""

    designe_par: Literal["prefet"]  # type: ignore[assignment]
    organisation: str | None = Field(description="the réservataire acting for the préfet")


# --- the envelope ---------------------------------------------------------------------------

class Enveloppe(BaseModel):
    """One item of `GET /v1/evenements` and the value of one Kafka record."""

    model_config = ConfigDict(extra="forbid")

    position: int = Field(description="global position in the store (ce_sequence)")
    id: str = Field(description="`{agregat_id}:{version}`, the deduplication key (ce_id)")
    type: str = Field(description="public versioned type (ce_type)")
    version: int = Field(description="the aggregate's version after this event")
    agregat_id: str = Field(description="the aggregate id, the Kafka key")
    date_effet: date | None = Field(description="business date of the act, if it has one")
    enregistre_le: datetime | None = Field(description="record time (ce_time)")
    donnees: dict[str, Any]
