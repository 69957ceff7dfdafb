"""Response bodies of the v1 contract, for the OpenAPI document only.

The routers keep returning their JSONResponse (the bytes are the read side's presentation,
projections/presentation.py, and the read models' rows); these models describe that JSON in
the document (`response_model=`), together with every status a route can answer (`reponses()`): the
error shape of the contract for every error, the framework's own validation schema never
(api/errors.py answers validation errors in the contract's shape, `VALIDATION`).

They describe what is returned today, field for field. They do not forbid other fields: the
contract lets fields be added (API.md), so clients must not reject them;
tests/e2e/test_openapi_document.py checks, on a real lifecycle, that every field returned is
declared here and every declared field is returned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.errors import RETRY_AFTER_S
from api.limits import MAX_BODY_BYTES
from api.schemas import Categorie, Decision, Lien
from domain.demande import StatutDemande
from domain.rules.cycle import Designataire
from domain.rules.ressources import Justificatif, MotifRessourcesPropres
from domain.serialisation import valeurs
from domain.vacance import StatutDesignation, StatutVacance
from infra.stream.public_schemas import Enveloppe

if not TYPE_CHECKING:  # the Literal of each enum's values (domain.serialisation.valeurs)
    Designataire = valeurs(Designataire)
    Justificatif = valeurs(Justificatif)
    MotifRessourcesPropres = valeurs(MotifRessourcesPropres)
    StatutDemande = valeurs(StatutDemande)
    StatutDesignation = valeurs(StatutDesignation)
    StatutVacance = valeurs(StatutVacance)
TypeReservataire = Literal["etat", "collectivite", "action_logement", "autre"]
MotifRadiation = Literal["attribution", "renonciation", "non_renouvellement",
                         "irrecevabilite", "autre"]


class Sortie(BaseModel):
    """A response body (documentation only: the routers build the JSON themselves)."""


# --- the error shape ----------------------------------------------------------------------

class CorpsErreur(Sortie):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$",
                      description="UPPER_SNAKE error code, e.g. VALIDATION, NOT_FOUND, "
                                  "DELAI_DESIGNATION_EXPIRE")
    message: str = Field(description="human text")
    rule: str | None = Field(description="the rule id of RULES.md (R-…) that refuses, "
                                         "or null")
    details: dict[str, Any] = Field(description="what the caller needs to act on it; "
                                                "for VALIDATION, `errors`: "
                                                "[{loc, msg, type}]")


class Erreur(Sortie):
    """Every error body of the contract (API.md, Errors)."""

    error: CorpsErreur


# --- reference data -----------------------------------------------------------------------

class BailleurVue(Sortie):
    bailleur_id: str
    nom: str


class ReservataireVue(Sortie):
    reservataire_id: str
    nom: str
    type: TypeReservataire


class SeuilTerritoire(Sortie):
    annee: int
    montant_par_uc: float = Field(description="euros per consumption unit per year")
    acte: str


class ObjectifsTerritoire(Sortie):
    bailleur_id: str
    annee: int
    taux_hors_qpv_premier_quartile: float
    taux_qpv_autres_quartiles: float


class ObjectifPublicVue(Sortie):
    nombre: int | None
    taux: float | None


class ObjectifBailleurCia(Sortie):
    bailleur_id: str
    taux_hors_qpv_premier_quartile: float
    base_hors_qpv: int = Field(description="the leases expected of the bailleur")
    taux_qpv_autres_quartiles: float | None = Field(description="null: the territory's rate")
    base_qpv: int | None


class CiaTerritoire(Sortie):
    """R-CIA-BAILLEUR-DISTRIBUTION: a CIA in force from `date_effet` until a later one."""

    date_effet: date
    acte: str
    objectifs: list[ObjectifBailleurCia]
    objectif_travailleurs_essentiels: ObjectifPublicVue | None = Field(
        description="R-ESSENTIAL-WORKERS-OBJECTIVE")
    objectif_sapeurs_pompiers: ObjectifPublicVue | None = Field(
        description="R-SAPEUR-POMPIER-OBJECTIVE")
    taux_pondere_hors_qpv: float | None = Field(
        description="Σ objectif × base / Σ base, rounded to four decimals")
    taux_territoire_hors_qpv: float = Field(
        description="the territory's rate on `date_effet` (R-QUOTA-RATE-ADAPTATION)")


class OrientationsTerritoire(Sortie):
    """R-QUOTA-RATE-ADAPTATION: a CIL's rates from `date_effet` until later ones."""

    date_effet: date
    acte: str
    taux_hors_qpv: float | None = Field(description="L441-1-5 1° bis; null: 25 %")
    taux_qpv: float | None = Field(description="L441-1-5 1° ter; null: 50 %")
    adapte: bool = Field(description="a hors-QPV rate below 25 %, adapted under v15 (L441-1 "
                                     "al. 23, 2017-01-29 to 2018-11-24)")
    revision_avant: date | None = Field(description="an adapted rate's three-yearly review")


