"""The demande de logement social: filing, changes of situation, separation, end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commandes import CHAMPS_OPTIONNELS, Situation
from domain.errors import Conflit, Invalide
from domain.ids import demande_uuid
from domain.rules.priorities import JEUNE_EX_ASE, JeuneAse, r_priority_categories
from domain.rules.ressources import RULE_ID as RESSOURCES_RULE
from domain.rules.ressources import (
    Base,
    BaseRessources,
    Justificatif,
    MotifRessourcesPropres,
    r_resources_requerant_only,
)
from domain.rules.seniority import RULE_ID as SENIORITY_RULE
from domain.rules.seniority import r_seniority_separation

# The fields of a situation every event records (in this order); then, only when set, the
# optional ones (`SITUATION_OPTIONNELS`): events recorded before them have none.
SITUATION_FIELDS = tuple(f.name for f in fields(Situation) if f.name not in CHAMPS_OPTIONNELS)
SITUATION_OPTIONNELS = CHAMPS_OPTIONNELS
PRIORITIES_RULE = "R-PRIORITY-CATEGORIES"
# R-RESOURCES-REQUERANT-ONLY: the consumption units of a requérant whose own resources
# count when none are given: one, a person alone (the UC scale is not in the seeds, RULES.md
# §7 item 8; docs/DECISIONS.md 14 bis).
UC_PERSONNE_SEULE = Decimal(1)


def _jour(valeur: date | str | None) -> date | None:
    """A date of a situation: a `date` in the aggregate, ISO text in a read model's row."""
    return date.fromisoformat(valeur) if isinstance(valeur, str) else valeur


def base_ressources(situation: Mapping[str, Any], jour: date) -> BaseRessources:
    """R-RESOURCES-REQUERANT-ONLY on `jour` (the decision's or the lease's date) for this
    situation's ground and evidence; a ground without the requérant's own resources leaves
    the household's."""
    motif = situation.get("motif_ressources_propres")
    justificatif = situation.get("justificatif")
    if motif is None or justificatif is None or situation.get("ressources_requerant") is None:
        return r_resources_requerant_only(None, None, None, jour)
    return r_resources_requerant_only(
        MotifRessourcesPropres(motif), Justificatif(justificatif),
        _jour(situation.get("date_justificatif")), jour)


def ressources_par_uc(situation: Mapping[str, Any], jour: date) -> Decimal | None:
    """Resources per consumption unit on `jour`: the requérant's own when the rule gives
    their basis, else the household's; None when they are not declared."""
    if base_ressources(situation, jour).base == Base.REQUERANT:
        ressources = situation["ressources_requerant"]
        unites = situation.get("unites_consommation_requerant") or UC_PERSONNE_SEULE
    else:
        ressources, unites = situation["ressources_annuelles"], situation["unites_consommation"]
    if ressources is None or not unites:
        return None
    return Decimal(ressources) / Decimal(unites)


def jeune_ase(situation: Mapping[str, Any]) -> JeuneAse | None:
    """The facts of m)'s limits in this situation; None when not recorded."""
    naissance = _jour(situation.get("date_naissance"))
    fin = _jour(situation.get("fin_prise_en_charge_ase"))
    if naissance is None or fin is None:
        return None
    return JeuneAse(naissance, fin, bool(situation.get("mineur_emancipe")))


def categories_en_vigueur(situation: Mapping[str, Any], jour: date) -> list[str]:
    """R-PRIORITY-CATEGORIES on `jour` for this situation (m) with its limits)."""
    return r_priority_categories(situation["categories_prioritaires"], jour,
                                 jeune_ase(situation))


def verifier_situation(situation: Mapping[str, Any], *, categories_declarees: bool) -> None:
    """What a situation to record must hold beyond each field's own checks: a ground of
    R-RESOURCES-REQUERANT-ONLY comes with the requérant's own resources; m) declared
    (`categories_declarees`: the command gives the categories) comes with the facts its
    limits need (docs/DECISIONS.md 14 ter). Raises Invalide naming the rule."""
    if (situation.get("motif_ressources_propres") is not None
            and situation.get("ressources_requerant") is None):
        raise Invalide("A ground for counting the requérant's own resources needs those "
                       "resources (ressources_requerant).", rule=RESSOURCES_RULE,
                       details={"champs": ["ressources_requerant"]})
    if (categories_declarees and JEUNE_EX_ASE in situation["categories_prioritaires"]
            and jeune_ase(situation) is None):
        manquants = [k for k in ("date_naissance", "fin_prise_en_charge_ase")
                     if situation.get(k) is None]
        raise Invalide("Priority m) (JEUNE_EX_ASE) needs the birth date and the last day of "
                       "the ASE care.", rule=PRIORITIES_RULE, details={"champs": manquants})
    naissance = _jour(situation.get("date_naissance"))
    fin = _jour(situation.get("fin_prise_en_charge_ase"))
    if naissance is not None and fin is not None and fin < naissance:
        raise Invalide("The ASE care cannot end before the birth date.", rule=PRIORITIES_RULE,
                       details={"date_naissance": naissance.isoformat(),
                                "fin_prise_en_charge_ase": fin.isoformat()})


