"""Rules of the attribution cycle of one vacancy (L441-1 al. 42 and 44, L441-2 II and III)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from domain.errors import Conflit, Invalide
from domain.rules.versions import add_months, in_force_from


class Designataire(StrEnum):
    """Who designates the candidates of a turn of a vacancy (L441-1 al. 42-44)."""

    RESERVATAIRE = "reservataire"
    BAILLEUR = "bailleur"
    MAIRE = "maire"
    # L441-1 al. 34 (v20): while the préfet's injunction runs, the bailleur's hors-QPV
    # vacancies are the préfet's to attribute (R-6-MONTH-FLUX-INJUNCTION).
    PREFET = "prefet"


class Decision(StrEnum):
    """What the commission decides for one designated demande (L441-2 III)."""

    ATTRIBUTION = "attribution"
    ATTRIBUTION_SOUS_CONDITION = "attribution_sous_condition"
    NON_ATTRIBUTION = "non_attribution"
    IRRECEVABILITE = "irrecevabilite"


Voix = Literal["pour", "contre"]

ATTRIBUTING = frozenset({Decision.ATTRIBUTION, Decision.ATTRIBUTION_SOUS_CONDITION})


def r_reservataire_delai_1_mois(
    date_information: date, *, reserve: bool, zone_tendue: bool
) -> date | None:
    """R-RESERVATAIRE-DELAI-1-MOIS: the réservataire proposes candidates within one month.

    CCH L441-1 al. 42 (v20; al. 16 in v13 where it entered into force on 2015-08-08): in the
    reservation conventions running on or signed after the publication of loi n° 2015-990,
    for logements in the zones of art. 17 I of loi n° 89-462 (zone tendue), the réservataire
    proposes one or more candidates within one month of being informed of the vacancy.
    Returns the last day on which a proposal is on time, or None where no statutory cap
    applies (non-réservé logement, outside zone tendue, or vacancy before 2015-08-08).
    """
    if not (reserve and zone_tendue and in_force_from(date_information, 13)):
        return None
    return add_months(date_information, 1)


def r_failed_qpv_to_maire(date_echec: date, *, qpv: bool) -> Designataire:
    """R-FAILED-QPV-TO-MAIRE: who designates once the réservataire's attribution failed.

    CCH L441-1 al. 44 (v20; al. 40 in v16 where it entered into force on 2018-11-25): when the
    attribution of a logement in a QPV to a candidate of the réservataire has failed, the
    logement is put at the disposal of the maire of the commune. Only actual QPV status
    counts (the ZUS assimilation of v16-v19 covers al. 24-27 only). Otherwise, and before
    2018-11-25, the logement returns to the bailleur (al. 43, "logements ... pour lesquels
    l'attribution à un candidat présenté par le réservataire a échoué").
    """
    if qpv and in_force_from(date_echec, 16):
        return Designataire.MAIRE
    return Designataire.BAILLEUR


def r_failed_qpv_to_maire_candidat(ressources_par_uc: Decimal, seuil: Decimal) -> bool:
    """R-FAILED-QPV-TO-MAIRE: the maire designates "candidats autres que ceux mentionnés au
    vingt-cinquième alinéa" (L441-1 al. 44), i.e. not first-quartile households: resources
    per consumption unit at or above the territory's threshold (al. 25, strict "inférieur").
    """
    return ressources_par_uc >= seuil


@dataclass(frozen=True)
class Votes:
    pour: int
    contre: int
    voix_maire: Voix | None


@dataclass(frozen=True)
class IssueDuVote:
    adopte: bool
    departage_maire: bool


def r_commission_tie_break_maire(votes: Votes) -> IssueDuVote:
    """R-COMMISSION-TIE-BREAK-MAIRE: the maire's casting vote.

    CCH L441-2 II 2°: the maire of the commune where the logements are located "dispose d'une
    voix prépondérante en cas d'égalité des voix". A majority for adopts the proposed
    decision, a majority against rejects it; a tie is settled by the side the maire voted
    for. A tie without the maire's vote is not resolvable from the law (RULES.md EX-19 c,
    §7 item 5): it is refused.
    """
    if votes.pour < 0 or votes.contre < 0:
        raise Invalide("Vote counts cannot be negative.", rule="R-COMMISSION-TIE-BREAK-MAIRE")
    if votes.pour > votes.contre:
        return IssueDuVote(adopte=True, departage_maire=False)
    if votes.contre > votes.pour:
        return IssueDuVote(adopte=False, departage_maire=False)
    if votes.voix_maire is None:
        raise Invalide(
            "Tied vote without the maire's vote: the law gives no way to settle it.",
            code="EGALITE_NON_DEPARTAGEE",
            rule="R-COMMISSION-TIE-BREAK-MAIRE",
        )
    return IssueDuVote(adopte=votes.voix_maire == "pour", departage_maire=True)


@dataclass(frozen=True)
class DecisionProposee:
    demande_id: str
    decision: str
    rang: int | None


def r_commission_nominative(
    decisions: list[DecisionProposee], rangs_existants: dict[str, int]
) -> dict[str, int | None]:
    """R-COMMISSION-NOMINATIVE: the commission attributes each logement nominatively.

    CCH L441-2 III al. 1: "La commission attribue nominativement chaque logement locatif."
    Each decision names one demande; the attributing decisions of a vacancy form one ranked
    list in which one household, and only one, is first (rank 1), each rank used once. A
    lone attribution without a rank is rank 1. `rangs_existants` holds the ranks already
    given on this vacancy (demande id -> rank). Returns the rank of each decided demande.
    """
    seen: set[str] = set()
    for d in decisions:
        if d.demande_id in seen:
            raise Invalide(
                f"Demande {d.demande_id} is decided twice in one commission.",
                rule="R-COMMISSION-NOMINATIVE",
            )
        seen.add(d.demande_id)
        if d.decision not in ATTRIBUTING and d.rang is not None:
            raise Invalide(
                "Only an attribution carries a rank.", rule="R-COMMISSION-NOMINATIVE"
            )
        if d.rang is not None and d.rang < 1:
            raise Invalide("A rank starts at 1.", rule="R-COMMISSION-NOMINATIVE")

    ranks = {k: v for k, v in rangs_existants.items() if k not in seen}
    attributing = [d for d in decisions if d.decision in ATTRIBUTING]
    result: dict[str, int | None] = {d.demande_id: None for d in decisions}
    unranked = [d for d in attributing if d.rang is None]
    if unranked and (len(attributing) > 1 or ranks):
        raise Invalide(
            "Several households are attributed: each needs its rank.",
            code="RANG_REQUIS",
            rule="R-COMMISSION-NOMINATIVE",
        )
    for d in attributing:
        rang = d.rang if d.rang is not None else 1
        if rang in ranks.values():
            code = "RANG_1_EN_DOUBLE" if rang == 1 else "RANG_EN_DOUBLE"
            raise Conflit(
                f"Rank {rang} is already given on this vacancy.",
                code=code,
                rule="R-COMMISSION-NOMINATIVE",
                details={"rang": rang},
            )
        ranks[d.demande_id] = rang
        result[d.demande_id] = rang
    return result
