"""Quota facts: one row per signed lease, believed over a range of positions.

A row holds what the quota rules need, evaluated at the lease date in the law version then
in force: first quartile (R-Q1-THRESHOLD: resources per consumption unit strictly below the
territory's threshold of the lease year), relogé (renouvellement urbain), DALO, priority
categories in force (R-PRIORITY-CATEGORIES), QPV, the réservataire and whether the lease
fell to the bailleur's pool (non réservé, or the réservataire's turn failed or lapsed:
R-NONRESERVE-25-DALO). A later-recorded change of the household's situation, of a
threshold or of the réservataire supersedes the rows it changes, so answers depend on
`known_at`.

The rules themselves are `domain/rules/quotas.py`, one function per rule id: which dates
each rule counts (`periode_en_vigueur`: only leases dated while it was in force, on a
territory already subject), and the figures from the counts. Shared with the auditor's
replay (projections/replay.py), which recomputes everything from the log without these
tables: `fait_bail`, the lease fact from the states of the vacancy, the demande, the
territory and the réservataire; `periodes_bailleur`, the dates each rule counts; and
`figures_bailleur` / `figures_reservataire`, which call the rules on the counts. The view
counts with SQL (`_counts`), the replay counts in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast
from uuid import UUID

from domain.application import HlmApplication
from domain.demande import Demande, categories_en_vigueur
from domain.ids import region_uuid, reservataire_uuid, territoire_uuid
from domain.referentiel import (
    HORS_QPV,
    QPV,
    REGION_ILE_DE_FRANCE,
    Bailleur,
    Region,
    Reservataire,
    Territoire,
    seuil_premier_quartile,
)
from domain.rules.cycle import Designataire
from domain.rules.quotas import (
    AUCUN,
    TAUX_DALO,
    BailHorsQpv,
    Comptes,
    Injonction,
    Periode,
    conforme,
    debut_injonction,
    derniere_injonction,
    objectif_collectivite,
    objectif_fixe_au_bailleur,
    objectifs_bailleur,
    periode_annee,
    periode_en_vigueur,
    periode_semestre,
    r_6_month_flux_injunction_etat,
    r_collectivite_25_dalo,
    r_essential_workers_objective,
    r_gov_statistics,
    r_injunction_attributions,
    r_nonreserve_25_dalo,
    r_prefet_substitution,
    r_premier_quartile,
    r_qpv_assimilation_zus,
    r_quota_hors_qpv_q1_25,
    r_quota_qpv_50,
    r_sapeur_pompier_objective,
    taux,
)
from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM
from domain.vacance import Vacance
from projections.aggregates import AggregateCache
from projections.bitemporal import BELIEVED
from projections.db import Cursor
from projections.runner import TablesView


class FaitBail(NamedTuple):
    """One signed lease as the quota rules see it (a row of `pv_baux`)."""

    vacance_id: str
    demande_id: str
    bailleur_id: str
    territoire_id: str
    reservataire_id: str | None
    reservataire_type: str | None
    date_signature: str  # ISO date
    qpv: int
    premier_quartile: int
    reloge: int
    dalo: int
    prioritaire: int
    pool_bailleur: int
    quartile_inconnu: int  # no threshold for the year, or resources undeclared
    # The préfet's candidate under injunction (R-6-MONTH-FLUX-INJUNCTION): neither the
    # bailleur's pool nor the réservataire's own.
    prefet: int
    date_designation: str  # ISO date: the injunction judges the designation's day
    qpv_mixite: int  # QPV for al. 24-27 (R-QPV-ASSIMILATION-ZUS); `qpv` is the real flag


COLUMNS = FaitBail._fields
DDL = (
    "CREATE TABLE IF NOT EXISTS pv_baux (vacance_id TEXT NOT NULL, demande_id TEXT NOT NULL, "
    "bailleur_id TEXT NOT NULL, territoire_id TEXT NOT NULL, reservataire_id TEXT, "
    "reservataire_type TEXT, date_signature TEXT NOT NULL, qpv INTEGER NOT NULL, "
    "premier_quartile INTEGER NOT NULL, reloge INTEGER NOT NULL, dalo INTEGER NOT NULL, "
    "prioritaire INTEGER NOT NULL, pool_bailleur INTEGER NOT NULL, "
    "quartile_inconnu INTEGER NOT NULL, prefet INTEGER NOT NULL, date_designation TEXT NOT "
    "NULL, qpv_mixite INTEGER NOT NULL, recorded_from BIGINT NOT NULL, superseded_at BIGINT)",
    "CREATE INDEX IF NOT EXISTS pv_baux_bailleur ON pv_baux (bailleur_id, territoire_id, "
    "date_signature)",
    "CREATE INDEX IF NOT EXISTS pv_baux_reservataire ON pv_baux (reservataire_id, "
    "date_signature)",
    "CREATE INDEX IF NOT EXISTS pv_baux_demande ON pv_baux (demande_id)",
    "CREATE INDEX IF NOT EXISTS pv_baux_vacance ON pv_baux (vacance_id)",
)


def premier_quartile(demande: Demande, territoire: Territoire | None,
                     jour: date, region: Region | None = None) -> bool | None:
    """R-Q1-THRESHOLD: resources per consumption unit on `jour` (the requérant's own when
    R-RESOURCES-REQUERANT-ONLY gives that basis on `jour`) strictly below the
    territory's threshold for that year (in Île-de-France the region's: `region`); None
    when either is unknown (the quotas count it apart, `quartile_inconnu`, DECISIONS §20;
    the event stream publishes it as unknown)."""
    per_uc = demande.ressources_par_uc(jour)
    seuil = seuil_premier_quartile(
        territoire if isinstance(territoire, Territoire) else None,
        region if isinstance(region, Region) else None, jour.year)
    return r_premier_quartile(per_uc, seuil)


def drapeaux_menage(situation: dict[str, Any], jour: date) -> dict[str, bool]:
    """The household flags the quota rules need on `jour` (DALO, a priority category in
    force: R-PRIORITY-CATEGORIES, m) only within its age and three-year limits; relogé:
    R-QUOTA-HORS-QPV-Q1-25), never the values they derive from."""
    return {
        "dalo": bool(situation["dalo"]),
        "prioritaire": bool(categories_en_vigueur(situation, jour)),
        "relogement_renouvellement_urbain": bool(situation["relogement_renouvellement_urbain"]),
    }


def fait_bail(vacance: Vacance, demande: Demande, territoire: Territoire | None,
              reservataire: Reservataire | None, region: Region | None = None,
              v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> FaitBail:
    """The lease fact of a vacancy whose lease is signed, from the current states of the
    vacancy, the household's demande, the logement's territory and its réservataire, and
    Île-de-France's thresholds (`region`). `qpv_mixite`: QPV for the mix rules at the lease
    date (R-QPV-ASSIMILATION-ZUS; the ZUS flags of a vacancy recorded before them read as
    unset)."""
    bail = vacance.bail
    assert bail is not None
    jour: date = bail["date_signature"]
    drapeaux = drapeaux_menage(demande.situation_au(jour), jour)
    reservataire_id = vacance.reservataire_id
    designation = vacance.designations[bail["demande_id"]]
    par = designation["par"]
    prefet = par == Designataire.PREFET
    quartile = premier_quartile(demande, territoire, jour, region)
    qpv = int(bool(vacance.logement["qpv"]))
    logement = vacance.logement
    qpv_mixite = int(r_qpv_assimilation_zus(
        bool(qpv), bool(logement.get("ancienne_zus", False)), logement.get("sortie_qpv_le"),
        jour, v20_effective_from))
    return FaitBail(
        str(vacance.id), bail["demande_id"], vacance.bailleur_id,
        vacance.logement["territoire_id"], reservataire_id,
        reservataire.type if isinstance(reservataire, Reservataire) else None,
        jour.isoformat(), qpv,
        int(bool(quartile)),
        int(drapeaux["relogement_renouvellement_urbain"]), int(drapeaux["dalo"]),
        int(drapeaux["prioritaire"]),
        int(not prefet and (reservataire_id is None or par != Designataire.RESERVATAIRE)),
        int(quartile is None),
        int(prefet), designation["date"].isoformat(), qpv_mixite,
    )


class QuotasView(TablesView):
    """`pv_baux`: whenever an input of a lease fact changes (the lease itself, the
    household's demande, a threshold of the territory or, for an Île-de-France one, of the
    region, the territory entering or leaving Île-de-France, the réservataire), the fact is
    recomputed with `fait_bail` and supersedes the row believed so far if it differs."""

    name = "quotas"
    ddl = DDL
    # 2: quartile_inconnu; 3: prefet, date_designation, qpv_mixite; 4: premier_quartile on
    # the requérant's own resources (R-RESOURCES-REQUERANT-ONLY), prioritaire with m)'s limits
    forme = 4

    def __init__(self, app: HlmApplication) -> None:
        self.aggregates = AggregateCache(app)
        self.v20_effective_from = app.v20_effective_from

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        aggregate = self.aggregates.after(event)
        if isinstance(event, Vacance.BailSigne):
            self._refresh(cur, str(aggregate.id), position)
        elif isinstance(aggregate, Demande) and aggregate.attribution is not None:
            # The lease of this demande, from the table (not memory): right after a restart.
            self._refresh_where(cur, "demande_id = ?", (str(aggregate.id),), position)
        elif isinstance(event, Territoire.SeuilPremierQuartilePublie):
            self._refresh_where(cur, "territoire_id = ? AND date_signature >= ?",
                                (aggregate.territoire_id, f"{event.annee}-01-01"), position)
        elif isinstance(event, Territoire.Modifie):
            # Whether it is in Île-de-France decides whose threshold its leases take.
            self._refresh_where(cur, "territoire_id = ?", (aggregate.territoire_id,),
                                position)
        elif isinstance(event, Region.SeuilPremierQuartilePublie):
            self._refresh_ile_de_france(cur, f"{event.annee}-01-01", position)
        elif isinstance(aggregate, Reservataire):
            self._refresh_where(cur, "reservataire_id = ?", (aggregate.reservataire_id,),
                                position)

    def _refresh_ile_de_france(self, cur: Cursor, debut: str, position: int) -> None:
        """The leases from `debut` on every Île-de-France territoire (as known at
        `position`): a regional threshold holds for each of them (R-Q1-THRESHOLD)."""
        cur.execute("SELECT DISTINCT territoire_id FROM pv_baux WHERE date_signature >= ? "
                    "AND superseded_at IS NULL", (debut,))
        for (territoire_id,) in cur.fetchall():
            territoire = self.aggregates.state(territoire_uuid(territoire_id), position)
            if isinstance(territoire, Territoire) and territoire.ile_de_france:
                self._refresh_where(cur, "territoire_id = ? AND date_signature >= ?",
                                    (territoire_id, debut), position)

    def _refresh_where(self, cur: Cursor, where: str, params: tuple[Any, ...],
                       position: int) -> None:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM pv_baux WHERE {where} AND "
                    "superseded_at IS NULL", params)
        for current in cur.fetchall():
            self._supersede(cur, tuple(current), position)

    def _refresh(self, cur: Cursor, vacance_id: str, position: int) -> None:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM pv_baux WHERE vacance_id = ? AND "
                    "superseded_at IS NULL", (vacance_id,))
        current = cur.fetchone()
        self._supersede(cur, tuple(current) if current else vacance_id, position)

    def _supersede(self, cur: Cursor, current: tuple[Any, ...] | str, position: int) -> None:
        """Recompute the fact of a lease (`current`: its row believed so far, or only its
        vacancy id when it has none) and replace the row if the fact changed."""
        vacance_id = current if isinstance(current, str) else current[0]
        # A vacancy with a lease (an event of it, a row of the table): known at `position`.
        vacance = cast(Vacance, self.aggregates.state(UUID(vacance_id), position))
        row = self.fact(vacance, position)
        if row == current:
            return
        cur.execute("UPDATE pv_baux SET superseded_at = ? WHERE vacance_id = ? AND "
                    "superseded_at IS NULL", (position, vacance_id))
        cur.execute(f"INSERT INTO pv_baux ({', '.join(COLUMNS)}, recorded_from) VALUES "
                    f"({', '.join('?' * (len(COLUMNS) + 1))})", (*row, position))

    def fact(self, vacance: Vacance, position: int) -> FaitBail:
        """`fait_bail` with the inputs as of the view's position."""
        bail = vacance.bail
        assert bail is not None
        reservataire_id = vacance.reservataire_id
        territoire = self.aggregates.state(territoire_uuid(vacance.logement["territoire_id"]),
                                           position)
        return fait_bail(
            vacance,
            cast(Demande, self.aggregates.state(UUID(bail["demande_id"]), position)),
            territoire,
            self.aggregates.state(reservataire_uuid(reservataire_id), position)
            if reservataire_id else None,
            # Île-de-France's thresholds, for its territoires only: no query else.
            self.aggregates.state(region_uuid(REGION_ILE_DE_FRANCE), position)
            if isinstance(territoire, Territoire) and territoire.ile_de_france else None,
            self.v20_effective_from,
        )