class TerritoireVue(Sortie):
    territoire_id: str
    nom: str
    soumis_mixite_depuis: date | None
    ile_de_france: bool
    prefet_reservataire_id: str | None
    seuils: list[SeuilTerritoire] = Field(description="by year")
    objectifs: list[ObjectifsTerritoire] = Field(description="by bailleur and year")
    cias: list[CiaTerritoire] = Field(description="by date_effet")
    orientations: list[OrientationsTerritoire] = Field(description="by date_effet")


class SeuilPublie(SeuilTerritoire):
    """R-Q1-THRESHOLD: the threshold published for the year."""

    territoire_id: str


class ObjectifsFixesVue(ObjectifsTerritoire):
    """R-CIA-BAILLEUR-DISTRIBUTION: the objectives set for the bailleur and year."""

    territoire_id: str


class CiaConclueVue(CiaTerritoire):
    territoire_id: str


class OrientationsAdopteesVue(OrientationsTerritoire):
    territoire_id: str


class SeuilsRegionaux(Sortie):
    """R-Q1-THRESHOLD: Île-de-France's thresholds, for every territoire `ile_de_france`."""

    region_id: Literal["ile-de-france"]
    seuils: list[SeuilTerritoire] = Field(description="by year")


class SeuilRegionalPublie(SeuilTerritoire):
    """R-Q1-THRESHOLD: Île-de-France's threshold published for the year."""

    region_id: Literal["ile-de-france"]


class VersionLogement(Sortie):
    """The attributes of a logement from `date_effet` on."""

    date_effet: date
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None = Field(description="null: non réservé")
    ancienne_zus: bool = Field(description="a former ZUS never classified QPV "
                                           "(R-QPV-ASSIMILATION-ZUS)")
    sortie_qpv_le: date | None = Field(description="the day its quartier left the QPV list")


class LogementVue(VersionLogement):
    """The version in force (for a PUT: the one written; for a GET: the latest) and every
    version."""

    logement_id: str
    historique: list[VersionLogement] = Field(description="by date_effet")


# --- demandes -----------------------------------------------------------------------------

class PersonneALoger(Sortie):
    personne_id: str
    lien: Lien


class AncienneteSource(Sortie):
    demande_id: str = Field(description="the demande whose seniority this one keeps")
    regle: Literal["R-SENIORITY-SEPARATION"]


class BaseRessourcesVue(Sortie):
    """R-RESOURCES-REQUERANT-ONLY on `as_of`: whose resources count."""

    base: Literal["requerant", "menage"] = Field(
        description="requerant: only the requérant's own resources (ressources_requerant); "
                    "menage: the household's (ressources_annuelles)")
    regle: Literal["R-RESOURCES-REQUERANT-ONLY", "R-RESOURCES-DIVORCE-MUTUEL-TRANSITOIRE"]
    annee_reference: int | None = Field(
        description="v9-v14 only: the tax year whose resources count (N-2 of the lease "
                    "year, here of `as_of`'s year); null from 2017-01-29 or for the household")


class AttributionDemande(Sortie):
    vacance_id: str
    logement_id: str
    date_signature: date


class SeparationSubstitution(Sortie):
    date_separation: date
    mode: Literal["substitution"]
    membre_id: str = Field(description="the member who became the demandeur")


class SeparationNouvelleDemande(Sortie):
    date_separation: date
    mode: Literal["nouvelle_demande"]
    membre_id: str = Field(description="the member who left and filed a new demande")
    nouvelle_demande_id: str


Separation = Annotated[SeparationSubstitution | SeparationNouvelleDemande,
                       Field(discriminator="mode")]