def situation_a_enregistrer(situation: Mapping[str, Any]) -> dict[str, Any]:
    """The situation as an event records it: every field always recorded, then the
    optional ones set."""
    return {**{k: situation[k] for k in SITUATION_FIELDS},
            **{k: situation[k] for k in SITUATION_OPTIONNELS if situation.get(k) is not None}}


class StatutDemande(StrEnum):
    """Where a demande stands: active until attributed (a lease) or radiée."""

    ACTIVE = "active"
    ATTRIBUEE = "attribuee"
    RADIEE = "radiee"


class Demande(Aggregate):
    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Deposee(Aggregate.Created):
            numero_unique: str
            date_depot: date
            demandeur_id: str
            situation: dict[str, Any]
            date_anciennete: date
            anciennete_source: str | None
            organisation: str | None

        class SituationModifiee(Aggregate.Event):
            date_effet: date
            situation: dict[str, Any]

        class DemandeurSubstitue(Aggregate.Event):
            date_effet: date
            date_separation: date
            ancien_demandeur_id: str
            nouveau_demandeur_id: str
            date_anciennete: date
            anciennete_source: str | None

        class MembreParti(Aggregate.Event):
            date_separation: date
            membre_id: str
            nouvelle_demande_id: str

        class Radiee(Aggregate.Event):
            date_effet: date
            motif: str

        class DesigneeSurVacance(Aggregate.Event):
            date_effet: date
            vacance_id: str
            saisie_tardive: bool

        class Attribuee(Aggregate.Event):
            date_effet: date
            vacance_id: str
            logement_id: str

    @staticmethod
    def create_id(numero_unique: str) -> UUID:
        return demande_uuid(numero_unique)

    @event("Deposee")
    def __init__(
        self,
        numero_unique: str,
        date_depot: date,
        demandeur_id: str,
        situation: dict[str, Any],
        date_anciennete: date,
        anciennete_source: str | None,
        organisation: str | None = None,
    ) -> None:
        self.numero_unique = numero_unique
        # The registering organisation (API.md, Writes on a demande); None: admin.
        self.organisation = organisation
        self.date_depot = date_depot
        self.demandeur_id = demandeur_id
        self.situations: list[dict[str, Any]] = [{"date_effet": date_depot, **situation}]
        self.date_anciennete = date_anciennete
        self.anciennete_source = anciennete_source
        self.statut = StatutDemande.ACTIVE
        self.date_fin: date | None = None
        self.motif_radiation: str | None = None
        self.attribution: dict[str, Any] | None = None
        self.vacances: list[str] = []
        self.separations: list[dict[str, Any]] = []

    # --- reading -------------------------------------------------------------------------

    def situation_au(self, jour: date) -> dict[str, Any]:
        """The situation in force on `jour` (the filing one before the filing date)."""
        current = self.situations[0]
        for s in self.situations:
            if s["date_effet"] <= jour:
                current = s
        return current

    def ressources_par_uc(self, jour: date) -> Decimal | None:
        """Resources per consumption unit on `jour` (a designation's or a lease's date, for
        the first-quartile test): the requérant's own when R-RESOURCES-REQUERANT-ONLY
        gives that basis on `jour`, else the household's."""
        return ressources_par_uc(self.situation_au(jour), jour)

    def filing_payload(self) -> dict[str, Any]:
        first = self.situations[0]
        return {"numero_unique": self.numero_unique, "date_depot": self.date_depot,
                "demandeur_id": self.demandeur_id, **situation_a_enregistrer(first)}

    def verifier_active(self) -> None:
        if self.statut != StatutDemande.ACTIVE:
            raise Conflit(
                f"The demande is {self.statut}.",
                code="DEMANDE_NON_ACTIVE",
                details={"demande_id": str(self.id), "statut": self.statut},
            )

    # --- commands ------------------------------------------------------------------------

    def situation_apres(self, jour: date, changements: Mapping[str, Any]) -> dict[str, Any]:
        """The situation a change dated `jour` records: the one in force then with the
        changes (an optional part changed to None is withdrawn)."""
        base = dict(self.situation_au(jour))
        base.update({k: v for k, v in changements.items()
                     if k in SITUATION_FIELDS or k in SITUATION_OPTIONNELS})
        return situation_a_enregistrer(base)

    def modifier_situation(self, jour: date, changements: dict[str, Any]) -> None:
        # A closed demande still takes corrections of the period it was active (a resource
        # amount corrected after the lease): only changes dated after its end are refused.
        if self.statut != StatutDemande.ACTIVE and (self.date_fin is None or jour > self.date_fin):
            self.verifier_active()
        if jour < self.date_depot:
            raise Invalide("A change of situation cannot precede the filing.",
                           details={"date": jour.isoformat()})
        self._situation_modifiee(jour, self.situation_apres(jour, changements))

    @event("SituationModifiee")
    def _situation_modifiee(self, date_effet: date, situation: dict[str, Any]) -> None:
        # A change holds from its date until the next later change; later changes keep
        # their own values (a late entry corrects one period, not the whole future).
        kept = [s for s in self.situations if s["date_effet"] != date_effet]
        kept.append({"date_effet": date_effet, **situation})
        self.situations = sorted(kept, key=lambda s: s["date_effet"])

    def anciennete_pour_separation(
        self, membre_id: str, date_separation: date, date_evenement: date
    ) -> tuple[date, bool]:
        """R-SENIORITY-SEPARATION applied to this demande for one member."""
        if date_separation > self.date_depot:
            before = self.situation_au(date_separation - timedelta(days=1))
            listed = any(p["personne_id"] == membre_id for p in before["personnes_a_loger"])
        else:
            listed = False
        result = r_seniority_separation(
            date_depot_initiale=self.date_anciennete,
            membre_listee_a_la_separation=listed,
            date_separation=date_separation,
            date_evenement=date_evenement,
        )
        return result.date_anciennete, result.conservee

    def verifier_separation(self, membre_id: str, date_separation: date) -> None:
        self.verifier_active()
        if membre_id == self.demandeur_id:
            raise Invalide("The member who separates cannot be the demandeur.",
                           details={"membre_id": membre_id})
        if date_separation < self.date_depot:
            # Seniority rule edge (EX-11 e): a demande filed after the separation carries
            # nothing; recording the separation on it is refused as incoherent.
            raise Invalide("The separation precedes the filing of this demande.",
                           rule=SENIORITY_RULE)

    def substituer(self, membre_id: str, date_separation: date, date_substitution: date) -> None:
        """The other member of the couple becomes the demandeur of this demande."""
        self.verifier_separation(membre_id, date_separation)
        if date_substitution < date_separation:
            raise Invalide("The substitution cannot precede the separation.")
        date_anciennete, conservee = self.anciennete_pour_separation(
            membre_id, date_separation, date_substitution)
        self._demandeur_substitue(
            date_substitution, date_separation, self.demandeur_id, membre_id,
            date_anciennete, str(self.id) if conservee else None,
        )

    @event("DemandeurSubstitue")
    def _demandeur_substitue(
        self,
        date_effet: date,
        date_separation: date,
        ancien_demandeur_id: str,
        nouveau_demandeur_id: str,
        date_anciennete: date,
        anciennete_source: str | None,
    ) -> None:
        self.demandeur_id = nouveau_demandeur_id
        self.date_anciennete = date_anciennete
        self.anciennete_source = anciennete_source
        self._retirer_personne(date_separation, nouveau_demandeur_id)
        self.separations.append({"date_separation": date_separation, "mode": "substitution",
                                 "membre_id": nouveau_demandeur_id})

    def _retirer_personne(self, jour: date, personne_id: str) -> None:
        kept = []
        for s in self.situations:
            if s["date_effet"] >= jour:
                s = {**s, "personnes_a_loger": [p for p in s["personnes_a_loger"]
                                                if p["personne_id"] != personne_id]}
            kept.append(s)
        current = self.situation_au(jour)
        if current["date_effet"] < jour and any(
            p["personne_id"] == personne_id for p in current["personnes_a_loger"]
        ):
            kept.append({**current, "date_effet": jour, "personnes_a_loger": [
                p for p in current["personnes_a_loger"] if p["personne_id"] != personne_id]})
        self.situations = sorted(kept, key=lambda s: s["date_effet"])

    @event("MembreParti")
    def membre_parti(self, date_separation: date, membre_id: str,
                     nouvelle_demande_id: str) -> None:
        """The member left the household and filed their own demande; this one goes on."""
        self._retirer_personne(date_separation, membre_id)
        self.separations.append({"date_separation": date_separation, "mode": "nouvelle_demande",
                                 "membre_id": membre_id,
                                 "nouvelle_demande_id": nouvelle_demande_id})

    def radier(self, jour: date, motif: str) -> None:
        self.verifier_active()
        if jour < self.date_depot:
            raise Invalide("A radiation cannot precede the filing.")
        self._radiee(jour, motif)

    @event("Radiee")
    def _radiee(self, date_effet: date, motif: str) -> None:
        self.statut = StatutDemande.RADIEE
        self.date_fin = date_effet
        self.motif_radiation = motif

    @event("DesigneeSurVacance")
    def designee_sur(self, date_effet: date, vacance_id: str,
                     saisie_tardive: bool = False) -> None:
        if vacance_id not in self.vacances:
            self.vacances.append(vacance_id)

    def attribuer(self, jour: date, vacance_id: str, logement_id: str) -> None:
        self.verifier_active()
        self._attribuee(jour, vacance_id, logement_id)

    @event("Attribuee")
    def _attribuee(self, date_effet: date, vacance_id: str, logement_id: str) -> None:
        self.statut = StatutDemande.ATTRIBUEE
        self.date_fin = date_effet
        self.attribution = {"vacance_id": vacance_id, "logement_id": logement_id,
                            "date_signature": date_effet}
