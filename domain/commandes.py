"""The commands the application takes whose content is more than a few ids and dates: typed
values, checked by the HTTP schemas before they get here, turned into the fields the events
record by `champs()` (so what is stored stays what it always was).

`depuis(mapping)` reads a command from a mapping of the same field names (a request body
dumped by its schema, a test's payload, the demo's data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self, TypeVar

from domain.errors import Invalide
from domain.rules.ressources import RULE_ID as RESSOURCES_RULE
from domain.rules.ressources import Justificatif, MotifRessourcesPropres

E = TypeVar("E", bound=StrEnum)


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


# The optional parts of a situation (R-RESOURCES-REQUERANT-ONLY: the requérant's own
# resources and the ground with its evidence; R-PRIORITY-CATEGORIES m): the facts its limits
# need). The events record each only when it is set, so that a situation without them is
# recorded as it always was and the events recorded before them still load.
CHAMPS_OPTIONNELS = (
    "ressources_requerant", "unites_consommation_requerant", "motif_ressources_propres",
    "justificatif", "date_justificatif", "date_naissance", "fin_prise_en_charge_ase",
    "mineur_emancipe",
)
# The ground and its evidence go together: withdrawing the ground withdraws its evidence.
MOTIF = ("motif_ressources_propres", "justificatif", "date_justificatif")


@dataclass(frozen=True)
class ChangementSituation:
    """The parts of a household's situation a change sets; None: unchanged. `effaces`: the
    optional parts it withdraws (given as null: `depuis`)."""

    ressources_annuelles: Decimal | None = None
    unites_consommation: Decimal | None = None
    dalo: bool | None = None
    categories_prioritaires: tuple[str, ...] | None = None
    personnes_a_loger: tuple[Personne, ...] | None = None
    relogement_renouvellement_urbain: bool | None = None
    ressources_requerant: Decimal | None = None
    unites_consommation_requerant: Decimal | None = None
    motif_ressources_propres: MotifRessourcesPropres | None = None
    justificatif: Justificatif | None = None
    date_justificatif: date | None = None
    date_naissance: date | None = None
    fin_prise_en_charge_ase: date | None = None
    mineur_emancipe: bool | None = None
    effaces: frozenset[str] = frozenset()

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        """An optional part given as None is withdrawn (the others given as None are
        unchanged, as they always were)."""
        known = {f.name for f in fields(cls)} - {"effaces"}
        effaces = {k for k, v in valeurs.items() if k in CHAMPS_OPTIONNELS and v is None}
        if "motif_ressources_propres" in effaces:
            effaces.update(MOTIF)
        return cls(**{k: _typer(k, v) for k, v in valeurs.items() if k in known},
                   effaces=frozenset(effaces))

    def champs(self) -> dict[str, Any]:
        """Only the fields set, as the events record them; a withdrawn one as None."""
        return {**{k: v for k, v in _champs(self).items() if v is not None},
                **{k: None for k in CHAMPS_OPTIONNELS if k in self.effaces}}


@dataclass(frozen=True)
class Situation:
    """A household's whole situation, as a demande records it from a date (its fields, in
    this order, are `domain.demande.SITUATION_FIELDS`, then the optional ones that are set:
    `CHAMPS_OPTIONNELS`)."""

    ressources_annuelles: Decimal | None
    unites_consommation: Decimal | None
    dalo: bool = False
    categories_prioritaires: tuple[str, ...] = ()
    personnes_a_loger: tuple[Personne, ...] = ()
    relogement_renouvellement_urbain: bool = False
    ressources_requerant: Decimal | None = None
    unites_consommation_requerant: Decimal | None = None
    motif_ressources_propres: MotifRessourcesPropres | None = None
    justificatif: Justificatif | None = None
    date_justificatif: date | None = None
    date_naissance: date | None = None
    fin_prise_en_charge_ase: date | None = None
    mineur_emancipe: bool | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        """From a mapping; a field absent or None takes its default (nothing declared)."""
        ch = ChangementSituation.depuis(valeurs)
        return cls(ressources_annuelles=ch.ressources_annuelles,
                   unites_consommation=ch.unites_consommation, dalo=ch.dalo or False,
                   categories_prioritaires=ch.categories_prioritaires or (),
                   personnes_a_loger=ch.personnes_a_loger or (),
                   relogement_renouvellement_urbain=ch.relogement_renouvellement_urbain
                   or False,
                   **{k: getattr(ch, k) for k in CHAMPS_OPTIONNELS})

    def champs(self) -> dict[str, Any]:
        """Every field that is always recorded, then the optional ones set."""
        return {k: v for k, v in _champs(self).items()
                if k not in CHAMPS_OPTIONNELS or v is not None}


def _code(enum: type[E], nom: str, regle: str, valeur: Any) -> E:
    """A code of `enum`; an unknown one is invalid input, refused with its rule's id."""
    try:
        return enum(valeur)
    except ValueError:
        raise Invalide(f"Unknown {nom} code.", rule=regle,
                       details={nom: valeur, "codes": [m.value for m in enum]}) from None