class DemandeVue(Sortie):
    """The demande on `as_of` (API.md, Demandes)."""

    demande_id: str
    numero_unique: str
    organisation: str | None = Field(description="the registering organisation (null: "
                                                 "admin)")
    statut: StatutDemande
    demandeur_id: str
    date_depot: date
    date_anciennete: date = Field(description="the date seniority runs from")
    anciennete_jours: int = Field(description="`as_of` minus `date_anciennete`, in days")
    anciennete_source: AncienneteSource | None
    ressources_annuelles: float | None = Field(description="euros per year (null: not "
                                                           "given for a new demande of a "
                                                           "separation)")
    unites_consommation: float | None
    ressources_par_uc: float | None = Field(
        description="the resources of `base_ressources` per consumption unit")
    base_ressources: BaseRessourcesVue
    ressources_requerant: float | None = Field(description="the requérant's own annual "
                                                           "resources")
    unites_consommation_requerant: float | None = Field(
        description="null: one (a person alone) when only the requérant's resources count")
    motif_ressources_propres: MotifRessourcesPropres | None
    justificatif: Justificatif | None
    date_justificatif: date | None
    date_naissance: date | None = Field(description="priority m) (JEUNE_EX_ASE)")
    fin_prise_en_charge_ase: date | None = Field(description="priority m): last day of the "
                                                             "ASE care")
    mineur_emancipe: bool | None = Field(description="priority m)")
    dalo: bool
    categories_prioritaires: list[Categorie]  # type: ignore[valid-type]
    categories_en_vigueur: list[Categorie] = Field(  # type: ignore[valid-type]
        description="those the law in force on `as_of` lists (R-PRIORITY-CATEGORIES; "
                    "JEUNE_EX_ASE only within its age and three-year limits)")
    personnes_a_loger: list[PersonneALoger]
    relogement_renouvellement_urbain: bool
    motif_radiation: MotifRadiation | None
    attribution: AttributionDemande | None
    separations: list[Separation]
    as_of: date


class ActeurEnregistre(Sortie):
    """Who recorded the event (API.md: every event records the actor)."""

    sub: str
    role: str
    organisation: str | None
    type_organisation: str | None
    request_id: str | None


class EvenementHistorique(Sortie):
    type: str
    version: int
    date_effet: date | None
    enregistre_le: datetime
    position: int | None
    acteur: ActeurEnregistre | None
    saisie_tardive: bool
    donnees: dict[str, Any] = Field(description="the event's data as recorded")


class HistoriqueDemande(Sortie):
    demande_id: str = Field(description="as given in the path")
    evenements: list[EvenementHistorique] = Field(description="in order")


# --- the attribution cycle ----------------------------------------------------------------

class TourDesignation(Sortie):
    designataire: Designataire
    depuis: date
    motif: Literal["delai_expire", "echec_reservataire"] | None
    regle: str | None


class VotesVue(Sortie):
    pour: int
    contre: int
    voix_maire: Literal["pour", "contre"] | None


class RefusVue(Sortie):
    date: date
    motif: str | None = Field(description="null for a réservataire or commune reading "
                                          "another organisation's candidate")


class RetraitVue(Sortie):
    date: date
    motif: Literal["radiation", "attribuee_ailleurs"]


# In DesignationVue's body `date` names its field, not the type: there the type is Jour.
Jour = date


class DesignationVue(Sortie):
    demande_id: str
    date: date
    par: Designataire
    organisation: str | None
    saisie_tardive: bool
    tour: int | None = Field(description="the turn of designation (null: the préfet's "
                                         "candidate under injunction, outside the turns)")
    statut: StatutDesignation
    decision: Decision | None
    rang: int | None
    motif: str | None
    votes: VotesVue | None
    departage_maire: bool = Field(description="R-COMMISSION-TIE-BREAK-MAIRE")
    date_commission: Jour | None
    refus: RefusVue | None
    retrait: RetraitVue | None


class BailVue(Sortie):
    demande_id: str
    date_signature: date


class VacanceVue(Sortie):
    """The whole state of the cycle on `as_of` (API.md, The attribution cycle)."""

    vacance_id: str
    logement_id: str
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None
    date_information: date
    designataire: Designataire | None = Field(description="who may designate now (null "
                                                          "once the lease is signed)")
    organisation_designataire: str | None
    date_limite_designation: date | None = Field(description="R-RESERVATAIRE-DELAI-1-MOIS")
    statut: StatutVacance
    tours: list[TourDesignation]
    attribution_reservataire_echouee: date | None
    designations: list[DesignationVue]
    candidat_a_signer: str | None
    bail: BailVue | None


# --- quotas and reports -------------------------------------------------------------------

class FluxSemestre(Sortie):
    """The hors-QPV flux of R-QUOTA-HORS-QPV-Q1-25 (for a semester: compliance is judged
    on the year)."""

    attributions: int
    premier_quartile: int
    reloges: int
    eligibles: int
    quartile_inconnu: int = Field(description="leases whose first-quartile status cannot be "
                                              "known (no threshold for their year, resources "
                                              "undeclared) and not relogés: in the base, "
                                              "never eligible")
    taux: float | None
    objectif: float | None