# --- figures from counts (shared with the replay) --------------------------------------

@dataclass(frozen=True)
class PeriodesBailleur:
    """The dates whose leases each of a bailleur's rules counts, for one year up to its
    `fin` (domain.rules.quotas.periode_en_vigueur; None: the rule applies on no day)."""

    hors_qpv: Periode | None
    qpv: Periode | None
    non_reserves: Periode | None
    semestre: Periode | None
    substitution: Periode | None
    injonction: Periode | None  # R-6-MONTH-FLUX-INJUNCTION over the year


@dataclass(frozen=True)
class ComptesBailleur:
    """A bailleur's counts on one territory, each over its rule's dates (`PeriodesBailleur`):
    hors QPV, in QPV, in its pool, hors QPV over the six months ending on `fin`, and hors
    QPV under R-PREFET-SUBSTITUTION (the same as `hors_qpv` except in a year of a change of
    version)."""

    hors_qpv: Comptes
    qpv: Comptes
    non_reserves: Comptes
    semestre: Comptes
    substitution: Comptes


def periodes_bailleur(territoire: Territoire | None, annee: int, as_of: date,
                      v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                      ) -> PeriodesBailleur:
    """The mix rules count from the day the territory became subject (R-MIXITE-TERRITORY);
    on a territory never subject their figures are given from their entry into force, for
    information, without an objective. R-NONRESERVE-25-DALO binds every territory."""
    soumis = territoire.soumis_mixite_depuis if territoire is not None else None
    annee_p = periode_annee(annee, as_of)

    def pour(regle: str, periode: Periode, mixite: bool = True) -> Periode | None:
        return periode_en_vigueur(regle, periode, soumis if mixite else None,
                                  v20_effective_from)

    return PeriodesBailleur(
        hors_qpv=pour("R-QUOTA-HORS-QPV-Q1-25", annee_p),
        qpv=pour("R-QUOTA-QPV-50", annee_p),
        non_reserves=pour("R-NONRESERVE-25-DALO", annee_p, mixite=False),
        semestre=pour("R-6-MONTH-FLUX-INJUNCTION", periode_semestre(annee, as_of)),
        substitution=pour("R-PREFET-SUBSTITUTION", annee_p),
        injonction=pour("R-6-MONTH-FLUX-INJUNCTION", annee_p),
    )


