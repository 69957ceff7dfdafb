"""R-SENIORITY-SEPARATION: the seniority a partner keeps after a couple separates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.rules.versions import in_force_from

RULE_ID = "R-SENIORITY-SEPARATION"


@dataclass(frozen=True)
class Anciennete:
    date_anciennete: date
    conservee: bool


def r_seniority_separation(
    *,
    date_depot_initiale: date,
    membre_listee_a_la_separation: bool,
    date_separation: date,
    date_evenement: date,
) -> Anciennete:
    """R-SENIORITY-SEPARATION: carry-over of the seniority of the couple's demande.

    CCH L441-1 al. 2, last sentence (in force from v11, 2014-03-27, wording unchanged since):
    if a demande was filed by one member of the couple before the separation and listed the
    other among the personnes à loger, its seniority is kept for the other member when they
    substitute for the initial demandeur, or when they file another demande while the
    initial demandeur keeps theirs.

    `date_evenement` is the date of the substitution or of the new filing: the rule is judged
    at that date, also for a separation before 2014-03-27 (RULES.md EX-11 f, §7 item 24).
    Without carry-over, seniority runs from `date_evenement`.
    """
    eligible = date_depot_initiale < date_separation and membre_listee_a_la_separation
    if eligible and in_force_from(date_evenement, 11):
        return Anciennete(date_depot_initiale, conservee=True)
    return Anciennete(date_evenement, conservee=False)