class Exigence(Sortie):
    """Where a rule's objective stands on its base: the exact rate compared with it."""

    conforme: bool | None
    minimum: int | None = Field(description="the smallest count that reaches the objective "
                                            "on this base, ceil(objectif × attributions); "
                                            "null without base or objective")
    manque: int | None = Field(description="how many more are needed to reach it (0 when "
                                           "reached); null without base or objective")


class BlocHorsQpv(FluxSemestre, Exigence):
    """R-QUOTA-HORS-QPV-Q1-25: the leases dated while the rule was in force and the
    territory subject."""


class BlocQpv(Exigence):
    """R-QUOTA-QPV-50: the leases dated from 2018-11-25, the territory subject."""

    attributions: int
    autres_quartiles: int
    quartile_inconnu: int = Field(description="leases whose first-quartile status cannot be "
                                              "known: neither first quartile nor other")
    taux: float | None
    objectif: float | None


class BlocNonReserves(Exigence):
    """R-NONRESERVE-25-DALO: the leases dated from 2017-01-29."""

    attributions: int
    dalo_ou_prioritaires: int
    taux: float | None
    objectif: float | None


class AttributionsPrefet(Sortie):
    """R-6-MONTH-FLUX-INJUNCTION (v20): the year's leases of the préfet's candidates under
    injunction, and the vacancies whose household someone else designated while an
    injunction ran, as known now (accepted, flagged)."""

    regle: Literal["R-6-MONTH-FLUX-INJUNCTION"]
    attributions_prefet: int
    hors_injonction: list[str] = Field(description="vacance ids")


class ObjectifDeclare(Sortie):
    """An objective the CIA in force on the year's last day counted declares, as declared
    (R-ESSENTIAL-WORKERS-OBJECTIVE, v20; R-SAPEUR-POMPIER-OBJECTIVE, from 2021-11-27)."""

    regle: Literal["R-ESSENTIAL-WORKERS-OBJECTIVE", "R-SAPEUR-POMPIER-OBJECTIVE"]
    en_vigueur: bool = Field(description="the rule in force then, the territory subject")
    objectif: ObjectifPublicVue | None
    realise: int | None = Field(description="null: the demandes do not record the "
                                            "household's activity yet")


class SubstitutionPrefet(Sortie):
    """R-PREFET-SUBSTITUTION (v15-v19): the logements the préfet attributes for the
    hors-QPV shortfall of the year."""

    regle: Literal["R-PREFET-SUBSTITUTION"]
    logements: int


class SemestreQuotas(Sortie):
    """R-6-MONTH-FLUX-INJUNCTION: the six months ending on the year's `fin`, and the
    préfet's injunction as a state."""

    debut: date
    fin: date
    hors_qpv_taux_6_mois: float | None
    flux_conforme: bool | None = Field(description="the six-month flux reaches the objective "
                                                   "(null where the rule does not apply or "
                                                   "cannot decide)")
    injonction: bool = Field(description="an injunction runs on `fin`")
    injonction_depuis: date | None = Field(description="the last injunction started by "
                                                       "`fin`: its first day")
    injonction_motif: Literal["FLUX_6_MOIS", "RAPPORT_NON_TRANSMIS"] | None
    injonction_levee_le: date | None = Field(description="the day the twelve-month flux "
                                                         "reached the objective")


class QuotasBailleur(Sortie):
    bailleur_id: str
    territoire_id: str
    annee: int
    hors_qpv: BlocHorsQpv
    qpv: BlocQpv
    non_reserves: BlocNonReserves
    semestre: SemestreQuotas
    substitution_prefet: SubstitutionPrefet | None = Field(
        description="null where R-PREFET-SUBSTITUTION does not apply (from v20, "
                    "R-6-MONTH-FLUX-INJUNCTION instead)")
    attributions_prefet: AttributionsPrefet | None = Field(
        description="null where R-6-MONTH-FLUX-INJUNCTION applies on no day of the "
                          "year (before v20, territory not subject)")
    travailleurs_essentiels: ObjectifDeclare
    sapeurs_pompiers: ObjectifDeclare
    as_of: date
    known_at: datetime | None


class QuotasReservataire(Exigence):
    """R-COLLECTIVITE-25-DALO: the leases dated from 2017-01-29."""

    reservataire_id: str
    annee: int
    attributions: int
    dalo_ou_prioritaires: int
    taux: float | None
    objectif: float | None
    as_of: date
    known_at: datetime | None