def _typer(nom: str, valeur: Any) -> Any:
    if nom == "personnes_a_loger":
        return _personnes(valeur)
    if nom == "categories_prioritaires" and valeur is not None:
        return tuple(valeur)
    if valeur is not None and nom == "motif_ressources_propres":
        return _code(MotifRessourcesPropres, nom, RESSOURCES_RULE, valeur)
    if valeur is not None and nom == "justificatif":
        return _code(Justificatif, nom, RESSOURCES_RULE, valeur)
    return valeur


def _champs(situation: ChangementSituation | Situation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(situation):
        valeur = getattr(situation, f.name)
        if f.name == "effaces":
            continue
        if f.name == "personnes_a_loger" and valeur is not None:
            valeur = [p.champs() for p in valeur]
        elif f.name == "categories_prioritaires" and valeur is not None:
            valeur = list(valeur)
        elif isinstance(valeur, StrEnum):
            valeur = valeur.value  # the events keep the plain code
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
    `domain.referentiel.LOGEMENT_FIELDS`). `ancienne_zus`: in a former ZUS never classified
    QPV; `sortie_qpv_le`: the day its quartier left the QPV list (R-QPV-ASSIMILATION-ZUS,
    optional: a description without them is neither)."""

    date_effet: date
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None
    ancienne_zus: bool = False
    sortie_qpv_le: date | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(**{f.name: valeurs[f.name] for f in fields(cls) if f.name in valeurs
                      or f.default is MISSING})

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


@dataclass(frozen=True)
class ObjectifPublic:
    """An objective of attributions to a public the CIA names (R-ESSENTIAL-WORKERS-OBJECTIVE,
    R-SAPEUR-POMPIER-OBJECTIVE): a count, a share, or both."""

    nombre: int | None = None
    taux: Decimal | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any] | None) -> ObjectifPublic | None:
        if valeurs is None:
            return None
        return cls(nombre=valeurs.get("nombre"), taux=valeurs.get("taux"))

    def champs(self) -> dict[str, Any]:
        return {"nombre": self.nombre, "taux": self.taux}


@dataclass(frozen=True)
class ObjectifBailleur:
    """One bailleur's part of a CIA (R-CIA-BAILLEUR-DISTRIBUTION): its objectives and the
    leases expected of it that weigh them (`base_hors_qpv`, `base_qpv`); a QPV rate it does
    not set is the territory's."""

    bailleur_id: str
    taux_hors_qpv_premier_quartile: Decimal
    base_hors_qpv: int
    taux_qpv_autres_quartiles: Decimal | None = None
    base_qpv: int | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(bailleur_id=valeurs["bailleur_id"],
                   taux_hors_qpv_premier_quartile=valeurs["taux_hors_qpv_premier_quartile"],
                   base_hors_qpv=valeurs["base_hors_qpv"],
                   taux_qpv_autres_quartiles=valeurs.get("taux_qpv_autres_quartiles"),
                   base_qpv=valeurs.get("base_qpv"))

    def champs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Cia:
    """A convention intercommunale d'attribution from `date_effet` (L441-1 al. 28, 35, 36):
    every bailleur's objectives, and the objectives for essential workers and volunteer
    firefighters if it sets them."""

    date_effet: date
    acte: str
    objectifs: tuple[ObjectifBailleur, ...]
    travailleurs_essentiels: ObjectifPublic | None = None
    sapeurs_pompiers: ObjectifPublic | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(date_effet=valeurs["date_effet"], acte=valeurs["acte"],
                   objectifs=tuple(ObjectifBailleur.depuis(o) for o in valeurs["objectifs"]),
                   travailleurs_essentiels=ObjectifPublic.depuis(
                       valeurs.get("objectif_travailleurs_essentiels")),
                   sapeurs_pompiers=ObjectifPublic.depuis(
                       valeurs.get("objectif_sapeurs_pompiers")))


@dataclass(frozen=True)
class OrientationsCil:
    """The rates a conférence intercommunale du logement sets from `date_effet`
    (L441-1-5 al. 3-4: 1° bis hors QPV, 1° ter in QPV; None: the statutory one)."""

    date_effet: date
    acte: str
    taux_hors_qpv: Decimal | None = None
    taux_qpv: Decimal | None = None

    @classmethod
    def depuis(cls, valeurs: Mapping[str, Any]) -> Self:
        return cls(date_effet=valeurs["date_effet"], acte=valeurs["acte"],
                   taux_hors_qpv=valeurs.get("taux_hors_qpv"),
                   taux_qpv=valeurs.get("taux_qpv"))
