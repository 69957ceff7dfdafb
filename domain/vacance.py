"""The attribution cycle of one vacancy: declaration, designations, commission, refusals,
failure of the réservataire's attribution, lease."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.acces import Role
from domain.errors import Conflit, Interdit, Invalide
from domain.ids import vacance_uuid
from domain.referentiel import LOGEMENT_FIELDS, Territoire
from domain.rules.cycle import (
    Decision,
    DecisionProposee,
    Designataire,
    Votes,
    r_commission_nominative,
    r_commission_tie_break_maire,
    r_failed_qpv_to_maire,
    r_failed_qpv_to_maire_candidat,
    r_reservataire_delai_1_mois,
)
from domain.rules.quotas import debut_injonction, r_premier_quartile


class StatutDesignation(StrEnum):
    """Where one designated demande stands in the cycle of a vacancy."""

    DESIGNEE = "designee"
    ATTRIBUEE = "attribuee"
    ATTRIBUEE_SOUS_CONDITION = "attribuee_sous_condition"
    NON_ATTRIBUEE = "non_attribuee"
    IRRECEVABLE = "irrecevable"
    REFUSEE = "refusee"
    RETIREE = "retiree"
    BAIL_SIGNE = "bail_signe"


class StatutVacance(StrEnum):
    """Where the cycle of a vacancy stands (`Vacance.statut`)."""

    EN_ATTENTE_DESIGNATION = "en_attente_designation"
    CANDIDATS_DESIGNES = "candidats_designes"
    ATTRIBUEE = "attribuee"
    BAIL_SIGNE = "bail_signe"


DECISION_STATUTS = {
    Decision.ATTRIBUTION: StatutDesignation.ATTRIBUEE,
    Decision.ATTRIBUTION_SOUS_CONDITION: StatutDesignation.ATTRIBUEE_SOUS_CONDITION,
    Decision.NON_ATTRIBUTION: StatutDesignation.NON_ATTRIBUEE,
    Decision.IRRECEVABILITE: StatutDesignation.IRRECEVABLE,
}
FAILED = frozenset({StatutDesignation.NON_ATTRIBUEE, StatutDesignation.IRRECEVABLE,
                    StatutDesignation.REFUSEE, StatutDesignation.RETIREE})
LIVE_ATTRIBUTION = frozenset({StatutDesignation.ATTRIBUEE,
                              StatutDesignation.ATTRIBUEE_SOUS_CONDITION})
ROLE_OF = {Designataire.RESERVATAIRE: Role.RESERVATAIRE, Designataire.BAILLEUR: Role.BAILLEUR,
           Designataire.MAIRE: Role.COMMUNE, Designataire.PREFET: Role.RESERVATAIRE}


@dataclass(frozen=True)
class Tour:
    """A turn of designation: who designates from `depuis`, and why the turn changed
    (`motif`: `delai_expire`, `echec_reservataire`; None for the first) under which rule."""

    designataire: Designataire
    depuis: date
    motif: str | None = None
    regle: str | None = None

    @classmethod
    def de(cls, designataire: str, depuis: date, motif: str | None = None,
           regle: str | None = None) -> Tour:
        # The events hold the designataire's plain text: the turn holds the member.
        return cls(Designataire(designataire), depuis, motif, regle)


@dataclass(frozen=True)
class InjonctionPrefet:
    """The préfet's injunction running against a vacancy's bailleur on a day
    (R-6-MONTH-FLUX-INJUNCTION): the réservataire that acts for the State on the territory
    (None: none recorded, so only an administrator can designate for the préfet)."""

    prefet: str | None


def injonction_prefet(vacance: Vacance, territoire: Territoire, jour: date,
                      v20_effective_from: date,
                      en_cours: Callable[[str, Territoire, date], bool]
                      ) -> InjonctionPrefet | None:
    """R-6-MONTH-FLUX-INJUNCTION (L441-1 al. 34): the injunction against the vacancy's
    bailleur on `jour` for a logement "en dehors des quartiers prioritaires" (the real flag:
    al. 34 is not among the alinéas R-QPV-ASSIMILATION-ZUS names), asking `en_cours` (the
    state derived from the leases and transmissions) only where the rule can apply."""
    debut = debut_injonction(territoire.soumis_mixite_depuis, v20_effective_from)
    if vacance.logement["qpv"] or debut is None or jour < debut \
            or not en_cours(vacance.bailleur_id, territoire, jour):
        return None
    return InjonctionPrefet(territoire.prefet_reservataire_id)


class Acteur:
    """Who acts: a role of the contract and, except for admin and auditeur, an organisation."""

    def __init__(self, role: str, org: str | None = None, sub: str | None = None,
                 request_id: str | None = None) -> None:
        self.role = role
        self.org = org
        self.sub = sub or role
        # The request that carried the act: the access log's key, recorded with the event.
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"Acteur({self.role!r}, {self.org!r})"


class Vacance(Aggregate):
    if TYPE_CHECKING:  # the event classes @event defines below, as the type checker sees them
        class Declaree(Aggregate.Created):
            logement_id: str
            date_information: date
            logement: dict[str, Any]
            designataire: str
            date_limite_designation: date | None

        class TourDeDesignationPasse(Aggregate.Event):
            date_effet: date
            designataire: str
            motif: str
            regle: str | None

        class CandidatDesigne(Aggregate.Event):
            date_effet: date
            demande_id: str
            par: str
            organisation: str | None
            saisie_tardive: bool

        class CandidatDesignePrefet(Aggregate.Event):
            date_effet: date
            demande_id: str
            organisation: str | None

        class DecisionsCommissionEnregistrees(Aggregate.Event):
            date_effet: date
            decisions: list[dict[str, Any]]

        class RefusEnregistre(Aggregate.Event):
            date_effet: date
            demande_id: str
            motif: str | None

        class CandidatRetire(Aggregate.Event):
            date_effet: date
            demande_id: str
            motif: str

        class AttributionReservataireEchouee(Aggregate.Event):
            date_effet: date
            designataire: str

        class BailSigne(Aggregate.Event):
            date_effet: date
            demande_id: str

    @staticmethod
    def create_id(logement_id: str, date_information: date) -> UUID:
        return vacance_uuid(logement_id, date_information)

    @classmethod
    def declarer(cls, logement_id: str, date_information: date,
                 logement: dict[str, Any]) -> Vacance:
        reserve = logement["reservataire_id"] is not None
        limite = r_reservataire_delai_1_mois(
            date_information, reserve=reserve, zone_tendue=logement["zone_tendue"])
        return cls(
            logement_id=logement_id,
            date_information=date_information,
            # A description without the ZUS flags (R-QPV-ASSIMILATION-ZUS) reads as neither.
            logement={k: logement.get(k) for k in LOGEMENT_FIELDS},
            designataire=Designataire.RESERVATAIRE if reserve else Designataire.BAILLEUR,
            date_limite_designation=limite,
        )

    @event("Declaree")
    def __init__(
        self,
        logement_id: str,
        date_information: date,
        logement: dict[str, Any],
        designataire: str,
        date_limite_designation: date | None,
    ) -> None:
        self.logement_id = logement_id
        self.date_information = date_information
        self.logement = logement
        self.date_limite_designation = date_limite_designation
        self.tours: list[Tour] = [Tour.de(designataire, date_information)]
        self.designations: dict[str, dict[str, Any]] = {}
        self.commissions: list[dict[str, Any]] = []
        self.bail: dict[str, Any] | None = None

    # --- derived state -------------------------------------------------------------------

    @property
    def bailleur_id(self) -> str:
        return cast(str, self.logement["bailleur_id"])

    @property
    def reservataire_id(self) -> str | None:
        return cast("str | None", self.logement["reservataire_id"])

    def _tour_courant(self) -> int:
        return len(self.tours) - 1

    def _designations_du_tour(self, tour: int) -> list[dict[str, Any]]:
        return [d for d in self.designations.values() if d["tour"] == tour]

    def designataire_au(self, jour: date) -> Designataire:
        """Who may designate on `jour`: the current turn's designataire, except that once the
        réservataire's one-month deadline (R-RESERVATAIRE-DELAI-1-MOIS) has passed without
        any proposal, the vacancy is the bailleur's to designate for this turn (RULES.md §7
        item 18 leaves the consequence open; see docs/DECISIONS.md)."""
        tour = self.tours[-1]
        if (tour.designataire == Designataire.RESERVATAIRE and self.date_limite_designation
                and jour > self.date_limite_designation
                and not self._designations_du_tour(self._tour_courant())):
            return Designataire.BAILLEUR
        return tour.designataire

    def organisation_du(self, designataire: Designataire) -> str | None:
        return cast("str | None", {Designataire.RESERVATAIRE: self.reservataire_id,
                                   Designataire.BAILLEUR: self.bailleur_id,
                                   Designataire.MAIRE: self.logement["commune"]}[designataire])

    def candidat_a_signer(self) -> str | None:
        """The attributed household of best rank that has not refused (R-COMMISSION-NOMINATIVE)."""
        live = [d for d in self.designations.values()
                if d["statut"] in LIVE_ATTRIBUTION and d["rang"] is not None]
        return min(live, key=lambda d: d["rang"])["demande_id"] if live else None

    def statut(self) -> StatutVacance:
        if self.bail:
            return StatutVacance.BAIL_SIGNE
        if self.candidat_a_signer():
            return StatutVacance.ATTRIBUEE
        if any(d["statut"] == StatutDesignation.DESIGNEE for d in self.designations.values()):
            return StatutVacance.CANDIDATS_DESIGNES
        return StatutVacance.EN_ATTENTE_DESIGNATION

    def verifier_ouverte(self) -> None:
        if self.bail:
            raise Conflit("The lease is signed: the cycle of this vacancy is closed.",
                          code="VACANCE_CLOTUREE",
                          details={"date_signature": self.bail["date_signature"].isoformat()})

    # --- designation ---------------------------------------------------------------------

    def designer(
        self,
        acteur: Acteur,
        demande_id: str,
        jour: date,
        ressources_par_uc: Decimal | None,
        seuil: Decimal | None,
        aujourdhui: date | None = None,
        injonction: InjonctionPrefet | None = None,
        reloge: bool = False,
    ) -> bool:
        """Designates the demande; answers whether the entry is late (saisie tardive): dated
        on or before the réservataire's deadline but recorded after it. Such an act is
        judged as of its business date, so it is accepted only if it was possible then.

        `injonction`: the préfet's injunction running on `jour` against the bailleur, for a
        hors-QPV logement (R-6-MONTH-FLUX-INJUNCTION, L441-1 al. 34): the préfet alone
        designates then, outside the turns (its candidates are neither the réservataire's
        nor the bailleur's), and only households of al. 25 or 26 (`reloge`: relogé
        renouvellement urbain on `jour`)."""
        self.verifier_ouverte()
        if jour < self.date_information:
            raise Invalide("A designation cannot precede the vacancy's information date.",
                           code="DATE_INCOHERENTE",
                           details={"date_information": self.date_information.isoformat()})
        if injonction is not None:
            return self._designer_prefet(acteur, demande_id, jour, injonction,
                                         reloge or r_premier_quartile(ressources_par_uc, seuil))
        tour = self.tours[-1]
        if (acteur.role == "reservataire" and acteur.org == self.reservataire_id
                and tour.designataire == Designataire.RESERVATAIRE
                and self.date_limite_designation
                and jour > self.date_limite_designation):
            raise Conflit(
                "The réservataire's one-month deadline has passed: the bailleur designates "
                "for this turn.",
                code="DELAI_DESIGNATION_EXPIRE",
                rule="R-RESERVATAIRE-DELAI-1-MOIS",
                details={"date_limite_designation": self.date_limite_designation.isoformat()},
            )
        designataire = self.designataire_au(jour)
        org = self.organisation_du(designataire)
        if acteur.role != "admin" and (acteur.role != ROLE_OF[designataire] or acteur.org != org):
            raise Interdit(
                f"The {designataire} designates on this vacancy now.",
                details={"designataire": designataire},
            )
        self._verifier_nouvelle(demande_id)
        if designataire == Designataire.MAIRE:
            if seuil is None:
                raise Conflit("No first-quartile threshold is published for this territory.",
                              code="SEUIL_PREMIER_QUARTILE_ABSENT", rule="R-Q1-THRESHOLD")
            if ressources_par_uc is None or not r_failed_qpv_to_maire_candidat(
                    ressources_par_uc, seuil):
                raise Invalide(
                    "The maire designates households outside the first quartile only.",
                    code="PREMIER_QUARTILE_EXCLU",
                    rule="R-FAILED-QPV-TO-MAIRE",
                    details={"seuil": str(seuil),
                             "ressources_par_uc": None if ressources_par_uc is None
                             else str(ressources_par_uc.quantize(Decimal("0.01")))},
                )
        if designataire != tour.designataire:
            self._tour_passe(jour, designataire, "delai_expire", "R-RESERVATAIRE-DELAI-1-MOIS")
        tardive = bool(aujourdhui and self.date_limite_designation
                       and jour <= self.date_limite_designation < aujourdhui)
        self._candidat_designe_tour(jour, demande_id, designataire, org, tardive)
        return tardive

    def _verifier_nouvelle(self, demande_id: str) -> None:
        if demande_id in self.designations and self.designations[demande_id]["statut"] not in (
                StatutDesignation.RETIREE,):
            raise Conflit("This demande is already designated on this vacancy.",
                          code="DEJA_DESIGNEE", details={"demande_id": demande_id})

    def _designer_prefet(self, acteur: Acteur, demande_id: str, jour: date,
                         injonction: InjonctionPrefet, concerne: bool | None) -> bool:
        if acteur.role != "admin" and (acteur.role != ROLE_OF[Designataire.PREFET]
                                       or acteur.org != injonction.prefet
                                       or injonction.prefet is None):
            raise Interdit(
                "The bailleur is under the préfet's injunction: the préfet designates on its "
                "hors-QPV vacancies.",
                details={"designataire": Designataire.PREFET},
                rule="R-6-MONTH-FLUX-INJUNCTION")
        if not concerne:
            # "Il procède alors à l'attribution de ces logements aux publics concernés": a
            # household of unknown quartile (no threshold, no resources) is not shown to be.
            raise Invalide("Under the injunction the préfet designates households of the "
                           "first quartile or relogés (L441-1 al. 25-26) only.",
                           code="MENAGE_NON_CONCERNE", rule="R-6-MONTH-FLUX-INJUNCTION",
                           details={"premier_quartile": concerne})
        self._verifier_nouvelle(demande_id)
        self._candidat_designe_prefet(jour, demande_id, injonction.prefet)
        return False  # no deadline binds the préfet: never a late entry

    @event("CandidatDesignePrefet")
    def _candidat_designe_prefet(self, date_effet: date, demande_id: str,
                                 organisation: str | None) -> None:
        self._candidat_designe(date_effet, demande_id, Designataire.PREFET, organisation,
                               False, tour=None)

    @event("TourDeDesignationPasse")
    def _tour_passe(self, date_effet: date, designataire: str, motif: str,
                    regle: str | None) -> None:
        self.tours.append(Tour.de(designataire, date_effet, motif, regle))

    @event("CandidatDesigne")
    def _candidat_designe_tour(self, date_effet: date, demande_id: str, par: str,
                               organisation: str | None, saisie_tardive: bool = False) -> None:
        self._candidat_designe(date_effet, demande_id, par, organisation, saisie_tardive,
                               self._tour_courant())

    def _candidat_designe(self, date_effet: date, demande_id: str, par: str,
                          organisation: str | None, saisie_tardive: bool,
                          tour: int | None) -> None:
        # `tour` None: the préfet's candidate, outside the turns of designation.
        self.designations[demande_id] = {
            "demande_id": demande_id, "date": date_effet, "par": par,
            "organisation": organisation, "saisie_tardive": saisie_tardive,
            "tour": tour, "statut": StatutDesignation.DESIGNEE,
            "decision": None, "rang": None, "motif": None, "votes": None,
            "departage_maire": False, "date_commission": None, "refus": None, "retrait": None,
        }

    # --- commission ----------------------------------------------------------------------

    def decider(self, date_commission: date, decisions: list[dict[str, Any]]) -> None:
        self.verifier_ouverte()
        if not decisions:
            raise Invalide("A commission records at least one decision.")
        for d in decisions:
            current = self.designations.get(d["demande_id"])
            if current is None or current["statut"] not in (
                    StatutDesignation.DESIGNEE, StatutDesignation.ATTRIBUEE_SOUS_CONDITION):
                raise Conflit(
                    "Only a designated demande awaiting decision can be decided.",
                    code="DEMANDE_NON_DESIGNEE",
                    rule="R-COMMISSION-NOMINATIVE",
                    details={"demande_id": d["demande_id"],
                             "statut": current["statut"] if current else None},
                )
            if date_commission < current["date"]:
                raise Invalide("The commission cannot precede the designation.",
                               code="DATE_INCOHERENTE")
        existing = {k: v["rang"] for k, v in self.designations.items()
                    if v["statut"] in LIVE_ATTRIBUTION and v["rang"] is not None}
        ranks = r_commission_nominative(
            [DecisionProposee(d["demande_id"], d["decision"], d.get("rang")) for d in decisions],
            existing,
        )
        recorded = []
        for d in decisions:
            departage = False
            votes = d.get("votes")
            if votes is not None:
                issue = r_commission_tie_break_maire(
                    Votes(votes["pour"], votes["contre"], votes.get("voix_maire")))
                if not issue.adopte:
                    raise Invalide(
                        "The votes reject the decision recorded.",
                        code="VOTES_CONTREDISENT_DECISION",
                        rule="R-COMMISSION-TIE-BREAK-MAIRE" if votes["pour"] == votes["contre"]
                        else None,
                        details={"demande_id": d["demande_id"]},
                    )
                departage = issue.departage_maire
            recorded.append({
                "demande_id": d["demande_id"], "decision": d["decision"],
                "rang": ranks[d["demande_id"]], "motif": d.get("motif"), "votes": votes,
                "departage_maire": departage,
            })
        self._decisions_enregistrees(date_commission, recorded)
        self._constater_echec(date_commission)

    @event("DecisionsCommissionEnregistrees")
    def _decisions_enregistrees(self, date_effet: date, decisions: list[dict[str, Any]]) -> None:
        for d in decisions:
            entry = self.designations[d["demande_id"]]
            entry.update({
                "decision": d["decision"], "statut": DECISION_STATUTS[d["decision"]],
                "rang": d["rang"], "motif": d["motif"], "votes": d["votes"],
                "departage_maire": d["departage_maire"], "date_commission": date_effet,
            })
        self.commissions.append({"date_commission": date_effet,
                                 "demandes": [d["demande_id"] for d in decisions]})

    # --- refusal, withdrawal and failure --------------------------------------------------

    def refuser(self, demande_id: str, jour: date, motif: str | None) -> None:
        self.verifier_ouverte()
        entry = self.designations.get(demande_id)
        if entry is None or entry["statut"] not in LIVE_ATTRIBUTION:
            raise Conflit("Only a household with an attribution can refuse it.",
                          code="AUCUNE_ATTRIBUTION",
                          details={"demande_id": demande_id,
                                   "statut": entry["statut"] if entry else None})
        if jour < entry["date_commission"]:
            raise Invalide("The refusal cannot precede the commission.", code="DATE_INCOHERENTE")
        self._refus_enregistre(jour, demande_id, motif)
        self._constater_echec(jour)

    @event("RefusEnregistre")
    def _refus_enregistre(self, date_effet: date, demande_id: str, motif: str | None) -> None:
        entry = self.designations[demande_id]
        entry["statut"] = StatutDesignation.REFUSEE
        entry["refus"] = {"date": date_effet, "motif": motif}

    def retirer_candidat(self, demande_id: str, jour: date, motif: str) -> None:
        """The demande left the cycle elsewhere (lease on another logement, radiation)."""
        entry = self.designations.get(demande_id)
        if self.bail or entry is None or entry["statut"] in FAILED:
            return
        self._candidat_retire(jour, demande_id, motif)
        self._constater_echec(jour)

    @event("CandidatRetire")
    def _candidat_retire(self, date_effet: date, demande_id: str, motif: str) -> None:
        entry = self.designations[demande_id]
        entry["statut"] = StatutDesignation.RETIREE
        entry["retrait"] = {"date": date_effet, "motif": motif}

    def _constater_echec(self, jour: date) -> None:
        """When every candidate of the réservataire has failed, its attribution has failed:
        R-FAILED-QPV-TO-MAIRE decides who designates next (maire for a QPV logement from
        2018-11-25, else the bailleur, whose pool R-NONRESERVE-25-DALO then counts)."""
        if self.tours[-1].designataire != Designataire.RESERVATAIRE:
            return
        candidats = self._designations_du_tour(self._tour_courant())
        if candidats and all(c["statut"] in FAILED for c in candidats):
            suivant = r_failed_qpv_to_maire(jour, qpv=self.logement["qpv"])
            self._attribution_reservataire_echouee(jour, suivant)

    @event("AttributionReservataireEchouee")
    def _attribution_reservataire_echouee(self, date_effet: date, designataire: str) -> None:
        self.tours.append(Tour.de(
            designataire, date_effet, "echec_reservataire",
            "R-FAILED-QPV-TO-MAIRE" if designataire == Designataire.MAIRE else
            "R-NONRESERVE-25-DALO"))

    # --- lease ---------------------------------------------------------------------------

    def signer_bail(self, demande_id: str, date_signature: date) -> None:
        self.verifier_ouverte()
        entry = self.designations.get(demande_id)
        if entry is None or entry["statut"] not in LIVE_ATTRIBUTION:
            code = "CANDIDAT_A_REFUSE" if entry and entry["statut"] == StatutDesignation.REFUSEE \
                else "ATTRIBUTION_REQUISE"
            raise Conflit("A lease needs an attribution by the commission that still stands.",
                          code=code, rule="R-COMMISSION-NOMINATIVE",
                          details={"demande_id": demande_id,
                                   "statut": entry["statut"] if entry else None})
        first = self.candidat_a_signer()
        if first != demande_id:
            raise Conflit("A household of better rank has not refused.",
                          code="RANG_NON_PRIORITAIRE", rule="R-COMMISSION-NOMINATIVE",
                          details={"candidat_a_signer": first})
        if date_signature < entry["date_commission"]:
            raise Invalide("The lease cannot precede the commission.", code="DATE_INCOHERENTE")
        self._bail_signe(date_signature, demande_id)

    @event("BailSigne")
    def _bail_signe(self, date_effet: date, demande_id: str) -> None:
        self.bail = {"demande_id": demande_id, "date_signature": date_effet}
        self.designations[demande_id]["statut"] = StatutDesignation.BAIL_SIGNE
