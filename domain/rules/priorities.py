"""R-PRIORITY-CATEGORIES: the priority categories of L441-1, as semantic codes over time.

Letters are not stable identifiers (RULES.md §1.4 item 5, §5.2): the system stores semantic
codes and derives, for a business date, which of them the law in force lists.
"""

from __future__ import annotations

from datetime import date

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


def is_known_code(code: str) -> bool:
    return code in CATEGORIES


def r_priority_categories(codes: list[str] | tuple[str, ...], on: date) -> list[str]:
    """R-PRIORITY-CATEGORIES: the codes among `codes` that the law in force on `on` lists.

    CCH L441-1 al. 3 to 19 (v20; the list dates from v19, 2022-02-09, and grew from v1 in
    1996, see RULES.md §5.2). A category counts only from the day the law lists it. Before
    2017-01-29 (v15), the return-to-work category (then letter d) required the person to be
    also "mal logée" (EX-18 c), so REPRISE_ACTIVITE counts then only together with
    MAL_LOGES_DEFAVORISES.
    """
    in_force = [c for c in codes if c in CATEGORIES and CATEGORIES[c] <= on]
    if on < _V15 and "REPRISE_ACTIVITE" in in_force and "MAL_LOGES_DEFAVORISES" not in codes:
        in_force.remove("REPRISE_ACTIVITE")
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