def stamp(body: dict[str, Any], as_of: date, known_at: datetime | None) -> dict[str, Any]:
    """A quota body with the dates it answers for, as the API gives it."""
    return {**body, "as_of": as_of.isoformat(),
            "known_at": known_at.isoformat() if known_at else None}


def _soumis(territoire: Territoire | None) -> bool:
    """Subject to the mix rules: their periods then start on the subjection day
    (`periodes_bailleur`); on a territory never subject they bind nothing, their figures
    are given for information."""
    return territoire is not None and territoire.soumis_mixite_depuis is not None


def debut_injonction_sur(territoire: Territoire | None,
                         v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> date | None:
    """`debut_injonction` of the territory as known (None when unknown)."""
    return debut_injonction(territoire.soumis_mixite_depuis if territoire else None,
                            v20_effective_from)


def injonctions(baux: Sequence[BailHorsQpv], bailleur: Bailleur | None,
                territoire: Territoire | None, bailleur_id: str, territoire_id: str,
                jour: date, v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                ) -> list[Injonction]:
    """R-6-MONTH-FLUX-INJUNCTION up to `jour` from the bailleur's hors-QPV leases on the
    territory, its transmitted reports and the objective fixed to it on each day: the one
    in force that day, of its CIA or of its year (R-CIA-BAILLEUR-DISTRIBUTION), else the
    territory's rate (25 %, or the CIL's: R-QUOTA-RATE-ADAPTATION) once the CIA and the
    notified objectives are overdue (R-CIA-ABSENCE-DEFAULT-OBJECTIVES), else none."""
    soumis = territoire.soumis_mixite_depuis if territoire is not None else None

    def objectif(t: date) -> Decimal | None:
        if territoire is None:
            return objectif_fixe_au_bailleur(None, soumis, t)
        return objectif_fixe_au_bailleur(territoire.objectifs_au(bailleur_id, t), soumis, t,
                                         territoire.taux_au(HORS_QPV, t))

    transmis = bailleur.transmissions_de(territoire_id) if bailleur is not None else {}
    return r_6_month_flux_injunction_etat(baux, transmis, objectif,
                                          debut_injonction_sur(territoire, v20_effective_from),
                                          jour)


def bail_hors_qpv(date_signature: str, premier_quartile: int, reloge: int,
                  quartile_inconnu: int, date_designation: str, prefet: int,
                  vacance_id: str) -> BailHorsQpv:
    """A hors-QPV lease as R-6-MONTH-FLUX-INJUNCTION sees it, from the columns of its fact:
    qualifying by al. 25 or 26, unknown when its quartile is and it is not relogé."""
    eligible = bool(premier_quartile or reloge) or (None if quartile_inconnu else False)
    return BailHorsQpv(date.fromisoformat(date_signature), eligible,
                       date.fromisoformat(date_designation), bool(prefet), vacance_id)


def bail_hors_qpv_de(fait: FaitBail) -> BailHorsQpv:
    """`bail_hors_qpv` of a whole lease fact (the replay's, the generator's)."""
    return bail_hors_qpv(fait.date_signature, fait.premier_quartile, fait.reloge,
                         fait.quartile_inconnu, fait.date_designation, fait.prefet,
                         fait.vacance_id)


def figures_bailleur(territoire: Territoire | None, bailleur_id: str, territoire_id: str,
                     annee: int, as_of: date, comptes: ComptesBailleur,
                     v20_effective_from: date, suivi: Sequence[Injonction],
                     baux: Sequence[BailHorsQpv]) -> dict[str, Any]:
    """R-QUOTA-HORS-QPV-Q1-25, R-QUOTA-QPV-50, R-NONRESERVE-25-DALO, R-PREFET-SUBSTITUTION
    (v15-v19) and the six-month flux of R-6-MONTH-FLUX-INJUNCTION (v20) for one bailleur on
    one territory and year, up to `as_of`, from the counts over each rule's dates and the
    territory as known: the objectives in force on the last day counted, `min(as_of,
    31 December)`: those fixed to the bailleur (R-CIA-BAILLEUR-DISTRIBUTION), else the
    territory's rates (R-QUOTA-RATE-ADAPTATION), and the CIA's declared objectives
    (R-ESSENTIAL-WORKERS-OBJECTIVE, R-SAPEUR-POMPIER-OBJECTIVE). `suivi`: the
    injunctions up to the year's end (`injonctions`); the last one started by then is
    shown, `injonction` true while it runs on that day; `baux`: the hors-QPV leases it was
    computed from (the préfet's attributions of the year and the acts flagged)."""
    periodes = periodes_bailleur(territoire, annee, as_of, v20_effective_from)
    six = periode_semestre(annee, as_of)
    jour = periode_annee(annee, as_of).fin
    soumis = _soumis(territoire)
    if territoire is not None:
        obj_hors, obj_qpv = objectifs_bailleur(
            territoire.objectifs_au(bailleur_id, jour), periodes.hors_qpv if soumis else None,
            periodes.qpv if soumis else None, territoire.taux_au(HORS_QPV, jour),
            territoire.taux_au(QPV, jour))
    else:
        obj_hors = obj_qpv = None
    cia = territoire.cia_au(jour) if territoire is not None and soumis else None
    semestre = periodes.semestre if soumis else None
    substitution = periodes.substitution if soumis else None
    obj_pool = TAUX_DALO if periodes.non_reserves is not None else None
    flux = comptes.semestre
    derniere = derniere_injonction(suivi, jour)
    logements_prefet = r_prefet_substitution(comptes.substitution, obj_hors, substitution)
    return {
        "bailleur_id": bailleur_id, "territoire_id": territoire_id, "annee": annee,
        "hors_qpv": r_quota_hors_qpv_q1_25(comptes.hors_qpv, obj_hors),
        "qpv": r_quota_qpv_50(comptes.qpv, obj_qpv),
        "non_reserves": r_nonreserve_25_dalo(comptes.non_reserves, obj_pool),
        "semestre": {"debut": six.debut.isoformat(), "fin": six.fin.isoformat(),
                     "hors_qpv_taux_6_mois": taux(flux.eligibles, flux.attributions),
                     "flux_conforme": None if semestre is None else conforme(
                         flux.eligibles, flux.hors_qpv_indetermines, flux.attributions,
                         obj_hors),
                     "injonction": bool(derniere and derniere.en_cours(jour)),
                     "injonction_depuis": derniere.depuis.isoformat() if derniere else None,
                     "injonction_motif": derniere.motif if derniere else None,
                     "injonction_levee_le": derniere.levee_le.isoformat()
                     if derniere and derniere.levee_le else None},
        "substitution_prefet": None if logements_prefet is None else {
            "regle": "R-PREFET-SUBSTITUTION", "logements": logements_prefet},
        "attributions_prefet": r_injunction_attributions(
            baux, suivi, periodes.injonction if soumis else None),
        "travailleurs_essentiels": r_essential_workers_objective(
            cia["objectif_travailleurs_essentiels"] if cia else None, jour if soumis else None,
            v20_effective_from),
        "sapeurs_pompiers": r_sapeur_pompier_objective(
            cia["objectif_sapeurs_pompiers"] if cia else None, jour if soumis else None,
            v20_effective_from),
    }


def figures_reservataire(reservataire: Reservataire | None, reservataire_id: str, annee: int,
                         as_of: date, comptes: Comptes,
                         v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                         ) -> dict[str, Any]:
    """R-COLLECTIVITE-25-DALO: a collectivité's reserved attributions (its own candidates'
    leases, counted over `periode_reservataire`) going to DALO or priority households."""
    periode = periode_reservataire(annee, as_of, v20_effective_from)
    objectif = objectif_collectivite(
        reservataire.type if reservataire is not None else None, periode)
    return {"reservataire_id": reservataire_id, "annee": annee,
            **r_collectivite_25_dalo(comptes, objectif)}


def periode_reservataire(annee: int, as_of: date,
                         v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                         ) -> Periode | None:
    return periode_en_vigueur("R-COLLECTIVITE-25-DALO", periode_annee(annee, as_of),
                              v20_effective_from=v20_effective_from)


# --- reads (SQL counts) -----------------------------------------------------------------

def _counts(cur: Cursor, where: str, params: tuple[Any, ...], periode: Periode | None,
            position: int) -> Comptes:
    if periode is None:
        return AUCUN
    cur.execute(
        "SELECT COUNT(*), "
        "COALESCE(SUM(premier_quartile), 0), "
        "COALESCE(SUM(CASE WHEN reloge = 1 AND premier_quartile = 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN dalo = 1 OR prioritaire = 1 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(quartile_inconnu), 0), "
        "COALESCE(SUM(CASE WHEN quartile_inconnu = 1 AND reloge = 1 THEN 1 ELSE 0 END), 0) "
        f"FROM pv_baux WHERE {where} AND date_signature >= ? AND date_signature <= ? "
        f"AND {BELIEVED}",
        (*params, periode.debut.isoformat(), periode.fin.isoformat(), position, position),
    )
    row = cur.fetchone() or (0, 0, 0, 0, 0, 0)
    return Comptes(*(int(v) for v in row))


def quotas_bailleur(cur: Cursor, territoire: Territoire | None, bailleur: Bailleur | None,
                    bailleur_id: str, territoire_id: str, annee: int, as_of: date,
                    position: int,
                    v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> dict[str, Any]:
    """`figures_bailleur` from the lease facts believed at `position`."""
    comptes = comptes_bailleur(cur, periodes_bailleur(territoire, annee, as_of,
                                                      v20_effective_from),
                               bailleur_id, territoire_id, position)
    baux, suivi = suivi_injonctions(cur, territoire, bailleur, bailleur_id, territoire_id,
                                    periode_annee(annee, as_of).fin, position,
                                    v20_effective_from)
    return figures_bailleur(territoire, bailleur_id, territoire_id, annee, as_of, comptes,
                            v20_effective_from, suivi, baux)


def suivi_injonctions(cur: Cursor, territoire: Territoire | None, bailleur: Bailleur | None,
                      bailleur_id: str, territoire_id: str, fin: date, position: int,
                      v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                      ) -> tuple[list[BailHorsQpv], list[Injonction]]:
    """R-6-MONTH-FLUX-INJUNCTION up to `fin` from the leases believed at `position`: the
    bailleur's hors-QPV leases since the rule can apply, and `injonctions` over them."""
    debut = debut_injonction_sur(territoire, v20_effective_from)
    baux = baux_hors_qpv(cur, bailleur_id, territoire_id, debut, fin, position)
    return baux, injonctions(baux, bailleur, territoire, bailleur_id, territoire_id, fin,
                             v20_effective_from)


def baux_hors_qpv(cur: Cursor, bailleur_id: str, territoire_id: str, debut: date | None,
                  fin: date, position: int) -> list[BailHorsQpv]:
    """The bailleur's hors-QPV leases on the territory dated within [debut, fin], as
    believed at `position` (the injunction's history)."""
    if debut is None or debut > fin:
        return []
    cur.execute("SELECT date_signature, premier_quartile, reloge, quartile_inconnu, "
                "date_designation, prefet, vacance_id FROM pv_baux "
                "WHERE bailleur_id = ? AND territoire_id = ? AND qpv = 0 "
                f"AND date_signature >= ? AND date_signature <= ? AND {BELIEVED} "
                "ORDER BY date_signature",
                (bailleur_id, territoire_id, debut.isoformat(), fin.isoformat(), position,
                 position))
    return [bail_hors_qpv(*row) for row in cur.fetchall()]


def comptes_bailleur(cur: Cursor, periodes: PeriodesBailleur, bailleur_id: str,
                     territoire_id: str, position: int) -> ComptesBailleur:
    """A bailleur's counts on one territory from the lease facts believed at `position`,
    each over its rule's dates."""
    base = "bailleur_id = ? AND territoire_id = ?"
    params = (bailleur_id, territoire_id)
    # The mix blocks read QPV as al. 24-27 do (R-QPV-ASSIMILATION-ZUS); the six-month
    # flux of al. 34 reads the real flag.
    hors = _counts(cur, base + " AND qpv_mixite = 0", params, periodes.hors_qpv, position)
    return ComptesBailleur(
        hors_qpv=hors,
        qpv=_counts(cur, base + " AND qpv_mixite = 1", params, periodes.qpv, position),
        non_reserves=_counts(cur, base + " AND pool_bailleur = 1", params,
                             periodes.non_reserves, position),
        semestre=_counts(cur, base + " AND qpv = 0", params, periodes.semestre, position),
        substitution=hors if periodes.substitution == periodes.hors_qpv else _counts(
            cur, base + " AND qpv_mixite = 0", params, periodes.substitution, position),
    )


def statistiques_territoire(cur: Cursor, territoire: Territoire | None, territoire_id: str,
                            annee: int, as_of: date, position: int,
                            v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                            ) -> dict[str, Any]:
    """R-GOV-STATISTICS for one territory: every bailleur's leases on it, over the dates each
    rule counts; the territory's rates (statutory, or the CIL's on the year's last day
    counted) apply only where the territory is subject."""
    periodes = periodes_bailleur(territoire, annee, as_of, v20_effective_from)
    soumis = _soumis(territoire)
    base = "territoire_id = ?"
    hors = _counts(cur, base + " AND qpv_mixite = 0", (territoire_id,), periodes.hors_qpv,
                   position)
    dans = _counts(cur, base + " AND qpv_mixite = 1", (territoire_id,), periodes.qpv,
                   position)
    jour = periode_annee(annee, as_of).fin
    taux_locaux = ({} if territoire is None else
                   {"taux_hors": territoire.taux_au(HORS_QPV, jour),
                    "taux_qpv": territoire.taux_au(QPV, jour)})
    return {"territoire_id": territoire_id, "annee": annee,
            **r_gov_statistics(hors, dans, periodes.hors_qpv if soumis else None,
                               periodes.qpv if soumis else None, **taux_locaux)}


def comptes_semestre(cur: Cursor, bailleur_id: str, territoire_id: str, fin: date,
                     position: int) -> Comptes:
    """Every hors-QPV lease of the semester ending on `fin` (the semester report's rows,
    whichever rules were in force)."""
    return _counts(cur, "bailleur_id = ? AND territoire_id = ? AND qpv = 0",
                   (bailleur_id, territoire_id), periode_semestre(fin.year, fin), position)


def quotas_reservataire(cur: Cursor, reservataire: Reservataire | None, reservataire_id: str,
                        annee: int, as_of: date, position: int,
                        v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                        ) -> dict[str, Any]:
    """`figures_reservataire` from its own candidates' lease facts believed at `position`."""
    comptes = _counts(cur, "reservataire_id = ? AND pool_bailleur = 0 AND prefet = 0",
                      (reservataire_id,),
                      periode_reservataire(annee, as_of, v20_effective_from), position)
    return figures_reservataire(reservataire, reservataire_id, annee, as_of, comptes,
                                v20_effective_from)
