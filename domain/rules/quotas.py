"""The quota rules of L441-1, one function per rule id, over counts of signed leases.

Each function takes small typed values (counts, dates, the version of the law) and answers
what the read models, the replay and the reports publish. Counting itself (which leases of
which bailleur on which territory) is the read side's; which leases a rule may count, by
their dates, is decided here (`periode_en_vigueur`): a lease counts toward a rule only if
the rule was in force on the lease's date, in the version then in force (RULES.md §5.1), and
only once its territory was subject to the mix rules (R-MIXITE-TERRITORY).

Rates are published rounded to four decimals; compliance compares the exact ratio with the
objective ("au moins": ≥, DECISIONS §23); the minimum count is the smallest integer that
reaches the objective, computed in exact decimal arithmetic (0.30 × 40 is 12, not 12.000…1).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from itertools import accumulate
from typing import Any

from domain.rules.versions import (
    DEFAULT_V20_EFFECTIVE_FROM,
    LAW_VERSIONS,
    add_months,
    law_versions,
)

# The versions of L441-1 from which each quota rule is in force (RULES.md §4.C, §4.D).
DEPUIS_VERSION = {
    "R-QUOTA-HORS-QPV-Q1-25": 15,
    "R-QUOTA-QPV-50": 16,
    "R-NONRESERVE-25-DALO": 15,
    "R-COLLECTIVITE-25-DALO": 15,
    "R-6-MONTH-FLUX-INJUNCTION": 20,
    "R-PREFET-SUBSTITUTION": 15,
    "R-CIA-BAILLEUR-DISTRIBUTION": 15,
    "R-ESSENTIAL-WORKERS-OBJECTIVE": 20,
    "R-SAPEUR-POMPIER-OBJECTIVE": 18,
}
# R-PREFET-SUBSTITUTION is replaced by R-6-MONTH-FLUX-INJUNCTION in v20.
JUSQUA_VERSION = {"R-PREFET-SUBSTITUTION": 19}

TAUX_HORS_QPV = Decimal("0.25")  # L441-1 al. 24
TAUX_QPV = Decimal("0.50")  # L441-1 al. 27
TAUX_DALO = Decimal("0.25")  # L441-1 al. 39 and al. 43

_Jour = date  # `BailHorsQpv.date` shadows the type in its class body


@dataclass(frozen=True)
class Periode:
    debut: date
    fin: date


@dataclass(frozen=True)
class Comptes:
    """Counts over a set of lease facts: all of them, the first-quartile ones
    (R-Q1-THRESHOLD), the relogés not in the first quartile (a household both counts once:
    R-QUOTA-HORS-QPV-Q1-25), DALO or priority ones (R-NONRESERVE-25-DALO,
    R-COLLECTIVITE-25-DALO), those whose quartile cannot be known (no threshold for the
    year, resources undeclared) and, among them, the relogés."""

    attributions: int = 0
    premier_quartile: int = 0
    reloges: int = 0
    dalo_ou_prioritaires: int = 0
    quartile_inconnu: int = 0
    inconnus_reloges: int = 0

    @property
    def eligibles(self) -> int:
        """Hors QPV, the leases that qualify: first quartile, or relogé (al. 25, al. 26)."""
        return self.premier_quartile + self.reloges

    @property
    def hors_qpv_indetermines(self) -> int:
        """Hors QPV, the leases that may or may not qualify: quartile unknown, not relogé
        (a relogé qualifies by al. 26 whatever its quartile)."""
        return self.quartile_inconnu - self.inconnus_reloges


AUCUN = Comptes()


def periode_annee(annee: int, as_of: date) -> Periode:
    """The calendar year `annee` up to `as_of`."""
    return Periode(date(annee, 1, 1), min(as_of, date(annee, 12, 31)))


def periode_semestre(annee: int, as_of: date) -> Periode:
    """The six months ending on the year's `fin`: 1 January-30 June for a 30 June
    snapshot (R-6-MONTH-FLUX-INJUNCTION, "en flux sur les six derniers mois")."""
    fin = periode_annee(annee, as_of).fin
    return Periode(add_months(fin + timedelta(days=1), -6), fin)


def entree_en_vigueur(regle: str,
                      v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> date:
    """The first day `regle` is in force (the start of its first version)."""
    numero = DEPUIS_VERSION[regle]
    return next(v.effective_from for v in law_versions(v20_effective_from)
                if v.number == numero)


def fin_de_vigueur(regle: str,
                   v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> date | None:
    """The last day `regle` is in force, None while it still is."""
    derniere = JUSQUA_VERSION.get(regle)
    if derniere is None:
        return None
    suivante = next(v.effective_from for v in law_versions(v20_effective_from)
                    if v.number == derniere + 1)
    return suivante - timedelta(days=1)


def periode_en_vigueur(regle: str, periode: Periode, soumis_depuis: date | None = None,
                       v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                       ) -> Periode | None:
    """The part of `periode` in which `regle` applies: from its entry into force (and, for
    the mix rules, from the day the territory became subject, `soumis_depuis`) to its end;
    None when it applies on no day of the period. Only the leases dated within it count."""
    debut = max(periode.debut, entree_en_vigueur(regle, v20_effective_from),
                soumis_depuis or periode.debut)
    fin = periode.fin
    sortie = fin_de_vigueur(regle, v20_effective_from)
    if sortie is not None:
        fin = min(fin, sortie)
    return Periode(debut, fin) if debut <= fin else None


def taux(num: int, den: int) -> float | None:
    """The rate as published: rounded to four decimals (DECISIONS §23)."""
    return round(num / den, 4) if den else None


def atteint(num: int, den: int, objectif: Decimal | None) -> bool | None:
    """Whether the exact rate reaches the objective ("au moins"): 9,999 of 40,000 is not
    25 % though it is published as 0.25 (DECISIONS §23). None without base or objective."""
    if not den or objectif is None:
        return None
    return Decimal(num) >= objectif * den


def minimum(base: int, objectif: Decimal | None) -> int | None:
    """The smallest count that reaches the objective on this base: ceil(objectif × base)
    (EX-01: 10 of 40 at 25 %; EX-26: 12 of 40 at 30 %)."""
    if objectif is None:
        return None
    return int((objectif * base).to_integral_value(rounding=ROUND_CEILING))


def conforme(atteints: int, indetermines: int, base: int,
             objectif: Decimal | None) -> bool | None:
    """Compliance when `indetermines` leases may count or not (their quartile unknown):
    True when the objective is reached without them, False when it is missed even with
    them all, None in between: never compliant, nor in breach, on their account."""
    sans = atteint(atteints, base, objectif)
    if sans is not False or not indetermines:
        return sans
    return None if atteint(atteints + indetermines, base, objectif) else False


def _bloc(atteints: int, base: int, objectif: Decimal | None,
          indetermines: int = 0) -> dict[str, Any]:
    requis = minimum(base, objectif)
    return {"taux": taux(atteints, base),
            "objectif": float(objectif) if objectif is not None else None,
            "conforme": conforme(atteints, indetermines, base, objectif),
            "minimum": requis if base else None,
            "manque": max(0, requis - atteints) if requis is not None and base else None}


def r_quota_hors_qpv_q1_25(comptes: Comptes, objectif: Decimal | None) -> dict[str, Any]:
    """R-QUOTA-HORS-QPV-Q1-25 (L441-1 al. 24-26): at least the objective (25 %, or the
    bailleur's own: R-CIA-BAILLEUR-DISTRIBUTION) of the hors-QPV leases to first-quartile
    households (al. 25, strict "inférieur") or relogés (al. 26); a household both counts
    once. A lease whose quartile cannot be known (and not relogé) is counted apart,
    `quartile_inconnu`: in the base, never eligible, and compliance is not decided on its
    account (`conforme`)."""
    eligibles = comptes.eligibles
    inconnus = comptes.hors_qpv_indetermines
    return {"attributions": comptes.attributions, "premier_quartile": comptes.premier_quartile,
            "reloges": comptes.reloges, "eligibles": eligibles, "quartile_inconnu": inconnus,
            **_bloc(eligibles, comptes.attributions, objectif, inconnus)}


def r_quota_qpv_50(comptes: Comptes, objectif: Decimal | None) -> dict[str, Any]:
    """R-QUOTA-QPV-50 (L441-1 al. 27): at least the objective (50 %, or a higher local
    rate: L441-1-5 1° ter) of the in-QPV attributions to households other than the first
    quartile of al. 25; being relogé does not help here. A lease whose quartile cannot be
    known is neither first quartile nor "autre" (`quartile_inconnu`): three QPV leases
    without a threshold are not 100 % compliant, they are undetermined."""
    autres = comptes.attributions - comptes.premier_quartile - comptes.quartile_inconnu
    return {"attributions": comptes.attributions, "autres_quartiles": autres,
            "quartile_inconnu": comptes.quartile_inconnu,
            **_bloc(autres, comptes.attributions, objectif, comptes.quartile_inconnu)}


def _quart_dalo(comptes: Comptes, objectif: Decimal | None) -> dict[str, Any]:
    """"Au moins un quart des attributions annuelles … est destiné aux personnes bénéficiant
    d'une décision favorable [DALO] ou, à défaut, aux personnes prioritaires": the wording
    both DALO quarters share (al. 39 and al. 43)."""
    return {"attributions": comptes.attributions,
            "dalo_ou_prioritaires": comptes.dalo_ou_prioritaires,
            **_bloc(comptes.dalo_ou_prioritaires, comptes.attributions, objectif)}


def r_nonreserve_25_dalo(comptes: Comptes, objectif: Decimal | None) -> dict[str, Any]:
    """R-NONRESERVE-25-DALO (L441-1 al. 43): a quarter of the bailleur's attributions of
    non-reserved logements, or of logements whose réservataire's attribution failed, go to
    DALO households, else to priority ones (EX-10: 3 of 16, 4 required, 1 short)."""
    return _quart_dalo(comptes, objectif)


def r_collectivite_25_dalo(comptes: Comptes, objectif: Decimal | None) -> dict[str, Any]:
    """R-COLLECTIVITE-25-DALO (L441-1 al. 39): a quarter of a collectivité's reserved
    attributions go to DALO households, else to priority ones (EX-09: 4 of 20, 5 required,
    1 short)."""
    return _quart_dalo(comptes, objectif)


def objectif_collectivite(type_reservataire: str | None, periode: Periode | None
                          ) -> Decimal | None:
    """R-COLLECTIVITE-25-DALO binds collectivités only, on the days it is in force."""
    return TAUX_DALO if type_reservataire == "collectivite" and periode is not None else None


def objectifs_bailleur(cia: dict[str, Any] | None, hors_qpv: Periode | None,
                       qpv: Periode | None, taux_hors: Decimal = TAUX_HORS_QPV,
                       taux_qpv: Decimal = TAUX_QPV) -> tuple[Decimal | None, Decimal | None]:
    """R-CIA-BAILLEUR-DISTRIBUTION: the bailleur's objectives, hors QPV and in QPV: those
    fixed to it (`cia`: its CIA's, or its objectives of the year; a rate it does not set
    is the territory's), else the territory's rates (`taux_hors`, `taux_qpv`: the
    statutory al. 24 and al. 27 ones, or a CIL's: R-QUOTA-RATE-ADAPTATION, EX-26 a); none
    for a rule that applies on no day of the period."""
    obj_hors = obj_qpv = None
    if hors_qpv is not None:
        obj_hors = _taux_de(cia, "taux_hors_qpv_premier_quartile", taux_hors)
    if qpv is not None:
        obj_qpv = _taux_de(cia, "taux_qpv_autres_quartiles", taux_qpv)
    return obj_hors, obj_qpv


def _taux_de(cia: dict[str, Any] | None, champ: str, defaut: Decimal) -> Decimal:
    valeur = cia.get(champ) if cia else None
    return defaut if valeur is None else Decimal(str(valeur))


@dataclass(frozen=True)
class BailHorsQpv:
    """A hors-QPV lease as the injunction sees it: its date and whether it qualifies (al. 25
    or 26); None when its quartile cannot be known and it is not relogé. And who designated
    the household, on which day: the préfet's attributions under injunction are marked,
    the others designated while an injunction ran are flagged (`r_injunction_attributions`)."""

    date: date
    eligible: bool | None
    designation: _Jour | None = None
    prefet: bool = False
    vacance_id: str = ""


@dataclass(frozen=True)
class Injonction:
    """The préfet's injunction of R-6-MONTH-FLUX-INJUNCTION: since when, on which ground
    (`FLUX_6_MOIS`, `RAPPORT_NON_TRANSMIS`) and, once the twelve-month flux reached the
    objective, the day it was lifted."""

    depuis: date
    motif: str
    semestre: date  # the semester end whose flux or report was the ground
    levee_le: date | None = None

    def en_cours(self, jour: date) -> bool:
        return self.depuis <= jour and (self.levee_le is None or jour < self.levee_le)


FLUX_6_MOIS = "FLUX_6_MOIS"
RAPPORT_NON_TRANSMIS = "RAPPORT_NON_TRANSMIS"


class _Flux:
    """Counts of leases over date windows in O(log n): the injunction is checked at every
    lease while it runs, over years of a bailleur's leases."""

    def __init__(self, baux: Sequence[BailHorsQpv]) -> None:
        ordonnes = sorted(baux, key=lambda b: b.date)
        self.dates = [b.date for b in ordonnes]
        self.eligibles = list(accumulate((bool(b.eligible) for b in ordonnes), initial=0))
        self.inconnus = list(accumulate((b.eligible is None for b in ordonnes), initial=0))

    def __call__(self, debut: date, fin: date) -> tuple[int, int, int]:
        """(qualifying, undetermined, all) leases dated within [debut, fin]."""
        i, j = bisect_left(self.dates, debut), bisect_right(self.dates, fin)
        return (self.eligibles[j] - self.eligibles[i], self.inconnus[j] - self.inconnus[i],
                j - i)


def _fins_de_semestre(debut: date, fin: date) -> list[date]:
    out = []
    for annee in range(debut.year, fin.year + 1):
        for jour in (date(annee, 6, 30), date(annee, 12, 31)):
            if debut <= jour <= fin:
                out.append(jour)
    return out


def debut_injonction(soumis_depuis: date | None,
                     v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> date | None:
    """The first day R-6-MONTH-FLUX-INJUNCTION (L441-1 al. 34, v20) can apply on a
    territory subject to the mix rules since `soumis_depuis`; None if never subject."""
    if soumis_depuis is None:
        return None
    return max(entree_en_vigueur("R-6-MONTH-FLUX-INJUNCTION", v20_effective_from),
               soumis_depuis)


def derniere_injonction(suivi: Sequence[Injonction], jour: date) -> Injonction | None:
    """R-6-MONTH-FLUX-INJUNCTION: the last injunction started by `jour` (running or lifted)."""
    return next((i for i in reversed(suivi) if i.depuis <= jour), None)


def injonction_au(suivi: Sequence[Injonction], jour: date) -> Injonction | None:
    """R-6-MONTH-FLUX-INJUNCTION: the injunction running on `jour`, if any."""
    derniere = derniere_injonction(suivi, jour)
    return derniere if derniere is not None and derniere.en_cours(jour) else None


def r_6_month_flux_injunction_etat(baux: Sequence[BailHorsQpv],
                                   transmissions: Mapping[date, date],
                                   objectif: Callable[[date], Decimal | None],
                                   debut: date | None, jour: date) -> list[Injonction]:
    """R-6-MONTH-FLUX-INJUNCTION (L441-1 al. 34, v20) as a state, up to `jour`: at each
    semester end from `debut` (the rule in force, the territory subject), the bailleur is
    enjoined when the hors-QPV objective fixed to it "n'est pas atteint en flux sur les six
    derniers mois", and on any day a semester's report is overdue (R-SEMESTER-REPORT: not
    transmitted by its due date; `transmissions`: semester end → day transmitted). It
    lasts "jusqu'à ce que le flux annuel décompté sur les douze mois précédents atteigne
    l'objectif", every overdue report transmitted too: checked on its first day, at each
    lease, transmission, and each day a lease leaves the twelve months (EX-14, EX-15).
    Without an objective fixed to the bailleur (`objectif` None: R-CIA-ABSENCE-DEFAULT-
    OBJECTIVES) the flux neither triggers nor holds it. Only leases dated from `debut`
    count; a lease of unknown quartile neither triggers nor lifts on its own account. The
    injunctions in order, the last possibly still running."""
    if debut is None or debut > jour:
        return []
    dans = [b for b in baux if debut <= b.date <= jour]
    flux_de = _Flux(dans)
    fins = _fins_de_semestre(debut, jour)
    echeances = {e: r_semester_report_due(e) for e in fins}
    dates = sorted({*fins, *(d + timedelta(days=1) for d in echeances.values() if d < jour),
                    *(b.date for b in dans), *(add_months(b.date, 12) for b in dans),
                    *(t for t in transmissions.values() if debut <= t <= jour)})

    def manquants(t: date) -> list[date]:
        """Semesters whose report is overdue on `t` and still not transmitted."""
        return [e for e, due in echeances.items() if due < t
                and (transmissions.get(e) is None or transmissions[e] > t)]

    def flux_atteint(t: date, mois: int) -> bool | None:
        debut_fenetre = (add_months(t + timedelta(days=1), -6) if mois == 6
                         else add_months(t, -12) + timedelta(days=1))
        atteints, indetermines, base = flux_de(max(debut, debut_fenetre), t)
        return conforme(atteints, indetermines, base, objectif(t))

    out: list[Injonction] = []
    courante: Injonction | None = None
    for t in dates:
        if t > jour:
            break
        if courante is None:
            retard = manquants(t)
            if t in echeances and flux_atteint(t, 6) is False:
                courante = Injonction(t, FLUX_6_MOIS, t)
            elif retard:
                courante = Injonction(t, RAPPORT_NON_TRANSMIS, retard[0])
        if courante is not None and not manquants(t) and (
                objectif(t) is None or flux_atteint(t, 12) is True):
            out.append(Injonction(courante.depuis, courante.motif, courante.semestre, t))
            courante = None
    if courante is not None:
        out.append(courante)
    return out


def r_injunction_attributions(baux: Sequence[BailHorsQpv], suivi: Sequence[Injonction],
                              periode: Periode | None) -> dict[str, Any] | None:
    """R-6-MONTH-FLUX-INJUNCTION (L441-1 al. 34, v20): while the injunction runs "le
    représentant de l'Etat ... procède à l'attribution" of the bailleur's hors-QPV
    vacancies. Over the leases of `periode`: the préfet's attributions (its candidates'
    leases, which count in the quota like any other), and the leases whose household was
    designated by someone else on a day an injunction ran, as known now: acts recorded
    late, or before the leases that started the injunction were known, accepted and
    flagged (`hors_injonction`, their vacancies). None where the rule applies on no day."""
    if periode is None:
        return None
    dans = [b for b in baux if periode.debut <= b.date <= periode.fin]
    contraires = sorted(b.vacance_id for b in dans if not b.prefet and b.designation
                        and any(i.en_cours(b.designation) for i in suivi))
    return {"regle": "R-6-MONTH-FLUX-INJUNCTION",
            "attributions_prefet": sum(b.prefet for b in dans),
            "hors_injonction": contraires}


def r_cia_absence_default_objectives(soumis_depuis: date) -> date:
    """R-CIA-ABSENCE-DEFAULT-OBJECTIVES (L441-1 al. 29-30, v20): without a CIA concluded
    within two years of the territory meeting the al. 24 conditions, the EPCI has four
    months to notify objectives; failing both, 25 % applies to each bailleur from the day
    after (EX-16: subject 2021-01-01, default from 2023-05-02)."""
    return add_months(soumis_depuis, 28) + timedelta(days=1)


def objectif_fixe_au_bailleur(cia: dict[str, Any] | None, soumis_depuis: date | None,
                              jour: date, taux_territoire: Decimal = TAUX_HORS_QPV
                              ) -> Decimal | None:
    """The hors-QPV objective "fixé au bailleur" on `jour` (R-6-MONTH-FLUX-INJUNCTION):
    the one in force then, of its CIA or of its year (R-CIA-BAILLEUR-DISTRIBUTION), else
    the territory's rate (25 %, or the CIL's higher one: R-QUOTA-RATE-ADAPTATION) from the
    day R-CIA-ABSENCE-DEFAULT-OBJECTIVES sets it, else none yet."""
    if cia is not None and cia.get("taux_hors_qpv_premier_quartile") is not None:
        return Decimal(str(cia["taux_hors_qpv_premier_quartile"]))
    if soumis_depuis is None or jour < r_cia_absence_default_objectives(soumis_depuis):
        return None
    return taux_territoire


def r_prefet_substitution(comptes: Comptes, objectif: Decimal | None,
                          periode: Periode | None) -> int | None:
    """R-PREFET-SUBSTITUTION (L441-1 v15 al. 26 … v19 al. 34): when the bailleur's hors-QPV
    objective is not reached, the préfet attributes "un nombre de logements équivalent au
    nombre de logements restant à attribuer": max(0, ceil(objectif × base) − qualifying)
    (EX-02: 9 of 40 at 25 %, 1 logement). None where the rule does not apply (from v20,
    R-6-MONTH-FLUX-INJUNCTION instead)."""
    if periode is None or objectif is None:
        return None
    requis = minimum(comptes.attributions, objectif) or 0
    return max(0, requis - comptes.eligibles)


def r_gov_statistics(hors_qpv: Comptes, qpv: Comptes, periode_hors: Periode | None,
                     periode_qpv: Periode | None, taux_hors: Decimal = TAUX_HORS_QPV,
                     taux_qpv: Decimal = TAUX_QPV) -> dict[str, Any]:
    """R-GOV-STATISTICS (L441-1 al. 37): the yearly statistics of the 25 % hors-QPV and the
    50 % QPV rules per territory (EPCI, EPT, Paris): base, qualifying count and rate of each,
    against the territory's rate of the rule (the statutory one, or the CIL's:
    R-QUOTA-RATE-ADAPTATION) on the days it is in force (a bailleur's own CIA objective is
    its own figure, not the territory's)."""
    return {"regle": "R-GOV-STATISTICS",
            "hors_qpv": r_quota_hors_qpv_q1_25(
                hors_qpv, taux_hors if periode_hors is not None else None),
            "qpv": r_quota_qpv_50(qpv, taux_qpv if periode_qpv is not None else None)}


def r_semester_report_due(date_fin: date) -> date:
    """R-SEMESTER-REPORT (L441-1 al. 33): the data "arrêtées au 30 juin et au 31 décembre"
    are due "dans les quinze jours suivant chacune de ces dates" (EX-27)."""
    if (date_fin.month, date_fin.day) not in ((6, 30), (12, 31)):
        raise ValueError("a semester ends on 30 June or 31 December")
    return date_fin + timedelta(days=15)


def en_vigueur(regle: str, jour: date,
               v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> bool:
    """Whether `regle` is in force on `jour`: a period of that one day it applies on."""
    return periode_en_vigueur(regle, Periode(jour, jour),
                              v20_effective_from=v20_effective_from) is not None


# --- the first-quartile threshold, the territory's rates, the CIA (issue 10) ---------------

def r_q1_threshold(ile_de_france: bool, seuil_territoire: Decimal | None,
                   seuil_regional: Decimal | None) -> Decimal | None:
    """R-Q1-THRESHOLD (L441-1 al. 25): the threshold is the first quartile of the demandeurs
    "sur le territoire de l'EPCI ou, en Ile-de-France, sur le territoire de la région": an
    Île-de-France territoire takes the regional value (EX-05: 8,000, not its own 9,000).
    Until a regional value is known for the year or before, the value the territoire itself
    recorded before the regional one could be (DECISIONS 21 quinquies)."""
    if ile_de_france and seuil_regional is not None:
        return seuil_regional
    return seuil_territoire


def r_premier_quartile(ressources_par_uc: Decimal | None,
                       seuil: Decimal | None) -> bool | None:
    """R-Q1-THRESHOLD (L441-1 al. 25): "dont le niveau de ressources par unité de
    consommation est inférieur à" the threshold, strictly (EX-04: 8,100.00 at 8,100 is not);
    None when either is unknown."""
    if ressources_par_uc is None or seuil is None:
        return None
    return ressources_par_uc < seuil


# The statutory rate each mix rule's local rate is compared with (al. 24, al. 27).
PLANCHERS = {"R-QUOTA-HORS-QPV-Q1-25": TAUX_HORS_QPV, "R-QUOTA-QPV-50": TAUX_QPV}
V15, V16 = (v.effective_from for v in LAW_VERSIONS if v.number in (15, 16))
REVISION_MOIS = 36  # v15 al. 23: "Il est révisé tous les trois ans"


class Adaptation(StrEnum):
    """How a CIL's rate stands against the statutory one (R-QUOTA-RATE-ADAPTATION)."""

    SUPERIEUR = "superieur"  # at or above it: lawful under every text
    ADAPTE = "adapte"  # below it, "adapté" under v15 (al. 23)
    REFUSE = "refuse"  # below it where only "un taux supérieur" is allowed


def _sous_v15(jour: date) -> bool:
    return V15 <= jour < V16


def r_quota_rate_adaptation(regle: str, taux: Decimal, date_effet: date) -> Adaptation:
    """R-QUOTA-RATE-ADAPTATION. Under v15 (2017-01-29 to 2018-11-24) L441-1 al. 23: the
    25 % "peut être, le cas échéant, adapté, compte tenu de la situation locale, par les
    orientations" approved by the EPCI and the préfet, "révisé tous les trois ans": no
    direction is stated, so a lower hors-QPV rate is accepted (EX-26 c). Currently
    L441-1-5 al. 3-4 (1° bis, 1° ter): the CIL may set "un taux supérieur au taux minimal"
    only (EX-26 b: 20 % refused). The 50 % QPV rule (v16) was never adaptable."""
    if taux >= PLANCHERS[regle]:
        return Adaptation.SUPERIEUR
    if regle == "R-QUOTA-HORS-QPV-Q1-25" and _sous_v15(date_effet):
        return Adaptation.ADAPTE
    return Adaptation.REFUSE


def revision_avant(date_effet: date) -> date:
    """v15 al. 23: an adapted rate "est révisé tous les trois ans" (the day it is due)."""
    return add_months(date_effet, REVISION_MOIS)


def taux_applicable(regle: str, taux_local: Decimal | None, depuis: date | None,
                    jour: date) -> Decimal:
    """The territory's rate of `regle` on `jour` (R-QUOTA-RATE-ADAPTATION): the CIL's rate
    in force since `depuis` when it is higher (L441-1-5 1° bis, 1° ter: EX-26 a, 30 %); an
    adapted lower one only while v15, which allowed it, is in force and before its
    three-yearly review; else the statutory rate (al. 24: 25 %, al. 27: 50 %)."""
    plancher = PLANCHERS[regle]
    if taux_local is None or depuis is None:
        return plancher
    if taux_local >= plancher:
        return taux_local
    if _sous_v15(jour) and jour < revision_avant(depuis):
        return taux_local
    return plancher


@dataclass(frozen=True)
class Repartition:
    """R-CIA-BAILLEUR-DISTRIBUTION as checked: the weighted rate of the CIA's objectives
    over the expected bases, against the territory's rate."""

    taux_pondere: Decimal | None
    taux_territoire: Decimal

    @property
    def respecte(self) -> bool:
        return self.taux_pondere is not None and self.taux_pondere >= self.taux_territoire


def r_cia_bailleur_distribution(objectifs: Sequence[tuple[Decimal, int]],
                                taux_territoire: Decimal) -> Repartition:
    """R-CIA-BAILLEUR-DISTRIBUTION (L441-1 al. 28): the CIA fixes "la répartition entre les
    bailleurs sociaux des attributions à réaliser sous réserve que le taux applicable au
    territoire concerné soit globalement respecté": Σ objectif_b × base_b / Σ base_b, over
    the expected bases, at least the territory's rate (EX-16: (0.20×60 + 0.32×40)/100 =
    24.8 % refused; with 33 %, 25.2 % accepted). One bailleur below it is lawful. Without
    any expected base there is nothing to weigh: not respected (`taux_pondere` None)."""
    total = sum(base for _, base in objectifs)
    if total <= 0:
        return Repartition(None, taux_territoire)
    return Repartition(sum((taux * base for taux, base in objectifs), Decimal(0)) / total,
                       taux_territoire)


def _objectif_declare(regle: str, objectif: Mapping[str, Any] | None, jour: date | None,
                      v20_effective_from: date) -> dict[str, Any]:
    # No attribution records the household's activity yet: nothing achieved is known.
    return {"regle": regle,
            "en_vigueur": jour is not None and en_vigueur(regle, jour, v20_effective_from),
            "objectif": None if objectif is None else {
                "nombre": objectif.get("nombre"),
                "taux": None if objectif.get("taux") is None else float(objectif["taux"])},
            "realise": None}


def r_essential_workers_objective(objectif: Mapping[str, Any] | None, jour: date | None,
                                  v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                                  ) -> dict[str, Any]:
    """R-ESSENTIAL-WORKERS-OBJECTIVE (L441-1 al. 35, v20): the CIA "fixe un objectif
    d'attributions aux demandeurs ... exerçant une activité professionnelle qui ne peut être
    assurée en télétravail dans un secteur essentiel". The objective as declared (a count
    or a share) on `jour`; `realise` null: the demande does not record that activity yet."""
    return _objectif_declare("R-ESSENTIAL-WORKERS-OBJECTIVE", objectif, jour,
                             v20_effective_from)


def r_sapeur_pompier_objective(objectif: Mapping[str, Any] | None, jour: date | None,
                               v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                               ) -> dict[str, Any]:
    """R-SAPEUR-POMPIER-OBJECTIVE (L441-1 al. 36, v18 from 2021-11-27): the CIA fixes, "le
    cas échéant", an objective of attributions to volunteer firefighters. As declared on
    `jour`; `realise` null: the demande does not record that activity yet."""
    return _objectif_declare("R-SAPEUR-POMPIER-OBJECTIVE", objectif, jour, v20_effective_from)


# --- R-QPV-ASSIMILATION-ZUS ----------------------------------------------------------------

ZUS_DEBUT, ZUS_FIN = date(2015, 1, 1), date(2020, 12, 31)  # 1°: "six ans à compter du 1er
# janvier 2015"
ASSIMILATION_MOIS = 72  # 2°: "six ans à compter de leur sortie du classement"


def r_qpv_assimilation_zus(qpv: bool, ancienne_zus: bool, sortie_qpv_le: date | None,
                           jour: date,
                           v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> bool:
    """R-QPV-ASSIMILATION-ZUS (L441-1 v16-v18 al. 27-29, v19 al. 28-30): "Pour
    l'application des vingt-quatrième à vingt-septième alinéas, sont assimilés à des QPV :
    1° Pendant une période de six ans à compter du 1er janvier 2015, les quartiers classés
    en zones urbaines sensibles qui n'ont pas été classés en QPV ; 2° Pendant une période de
    six ans à compter de leur sortie du classement ..., les quartiers qui n'ont pas été
    reclassés en QPV." QPV status for the mix rules only (al. 24-27: the hors-QPV 25 % and
    the QPV 50 % blocks), on `jour`: from v16 (2018-11-25) until v20 deleted the text
    (EX-22: a former ZUS is QPV on 2019-05-01, hors QPV on 2021-05-01 and under v20). A
    quartier still inside its 2° window when v20 began leaves it then: v20 has no
    transitional rule (RULES.md §7 item 27, DECISIONS 24)."""
    if qpv:
        return True
    if not V16 <= jour < v20_effective_from:
        return False
    if ancienne_zus and ZUS_DEBUT <= jour <= ZUS_FIN:
        return True
    return (sortie_qpv_le is not None
            and sortie_qpv_le <= jour < add_months(sortie_qpv_le, ASSIMILATION_MOIS))
