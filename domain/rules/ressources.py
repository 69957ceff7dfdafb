"""R-RESOURCES-REQUERANT-ONLY and R-RESOURCES-DIVORCE-MUTUEL-TRANSITOIRE: when only the
applicant's own resources count, and which evidence attests the ground, version by version
(RULES.md §4.A, matrix §5.3).

Grounds and evidence are semantic codes: the law reworded both five times (v10, v11, v15,
v16, v17), so a recorded ground and its evidence are judged against the version in force
on the day of the decision, never against the day they were recorded (EX-12 b).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM, law_versions, version_at

RULE_ID = "R-RESOURCES-REQUERANT-ONLY"
RULE_TRANSITOIRE = "R-RESOURCES-DIVORCE-MUTUEL-TRANSITOIRE"

_PREMIERE_VERSION = 9  # al. 2 enters the article on 2009-03-28
_DERNIERE_VERSION_N_2 = 14  # "avant-dernière année": removed by v15 (2017-01-29)


class MotifRessourcesPropres(StrEnum):
    """The grounds of L441-1 al. 2 on which only the requérant's resources count."""

    DIVORCE_EN_COURS = "DIVORCE_EN_COURS"  # "conjoints d'un couple en instance de divorce"
    URGENCE = "URGENCE"  # "situation d'urgence" (protection of the demandeur)
    RUPTURE_PACS = "RUPTURE_PACS"  # former PACS partner who declared the rupture
    PROTECTION_INTERNATIONALE = "PROTECTION_INTERNATIONALE"  # married, lives alone in France
    VIOLENCES_COUPLE = "VIOLENCES_COUPLE"  # married, PACS or cohabiting victim of violence
    # v11-v15, 3rd sentence, optional ("peuvent être évaluées de la même manière").
    DIVORCE_MUTUEL_MEDIATION = "DIVORCE_MUTUEL_MEDIATION"


class Justificatif(StrEnum):
    """The documents L441-1 al. 2 names to attest a ground."""

    ORDONNANCE_NON_CONCILIATION = "ORDONNANCE_NON_CONCILIATION"
    SAISINE_JAF = "SAISINE_JAF"  # copy of the acte de saisine du juge aux affaires familiales
    ATTESTATION_AVOCAT = "ATTESTATION_AVOCAT"  # extra-judicial mutual-consent divorce under way
    ATTESTATION_MEDIATION_FAMILIALE = "ATTESTATION_MEDIATION_FAMILIALE"
    DECISION_ART_257 = "DECISION_ART_257"  # judge's decision, art. 257 code civil
    MESURES_URGENTES_ART_220_1 = "MESURES_URGENTES_ART_220_1"  # JAF, art. 220-1 al. 3 CC
    ORDONNANCE_PROTECTION = "ORDONNANCE_PROTECTION"  # JAF, titre XIV livre Ier CC
    DECLARATION_GREFFE = "DECLARATION_GREFFE"  # PACS rupture, greffe du tribunal d'instance
    DECLARATION_ETAT_CIVIL = "DECLARATION_ETAT_CIVIL"  # PACS rupture, officier de l'état civil
    DECLARATION_NOTAIRE = "DECLARATION_NOTAIRE"  # PACS rupture, notaire instrumentaire
    # The text names no document for this ground (not in the seeds: the OFPRA / CNDA
    # decision granting refugee status or subsidiary protection).
    DECISION_PROTECTION_INTERNATIONALE = "DECISION_PROTECTION_INTERNATIONALE"
    RECEPISSE_PLAINTE = "RECEPISSE_PLAINTE"  # receipt of the victim's complaint


class Base(StrEnum):
    """Whose resources are assessed: the requérant's alone, or the household's."""

    REQUERANT = "requerant"
    MENAGE = "menage"


@dataclass(frozen=True)
class BaseRessources:
    """The outcome of the rule on a decision date. `annee_reference`: the tax year whose
    resources count (v9-v14 only: N-2, N the year the lease is signed); `regle`: the rule
    that gave it (the transitional one for a mediation-attested mutual-consent divorce)."""

    base: Base
    annee_reference: int | None = None
    regle: str = RULE_ID


MENAGE = BaseRessources(Base.MENAGE)

