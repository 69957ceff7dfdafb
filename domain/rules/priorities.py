"""R-PRIORITY-CATEGORIES: the priority categories of L441-1, as semantic codes over time.

Letters are not stable identifiers (RULES.md §1.4 item 5, §5.2): the system stores semantic
codes and derives, for a business date, which of them the law in force lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.rules.versions import add_months

# code -> first day the law lists it (RULES.md §5.2)
CATEGORIES: dict[str, date] = {
    "MAL_LOGES_DEFAVORISES": date(1996, 3, 5),
    "HANDICAP": date(2001, 12, 26),
    "HEBERGES_TRANSITION": date(2005, 1, 19),
    "REPRISE_ACTIVITE": date(2006, 7, 16),
    "VIOLENCES_COUPLE": date(2009, 3, 28),
    "SORTIE_PROSTITUTION": date(2016, 4, 15),
    "VICTIME_TRAITE_PROXENETISME": date(2016, 4, 15),
    "SORTIE_ACT": date(2017, 1, 29),
    "HABITAT_INDIGNE": date(2017, 1, 29),
    "MARIAGE_FORCE": date(2017, 1, 29),
    "ENFANT_SUROCCUPATION_INDECENCE": date(2017, 1, 29),
    "SANS_LOGEMENT": date(2017, 1, 29),
    "MENACE_EXPULSION": date(2017, 1, 29),
    "VICTIME_VIOL_AGRESSION_DOMICILE": date(2018, 11, 25),
    "JEUNE_EX_ASE": date(2022, 2, 9),
}

_V15 = date(2017, 1, 29)

# Letters as the law used them, by the date the lettering started (RULES.md §5.2).
# Each entry: start, letters, and whether it is a complete relettering or an addition.
_LETTERS: tuple[tuple[date, dict[str, str], bool], ...] = (
    (date(2006, 7, 16), {"a": "HANDICAP", "b": "MAL_LOGES_DEFAVORISES",
                         "c": "HEBERGES_TRANSITION", "d": "REPRISE_ACTIVITE"}, True),
    (date(2009, 3, 28), {"a": "HANDICAP", "b": "MAL_LOGES_DEFAVORISES",
                         "c": "HEBERGES_TRANSITION", "d": "REPRISE_ACTIVITE",
                         "e": "VIOLENCES_COUPLE"}, True),
    (date(2016, 4, 15), {"a": "HANDICAP", "b": "MAL_LOGES_DEFAVORISES",
                         "c": "HEBERGES_TRANSITION", "d": "REPRISE_ACTIVITE",
                         "e": "VIOLENCES_COUPLE", "f": "SORTIE_PROSTITUTION",
                         "g": "VICTIME_TRAITE_PROXENETISME"}, True),
    (_V15, {"a": "HANDICAP", "b": "SORTIE_ACT", "c": "MAL_LOGES_DEFAVORISES",
            "d": "HEBERGES_TRANSITION", "e": "REPRISE_ACTIVITE", "f": "HABITAT_INDIGNE",
            "g": "VIOLENCES_COUPLE", "h": "SORTIE_PROSTITUTION",
            "i": "VICTIME_TRAITE_PROXENETISME", "j": "ENFANT_SUROCCUPATION_INDECENCE",
            "k": "SANS_LOGEMENT", "l": "MENACE_EXPULSION"}, True),
    (date(2018, 11, 25), {"g bis": "VICTIME_VIOL_AGRESSION_DOMICILE"}, False),
    (date(2022, 2, 9), {"m": "JEUNE_EX_ASE"}, False),
)


JEUNE_EX_ASE = "JEUNE_EX_ASE"
# m) recorded without the facts its limits need (history from before they were asked):
# counted for the three years after m) entered the law, the window the text gives after
# the end of care, then no longer (docs/DECISIONS.md 14 quater).
M_SANS_FAITS_JUSQUAU = date(2025, 2, 8)
_MAJORITE, _AGE_LIMITE_M, _MOIS_APRES_PRISE_EN_CHARGE = 18, 21, 36


def is_known_code(code: str) -> bool:
    return code in CATEGORIES


@dataclass(frozen=True)
class JeuneAse:
    """The facts the limits of m) need, for the person the category is declared for: their
    birth date, the last day of their care by the aide sociale à l'enfance, and whether they
    are an emancipated minor (taken into care before majority: what declaring m) asserts)."""

    date_naissance: date
    fin_prise_en_charge: date
    mineur_emancipe: bool = False


def age_au(date_naissance: date, jour: date) -> int:
    """Age in whole years on `jour`; someone born on 29 February has their birthday on
    28 February in a common year (the month's last day, as `add_months` clamps)."""
    annees = jour.year - date_naissance.year
    return annees if add_months(date_naissance, 12 * annees) <= jour else annees - 1


def r_priority_jeune_ex_ase(faits: JeuneAse | None, on: date) -> bool:
    """R-PRIORITY-CATEGORIES, m): whether the limits of m) hold on `on`.

    CCH L441-1 al. 19 (from v19, 2022-02-09): "les mineurs émancipés ou majeurs âgés de
    moins de vingt et un ans pris en charge avant leur majorité par les services de l'aide
    sociale à l'enfance, dans les conditions prévues à l'article L. 222-5 du code de
    l'action sociale et des familles, jusqu'à trois ans après le dernier jour de cette prise
    en charge". Read literally, both limits hold together (RULES.md EX-17, §7 item 25): an
    emancipated minor, or an adult under 21, AND at most three years after the last day of
    care (that day + 3 years included). Without the facts (recorded before they were
    asked), m) counts until `M_SANS_FAITS_JUSQUAU`.
    """
    if on < CATEGORIES[JEUNE_EX_ASE]:
        return False
    if faits is None:
        return on <= M_SANS_FAITS_JUSQUAU
    if on < faits.date_naissance:
        return False
    age = age_au(faits.date_naissance, on)
    personne = faits.mineur_emancipe if age < _MAJORITE else age < _AGE_LIMITE_M
    return personne and on <= add_months(faits.fin_prise_en_charge, _MOIS_APRES_PRISE_EN_CHARGE)


def r_priority_categories(codes: list[str] | tuple[str, ...], on: date,
                          jeune_ase: JeuneAse | None = None) -> list[str]:
    """R-PRIORITY-CATEGORIES: the codes among `codes` that the law in force on `on` lists.

    CCH L441-1 al. 3 to 19 (v20; the list dates from v19, 2022-02-09, and grew from v1 in
    1996, see RULES.md §5.2). A category counts only from the day the law lists it. Before
    2017-01-29 (v15), the return-to-work category (then letter d) required the person to be
    also "mal logée" (EX-18 c), so REPRISE_ACTIVITE counts then only together with
    MAL_LOGES_DEFAVORISES. m) JEUNE_EX_ASE (al. 19) counts only while its age and
    three-year limits hold (`r_priority_jeune_ex_ase`, on the facts `jeune_ase`).
    """
    in_force = [c for c in codes if c in CATEGORIES and CATEGORIES[c] <= on]
    if on < _V15 and "REPRISE_ACTIVITE" in in_force and "MAL_LOGES_DEFAVORISES" not in codes:
        in_force.remove("REPRISE_ACTIVITE")
    if JEUNE_EX_ASE in in_force and not r_priority_jeune_ex_ase(jeune_ase, on):
        in_force = [c for c in in_force if c != JEUNE_EX_ASE]
    return sorted(set(in_force))


def code_for_letter(letter: str, on: date) -> str | None:
    """The semantic code a priority letter meant on a date (e.g. "e" in 2012 = violence,
    in 2018 = return to work: RULES.md EX-18)."""
    mapping: dict[str, str] = {}
    for start, letters, complete in _LETTERS:
        if start > on:
            break
        mapping = dict(letters) if complete else {**mapping, **letters}
    return mapping.get(letter.strip().rstrip(")").lower())