class StatistiquesTerritoire(Sortie):
    """R-GOV-STATISTICS: one territory's year, every bailleur together, against the
    statutory rates where the territory is subject."""

    regle: Literal["R-GOV-STATISTICS"]
    territoire_id: str
    annee: int
    hors_qpv: BlocHorsQpv
    qpv: BlocQpv
    as_of: date
    known_at: datetime | None


class TransmissionRapport(Sortie):
    """R-SEMESTER-REPORT: the semester's report transmitted or not, against its due date."""

    bailleur_id: str
    territoire_id: str
    date_fin: date
    date_transmission: date | None
    echeance: date
    a_temps: bool | None = Field(description="null while not transmitted")


class PeriodeRapport(Sortie):
    debut: date
    fin: date




class LigneRapport(Sortie):
    """One hors-QPV lease of the semester (also one row of the CSV form)."""

    vacance_id: str
    demande_id: str
    date_signature: date
    reservataire_id: str | None
    reservataire_type: TypeReservataire | None
    premier_quartile: bool
    reloge: bool
    eligible: bool


class RapportSemestre(Sortie):
    """R-SEMESTER-REPORT."""

    regle: Literal["R-SEMESTER-REPORT"]
    bailleur_id: str
    territoire_id: str
    periode: PeriodeRapport
    echeance: date
    exigible: bool
    semestre: FluxSemestre
    annee: BlocHorsQpv
    injonction: bool
    transmission: TransmissionRapport = Field(description="whether the report was "
                                                          "transmitted, as known at known_at")
    attributions: list[LigneRapport]
    as_of: date
    known_at: datetime | None


# --- health and the event feed ------------------------------------------------------------

class Ping(Sortie):
    statut: Literal["ok"]


class EtatVue(Sortie):
    nom: str
    position: int
    retard: int
    erreur: str | None = Field(description="an event the view failed on: it stopped")
    erreur_transitoire: str | None = Field(description="the database failed under the "
                                                       "projector, retrying")
    mis_a_jour: str | None


class Sante(Sortie):
    statut: Literal["ok", "transitoire", "degrade"]
    position_magasin: int
    vues: list[EtatVue]


class PageEvenements(Sortie):
    evenements: list[Enveloppe]
    suivant: int = Field(description="the position to pass as `apres` next time: the last "
                                     "one served, or `apres` when there is nothing new")
    limite: int = Field(description="the limit applied: `limite` capped at the maximum")


# --- the responses of each route ----------------------------------------------------------

_ERREURS = {
    400: "BAD_REQUEST: an empty Idempotency-Key.",
    401: "UNAUTHENTICATED or TOKEN_EXPIRED: no bearer token, or not a valid one.",
    403: "FORBIDDEN: the role or the organisation does not allow this action (judged "
         "before any state).",
    404: "NOT_FOUND: an id of the path or of the body is unknown.",
    409: "A state conflict: a business rule of the cycle, CONCURRENT_WRITE, or "
         "IDEMPOTENCY_KEY_REUSED (the same Idempotency-Key with another request).",
    413: f"PAYLOAD_TOO_LARGE: a body over {MAX_BODY_BYTES} bytes.",
    422: "VALIDATION: malformed or invalid input (the framework's errors in "
         "`details.errors`), or a business validation code (DATE_FUTURE, DATE_INCOHERENTE, "
         "…).",
    503: "STORE_UNAVAILABLE: the database cannot be reached; retry after `Retry-After` "
         "seconds.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": f"seconds ({RETRY_AFTER_S})",
                          "schema": {"type": "integer"}}},
}
# Reads of the views: set only when the views stayed behind the store past the wait bound.
RETARD = {
    "X-HLM-Position": {"description": "the store position the answer reflects (only when "
                                      "the views are behind)",
                       "schema": {"type": "integer"}},
    "X-HLM-Retard": {"description": "how many positions the answer is behind the store",
                     "schema": {"type": "integer"}},
}

LECTURE = (401, 403, 422, 503)
ECRITURE = (400, 401, 403, 409, 413, 422, 503)


def reponses(*statuts: int, precisions: dict[int, str] | None = None,
             succes: dict[int | str, dict[str, Any]] | None = None
             ) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each error status with the contract's error schema
    (`precisions` appended to the generic description), and `succes`, extra success
    entries (FastAPI merges one for the route's own status with its response)."""
    out: dict[int | str, dict[str, Any]] = dict(succes or {})
    for statut in sorted(set(statuts)):
        description = _ERREURS[statut]
        if precisions and statut in precisions:
            description = f"{description} {precisions[statut]}"
        entry: dict[str, Any] = {"model": Erreur, "description": description}
        if statut in _HEADERS:
            entry["headers"] = _HEADERS[statut]
        out[statut] = entry
    return out