_M, _J = MotifRessourcesPropres, Justificatif
# RULES.md §5.3: ground -> accepted evidence -> (first version, last version or None: current).
MATRICE: dict[MotifRessourcesPropres, dict[Justificatif, tuple[int, int | None]]] = {
    _M.DIVORCE_EN_COURS: {
        _J.ORDONNANCE_NON_CONCILIATION: (9, 16),  # removed by v17 (2021-01-01)
        _J.SAISINE_JAF: (11, None),  # v11-v15 "ou, à défaut": accepted where no ONC exists
        _J.ATTESTATION_AVOCAT: (16, None),
    },
    _M.URGENCE: {
        _J.DECISION_ART_257: (9, 16),
        _J.MESURES_URGENTES_ART_220_1: (9, 9),  # replaced by the ordonnance de protection
        _J.ORDONNANCE_PROTECTION: (10, None),
    },
    _M.RUPTURE_PACS: {
        _J.DECLARATION_GREFFE: (9, 15),
        _J.DECLARATION_ETAT_CIVIL: (16, None),
        _J.DECLARATION_NOTAIRE: (16, None),
    },
    _M.PROTECTION_INTERNATIONALE: {_J.DECISION_PROTECTION_INTERNATIONALE: (16, None)},
    _M.VIOLENCES_COUPLE: {_J.RECEPISSE_PLAINTE: (9, None)},
    _M.DIVORCE_MUTUEL_MEDIATION: {_J.ATTESTATION_MEDIATION_FAMILIALE: (11, 15)},
}


def justificatif_possible(motif: MotifRessourcesPropres, justificatif: Justificatif) -> bool:
    """Whether some version of the law ever accepted this evidence for this ground (a
    pairing no version knows is an input error, not a fact to keep)."""
    return justificatif in MATRICE[motif]


def r_resources_requerant_only(
    motif: MotifRessourcesPropres | None,
    justificatif: Justificatif | None,
    date_justificatif: date | None,
    date_decision: date,
    *,
    annee_signature: int | None = None,
    option_mediation: bool = True,
    v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM,
) -> BaseRessources:
    """R-RESOURCES-REQUERANT-ONLY: only the requérant's resources count, or the household's.

    CCH L441-1 al. 2, 1st and 2nd sentences (in force from v9, 2009-03-28): "les seules
    ressources à prendre en compte sont celles du requérant" when the demandeur is one of
    the spouses of a couple "en instance de divorce", is "dans une situation d'urgence",
    was bound by a PACS whose rupture they declared, is (from v16, 2018-11-25) "une personne
    mariée bénéficiaire de la protection internationale qui réside seule sur le territoire
    français", or is a married, PACS or cohabiting person "victime de violences au sein du
    couple attestées par le récépissé du dépôt d'une plainte". Each ground counts only with
    the evidence the version in force on `date_decision` names (RULES.md §5.3): the
    ordonnance de non-conciliation and the art. 257 decision no longer count from v17
    (2021-01-01, EX-12 b); the PACS rupture is declared at the greffe until v15, to the
    officier de l'état civil or the notaire from v16. Evidence dated after the decision did
    not exist when it was taken: the household's resources count.

    v9 to v14 also name the year: "au titre de l'avant-dernière année précédant celle de la
    signature du nouveau contrat" (N-2, N = `annee_signature`, by default the decision's
    year: EX-12 c); from v15 the article names none (EX-12 d, RULES.md §7 item 11).

    R-RESOURCES-DIVORCE-MUTUEL-TRANSITOIRE, al. 2, 3rd sentence of v11 to v15
    (2014-03-27 to 2018-11-24): the resources of a demandeur in a mutual-consent divorce
    attested by an organisme de médiation familiale "peuvent être évaluées de la même
    manière": an option, `option_mediation` (the decision's, default taken: recording the
    ground is taking it).

    v17 to v20 do not differ on this paragraph, so the answer does not depend on v20's
    start; the setting is taken as every rule of the article takes it.
    """
    version = version_at(date_decision, v20_effective_from)
    if (motif is None or justificatif is None or date_justificatif is None or version is None
            or date_justificatif > date_decision):
        return MENAGE
    periode = MATRICE[motif].get(justificatif)
    if periode is None:
        return MENAGE
    premiere, derniere = periode
    if not premiere <= version.number <= (derniere or version.number):
        return MENAGE
    transitoire = motif is MotifRessourcesPropres.DIVORCE_MUTUEL_MEDIATION
    if transitoire and not option_mediation:
        return MENAGE
    annee = ((annee_signature or date_decision.year) - 2
             if version.number <= _DERNIERE_VERSION_N_2 else None)
    return BaseRessources(Base.REQUERANT, annee, RULE_TRANSITOIRE if transitoire else RULE_ID)


def bascules(v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> tuple[date, ...]:
    """The days on which the rule's answer can change for a ground and evidence that do not:
    each version that adds or removes an evidence or names or stops naming the year, and,
    while the year is named (v9-v14), each 1 January (N-2 moves with the year)."""
    numeros = {_PREMIERE_VERSION, _DERNIERE_VERSION_N_2 + 1}
    for par_justificatif in MATRICE.values():
        for premiere, derniere in par_justificatif.values():
            numeros.add(premiere)
            if derniere is not None:
                numeros.add(derniere + 1)
    debuts = {v.number: v.effective_from for v in law_versions(v20_effective_from)}
    jours = {debuts[n] for n in numeros}
    jours.update(date(annee, 1, 1) for annee in range(debuts[_PREMIERE_VERSION].year + 1,
                                                       debuts[_DERNIERE_VERSION_N_2 + 1].year
                                                       + 1))
    return tuple(sorted(jours))
