"""The one authorization table: action -> the roles that may do it and, per role, the
organisation predicate the object must satisfy (API.md, Authentication and roles; Reads).

Every router asks `autoriser(acteur, action)` before it reads anything: a role absent from
the action's row is refused at once. The guard it returns is given the object's
organisations (domain.acces.Cible) as soon as the object is loaded and before any state
check, so a 403 never depends on, nor tells, another organisation's state. What the law
itself decides (who designates in the current turn, R-RESERVATAIRE-DELAI-1-MOIS,
R-FAILED-QPV-TO-MAIRE) stays in the aggregates. docs/ARCHITECTURE.md (Permissions) prints
this table.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domain.acces import Cible, Garde
from domain.errors import Interdit
from domain.rules.cycle import Designataire
from domain.vacance import Acteur

Predicat = Callable[[Acteur, Cible], bool]


class Action(StrEnum):
    REFERENTIEL_ECRIRE = "referentiel.ecrire"
    REFERENTIEL_LIRE = "referentiel.lire"
    DEMANDE_DEPOSER = "demande.deposer"
    DEMANDE_MODIFIER = "demande.modifier"  # situation, separation, radiation
    DEMANDE_LIRE = "demande.lire"
    DEMANDE_HISTORIQUE = "demande.historique"
    VACANCE_DECLARER = "vacance.declarer"
    VACANCE_DESIGNER = "vacance.designer"
    VACANCE_DECIDER = "vacance.decider"  # commission decisions, refusals, lease
    VACANCE_LIRE = "vacance.lire"
    QUOTAS_BAILLEUR = "quotas.bailleur"  # and the bailleur's semester report
    QUOTAS_RESERVATAIRE = "quotas.reservataire"
    EVENEMENTS_LIRE = "evenements.lire"
    STATISTIQUES_LIRE = "statistiques.lire"  # R-GOV-STATISTICS, per territory
    RAPPORT_TRANSMETTRE = "rapport.transmettre"  # R-SEMESTER-REPORT


def tout(_: Acteur, __: Cible) -> bool:
    """Any object: the role alone decides (admin, auditeur, the shared file's readers)."""
    return True


def son_bailleur(acteur: Acteur, cible: Cible) -> bool:
    return cible.bailleur_id is not None and acteur.org == cible.bailleur_id


def son_reservataire(acteur: Acteur, cible: Cible) -> bool:
    return cible.reservataire_id is not None and acteur.org == cible.reservataire_id


def son_reservataire_ou_prefet(acteur: Acteur, cible: Cible) -> bool:
    """Its own reserved logements, and, for the réservataire acting for the préfet, the
    vacancies of its territory (designation under injunction: the vacancy checks that one
    runs) or those it designated on (reading)."""
    return son_reservataire(acteur, cible) or (
        cible.prefet_id is not None and acteur.org == cible.prefet_id)


def sa_commune_saisie(acteur: Acteur, cible: Cible) -> bool:
    """The commune of a QPV logement whose vacancy went to the maire (R-FAILED-QPV-TO-MAIRE):
    the only vacancies a commune designates on."""
    return cible.qpv and cible.remise_au_maire and acteur.org == cible.commune


def enregistree_par(acteur: Acteur, cible: Cible) -> bool:
    """The organisation that registered the demande (none when admin did)."""
    return cible.organisation is not None and acteur.org == cible.organisation


LECTEURS_DU_FICHIER: dict[str, Predicat] = {"admin": tout, "auditeur": tout, "bailleur": tout,
                                            "reservataire": tout, "commune": tout}

PERMISSIONS: dict[Action, dict[str, Predicat]] = {
    Action.REFERENTIEL_ECRIRE: {"admin": tout},
    Action.REFERENTIEL_LIRE: LECTEURS_DU_FICHIER,
    Action.DEMANDE_DEPOSER: {"admin": tout, "bailleur": tout},
    Action.DEMANDE_MODIFIER: {"admin": tout, "bailleur": enregistree_par},
    Action.DEMANDE_LIRE: LECTEURS_DU_FICHIER,
    Action.DEMANDE_HISTORIQUE: {"admin": tout, "auditeur": tout, "bailleur": enregistree_par},
    Action.VACANCE_DECLARER: {"admin": tout, "bailleur": son_bailleur},
    Action.VACANCE_DESIGNER: {"admin": tout, "bailleur": son_bailleur,
                              "reservataire": son_reservataire_ou_prefet,
                              "commune": sa_commune_saisie},
    Action.VACANCE_DECIDER: {"admin": tout, "bailleur": son_bailleur},
    Action.VACANCE_LIRE: {"admin": tout, "auditeur": tout, "bailleur": son_bailleur,
                          "reservataire": son_reservataire_ou_prefet,
                          "commune": sa_commune_saisie},
    Action.QUOTAS_BAILLEUR: {"admin": tout, "auditeur": tout, "bailleur": son_bailleur},
    Action.QUOTAS_RESERVATAIRE: {"admin": tout, "auditeur": tout,
                                 "reservataire": son_reservataire},
    Action.EVENEMENTS_LIRE: {"admin": tout, "auditeur": tout, "abonne": tout},
    Action.STATISTIQUES_LIRE: {"admin": tout, "auditeur": tout},
    Action.RAPPORT_TRANSMETTRE: {"admin": tout, "bailleur": son_bailleur},
}


def autoriser(acteur: Acteur, action: Action) -> Garde:
    """Refuses a role the action's row does not list (403, before any read); answers the
    guard of the object's organisations for the roles it lists."""
    regles = PERMISSIONS[action]
    predicat = regles.get(acteur.role)
    if predicat is None:
        raise Interdit(f"The role {acteur.role} may not do this.",
                       details={"action": str(action), "roles": sorted(regles)})

    def garde(cible: Cible) -> None:
        if not predicat(acteur, cible):
            raise Interdit(f"This {action.split('.')[0]} is not one of your organisation's.",
                           details={"action": str(action)})

    return garde


def cible_de_vacance(vue: dict[str, Any]) -> Cible:
    """The organisations of a vacancy as its read model shows them."""
    return Cible(bailleur_id=vue["bailleur_id"], reservataire_id=vue["reservataire_id"],
                 commune=vue["commune"], qpv=bool(vue["qpv"]),
                 remise_au_maire=any(t["designataire"] == Designataire.MAIRE
                                     for t in vue["tours"]),
                 prefet_id=next((d["organisation"] for d in vue.get("designations", [])
                                 if d.get("par") == Designataire.PREFET), None))


def restreindre_vacance(acteur: Acteur, vue: dict[str, Any]) -> dict[str, Any]:
    """A réservataire or a commune sees the commission's motifs and votes, and the refusal
    motifs, of its own candidates only (API.md, Reads)."""
    if acteur.role not in ("reservataire", "commune"):
        return vue
    par = ({Designataire.MAIRE} if acteur.role == "commune"
           else {Designataire.RESERVATAIRE, Designataire.PREFET})
    designations = []
    for d in vue.get("designations", []):
        if d.get("par") not in par or d.get("organisation") != acteur.org:
            d = {**d, "motif": None, "votes": None,
                 "refus": {**d["refus"], "motif": None} if d.get("refus") else None}
        designations.append(d)
    return {**vue, "designations": designations}
