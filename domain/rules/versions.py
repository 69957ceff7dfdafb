"""Versions of CCH article L441-1 (RULES.md §5.1) and `version_at`.

Versions v1 to v19 carry their "En vigueur à partir du" date in seed 003. v20, the current
text, carries none: its start is a setting (HLM_V20_EFFECTIVE_FROM, default 2022-02-23, the
day after the loi n° 2022-217 of 21 February 2022 was published), passed in by the caller so
that this module stays pure.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

DEFAULT_V20_EFFECTIVE_FROM = date(2022, 2, 23)


@dataclass(frozen=True)
class LawVersion:
    number: int
    effective_from: date

    @property
    def name(self) -> str:
        return f"v{self.number}"


_DATED: tuple[tuple[int, date], ...] = (
    (1, date(1996, 3, 5)),
    (2, date(1998, 7, 31)),
    (3, date(2000, 12, 14)),
    (4, date(2001, 12, 26)),
    (5, date(2005, 1, 1)),
    (6, date(2005, 1, 19)),
    (7, date(2005, 6, 28)),
    (8, date(2006, 7, 16)),
    (9, date(2009, 3, 28)),
    (10, date(2010, 10, 1)),
    (11, date(2014, 3, 27)),
    (12, date(2015, 1, 1)),
    (13, date(2015, 8, 8)),
    (14, date(2016, 4, 15)),
    (15, date(2017, 1, 29)),
    (16, date(2018, 11, 25)),
    (17, date(2021, 1, 1)),
    (18, date(2021, 11, 27)),
    (19, date(2022, 2, 9)),
)

LAW_VERSIONS: tuple[LawVersion, ...] = tuple(LawVersion(n, d) for n, d in _DATED)


def law_versions(v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> list[LawVersion]:
    """All twenty versions, v20 dated by the given setting."""
    if v20_effective_from <= LAW_VERSIONS[-1].effective_from:
        raise ValueError("v20 must start after v19 (2022-02-09)")
    return [*LAW_VERSIONS, LawVersion(20, v20_effective_from)]


def version_at(
    business_date: date, v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
) -> LawVersion | None:
    """The version of L441-1 in force on `business_date`; None before 1996-03-05."""
    current: LawVersion | None = None
    for version in law_versions(v20_effective_from):
        if version.effective_from <= business_date:
            current = version
        else:
            break
    return current


def in_force_from(business_date: date, first_version: int,
                  v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> bool:
    """True when the version in force on the date is `first_version` or later."""
    version = version_at(business_date, v20_effective_from)
    return version is not None and version.number >= first_version


def add_months(start: date, months: int) -> date:
    """Calendar-month arithmetic: same day number, clamped to the end of a shorter month.

    French practice for a deadline "d'un mois" (not in the seeds; RULES.md EX-08):
    2023-03-03 + 1 month = 2023-04-03; 2023-01-31 + 1 month = 2023-02-28.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    if not date.min.year <= year <= date.max.year:
        # Raise, never loop: a year out of range has no month to clamp to.
        raise ValueError(f"{start.isoformat()} + {months} months is out of the date range")
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
