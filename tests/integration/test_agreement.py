"""Agreement: the bitemporal read models answer what the auditor's replay recomputes from
the log alone, for any (as_of, known_at).

Hypothesis draws histories across 2012-2025 recorded in several steps, with late entries:
leases recorded a step after their cycle, resources and situations corrected back in time,
radiations dated in the past, thresholds (Île-de-France's regional one too) and CIA objectives
published late, CIAs and CIL rates from a date, a réservataire reclassified, a territory
becoming subject to the mix rules or entering Île-de-France, former ZUS logements
(R-QPV-ASSIMILATION-ZUS). The record time between two
steps is noted. Then, for (as_of, known_at) pairs, every figure of the quota read models
(R-QUOTA-HORS-QPV-Q1-25, R-Q1-THRESHOLD, R-QUOTA-QPV-50, R-NONRESERVE-25-DALO,
R-COLLECTIVITE-25-DALO, R-6-MONTH-FLUX-INJUNCTION), the lease facts they count and every
demande's read model (seniority, R-SENIORITY-SEPARATION; the basis of resources,
R-RESOURCES-REQUERANT-ONLY; m) within its limits, R-PRIORITY-CATEGORIES) must equal the
replay's, field by field. Each example gets a fresh store (a schema or a data directory of its own).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from domain.application import HlmApplication
from domain.commandes import (
    ChangementSituation,
    Cia,
    DecisionCommission,
    DepotDemande,
    EtatLogement,
    OrientationsCil,
    Separation,
)
from domain.errors import DomainError
from domain.referentiel import Territoire
from domain.serialisation import jsonable
from domain.vacance import Acteur
from infra.persistence.store import init_store
from infra.settings import Settings
from projections.bitemporal import BELIEVED, position_at
from projections.presentation import vue_demande
from projections.quotas import COLUMNS
from projections.replay import (
    ANCIENNETE,
    demandes_actives,
    faits,
    position_connue,
    rapport_de,
    rejouer_journal,
)
from projections.service import Projections

ADMIN = Acteur("admin")
DEBUT = date(2012, 1, 1)
JOURS = (date(2025, 12, 31) - DEBUT).days
BAILLEURS = ("B1", "B2")
TERRITOIRES = ("T1", "T2", "T3")  # T3 in Île-de-France
RESERVATAIRES = {"R1": "collectivite", "R2": "action_logement"}
# logement: (bailleur, territoire, qpv, réservataire, zone tendue)
LOGEMENTS = {
    "L0": ("B1", "T1", False, None, False),
    "L1": ("B1", "T1", True, "R1", True),
    "L2": ("B1", "T1", False, "R1", True),
    "L3": ("B2", "T1", False, "R2", False),
    "L4": ("B2", "T2", True, None, True),
    "L5": ("B1", "T2", False, "R1", True),
    "L6": ("B2", "T3", False, None, True),
    "L7": ("B1", "T1", False, None, False),
    "L8": ("B2", "T1", False, "R2", True),
}
# R-QPV-ASSIMILATION-ZUS: logement -> (ancienne_zus, sortie_qpv_le)
ZUS = {"L7": (True, None), "L8": (False, date(2019, 3, 1))}
jour_effet = st.builds(date, st.integers(2016, 2025), st.integers(1, 12), st.just(1))
taux_cia = st.sampled_from(("0.2", "0.25", "0.3", "0.35"))
RESSOURCES = ("5000", "7999.99", "8000", "8100", "9000", "16000", "16200", "40000")
CATEGORIES = ("SANS_LOGEMENT", "HANDICAP", "JEUNE_EX_ASE", "VIOLENCES_COUPLE",
              "REPRISE_ACTIVITE")

jour = st.integers(0, JOURS)
index = st.integers(0, 60)
categories = st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)
demandes = st.tuples(st.just("demande"), jour, st.sampled_from(RESSOURCES),
                     st.sampled_from(("1", "2")), st.booleans(), categories, st.booleans(),
                     st.booleans())
cycles = st.one_of(
    st.tuples(st.just("cycle"), st.sampled_from(sorted(LOGEMENTS)), jour,
              st.lists(index, min_size=1, max_size=3), st.lists(st.booleans(), min_size=3,
                                                                max_size=3),
              st.booleans(), st.integers(0, 45),
              st.sampled_from(("maintenant", "plus_tard", "plus_tard", "jamais"))),
    st.tuples(st.just("cycle"), st.sampled_from(sorted(LOGEMENTS)), jour,
              st.lists(index, min_size=1, max_size=3), st.just([True, True, True]),
              st.just(False), st.integers(0, 20), st.just("maintenant")),
)
# Late entries and changes of reference data, recorded after the step's cycles.
corrections = st.one_of(
    st.tuples(st.just("correction_bail"), index, st.integers(0, 400),
              st.sampled_from(RESSOURCES), st.booleans(), categories, st.booleans()),
    st.tuples(st.just("situation"), index, st.integers(0, 2500), st.sampled_from(RESSOURCES),
              st.booleans(), categories, st.booleans()),
    st.tuples(st.just("radiation"), index, st.integers(0, 2500)),
    st.tuples(st.just("separation"), index, st.booleans(), st.integers(1, 1500),
              st.integers(0, 400)),
    st.tuples(st.just("seuil"), st.sampled_from(TERRITOIRES), st.integers(2016, 2025),
              st.sampled_from(("4000", "8000", "8100", "9500"))),
    st.tuples(st.just("objectifs"), st.sampled_from(TERRITOIRES), st.sampled_from(BAILLEURS),
              st.integers(2017, 2025), st.sampled_from(("0.25", "0.3", "0.4")),
              st.sampled_from(("0.5", "0.6"))),
    st.tuples(st.just("type"), st.sampled_from(sorted(RESERVATAIRES)),
              st.sampled_from(("collectivite", "action_logement", "etat"))),
    st.tuples(st.just("territoire"), st.sampled_from(TERRITOIRES),
              st.sampled_from((None, date(2017, 1, 29), date(2019, 6, 1))), st.booleans()),
    # R-Q1-THRESHOLD: Île-de-France's threshold, for T3 (and T1/T2 once they enter it).
    st.tuples(st.just("seuil_regional"), st.integers(2016, 2025),
              st.sampled_from(("4000", "8000", "8100", "9500"))),
    # R-CIA-BAILLEUR-DISTRIBUTION (refused below the territory's rate) and the CIL's rates.
    st.tuples(st.just("cia"), st.sampled_from(TERRITOIRES), jour_effet, taux_cia, taux_cia,
              st.integers(0, 50), st.integers(1, 50)),
    st.tuples(st.just("orientations"), st.sampled_from(TERRITOIRES), jour_effet,
              st.sampled_from((None, "0.2", "0.3")), st.sampled_from((None, "0.6"))),
    # R-SEMESTER-REPORT: a report transmitted on time or late (R-6-MONTH-FLUX-INJUNCTION).
    st.tuples(st.just("transmission"), st.sampled_from(BAILLEURS),
              st.sampled_from(TERRITOIRES), st.integers(2022, 2025), st.booleans(),
              st.integers(0, 60)),
)
etapes = st.tuples(st.lists(demandes, min_size=1, max_size=6),
                   st.lists(cycles, min_size=1, max_size=5),
                   st.lists(corrections, max_size=5)).map(lambda t: [*t[0], *t[1], *t[2]])
plans = st.lists(etapes, min_size=2, max_size=4)
# Business dates read: any day, year ends and 30 June snapshots included.
as_ofs = st.one_of(st.builds(lambda d: DEBUT + timedelta(days=d), st.integers(0, JOURS + 200)),
                   st.builds(lambda y, m: date(y, *m), st.integers(2012, 2025),
                             st.sampled_from(((6, 30), (12, 31)))))


def _jour(n: int) -> date:
    return DEBUT + timedelta(days=n)


def _faits_m(cats: list[str], jour: date) -> dict[str, Any]:
    """m) (JEUNE_EX_ASE) needs its facts: a 19-year-old whose care ended 300 days before,
    so that its age and three-year limits both end inside the histories drawn."""
    if "JEUNE_EX_ASE" not in cats:
        return {}
    return {"date_naissance": date(jour.year - 19, jour.month, 1),
            "fin_prise_en_charge_ase": jour - timedelta(days=300)}


def _motif(j: int, couple: bool, ressources: str) -> dict[str, Any]:
    """R-RESOURCES-REQUERANT-ONLY for a third of the couples: a divorce attested by an
    ordonnance de non-conciliation of the filing day (accepted v9-v16, not from
    2021-01-01), the requérant's own resources half the household's."""
    if not couple or j % 3:
        return {}
    return {"ressources_requerant": Decimal(ressources) / 2,
            "motif_ressources_propres": "DIVORCE_EN_COURS",
            "justificatif": "ORDONNANCE_NON_CONCILIATION", "date_justificatif": _jour(j)}


@dataclass
class Histoire:
    """The store being written, what the test needs to pick valid acts, and the record
    times noted between steps."""

    app: HlmApplication
    demandes: list[str] = field(default_factory=list)
    depots: dict[str, date] = field(default_factory=dict)
    conjoints: dict[str, str] = field(default_factory=dict)
    en_attente: list[tuple[str, str, date]] = field(default_factory=list)
    baux: list[tuple[str, date]] = field(default_factory=list)
    moments: list[datetime] = field(default_factory=list)
    n: int = 0

    def noter(self) -> None:
        time.sleep(0.002)
        self.moments.append(datetime.now(UTC))
        time.sleep(0.002)

    def essayer(self, commande: Any, *args: Any) -> Any | None:
        """Run a command; one the domain refuses records nothing and is skipped."""
        try:
            return commande(ADMIN, *args)
        except DomainError:
            return None

    def referentiel(self) -> None:
        app = self.app
        for b in BAILLEURS:
            app.definir_bailleur(ADMIN, b, f"Bailleur {b}")
        for r, kind in RESERVATAIRES.items():
            app.definir_reservataire(ADMIN, r, f"Réservataire {r}", kind)
        app.definir_territoire(ADMIN, "T1", "EPCI un", date(2017, 1, 29), False)
        app.definir_territoire(ADMIN, "T2", "EPCI deux", None, False)
        app.definir_territoire(ADMIN, "T3", "EPT trois", date(2017, 1, 29), True)
        app.publier_seuil(ADMIN, "T1", 2016, Decimal("8000"), "arrêté 2016")
        app.publier_seuil_regional(ADMIN, 2016, Decimal("8100"), "arrêté régional 2016")
        for lid, (b, t, qpv, r, tendue) in LOGEMENTS.items():
            zus, sortie = ZUS.get(lid, (False, None))
            app.definir_logement(ADMIN, lid, EtatLogement.depuis({
                "bailleur_id": b, "territoire_id": t, "commune": "C1", "qpv": qpv,
                "zone_tendue": tendue, "reservataire_id": r, "date_effet": date(2010, 1, 1),
                "ancienne_zus": zus, "sortie_qpv_le": sortie}))

    def choisir(self, i: int) -> str | None:
        return self.demandes[i % len(self.demandes)] if self.demandes else None

    def executer(self, action: tuple[Any, ...]) -> None:
        getattr(self, "_" + action[0])(*action[1:])

    def _demande(self, j: int, ressources: str, uc: str, dalo: bool, cats: list[str],
                 reloge: bool, couple: bool) -> None:
        self.n += 1
        numero = f"N{self.n:04d}"
        personnes = [{"personne_id": f"{numero}-B", "lien": "conjoint"}] if couple else []
        r = self.essayer(self.app.deposer_demande, DepotDemande.depuis({
            "numero_unique": numero, "date_depot": _jour(j), "demandeur_id": f"{numero}-A",
            "personnes_a_loger": personnes, "ressources_annuelles": Decimal(ressources),
            "unites_consommation": Decimal(uc), "dalo": dalo, "categories_prioritaires": cats,
            "relogement_renouvellement_urbain": reloge, **_faits_m(cats, _jour(j)),
            **_motif(j, couple, ressources)}))
        if r is not None:
            did = r.id
            self.demandes.append(did)
            self.depots[did] = _jour(j)
            if couple:
                self.conjoints[did] = f"{numero}-B"

    def _situation(self, i: int, decalage: int, ressources: str, dalo: bool,
                   cats: list[str], reloge: bool) -> None:
        did = self.choisir(i)
        if did is not None:
            jour = self.depots[did] + timedelta(days=decalage)
            self.essayer(self.app.modifier_situation, did, jour,
                         ChangementSituation.depuis({
                             "ressources_annuelles": Decimal(ressources), "dalo": dalo,
                             "categories_prioritaires": cats,
                             "relogement_renouvellement_urbain": reloge,
                             **_faits_m(cats, jour)}))

    def _correction_bail(self, i: int, avant: int, ressources: str, dalo: bool,
                         cats: list[str], reloge: bool) -> None:
        """A leased household's situation corrected back to before its lease."""
        if not self.baux:
            return
        did, le = self.baux[i % len(self.baux)]
        jour = max(self.depots[did], le - timedelta(days=avant))
        self.essayer(self.app.modifier_situation, did, jour,
                     ChangementSituation.depuis({
                         "ressources_annuelles": Decimal(ressources), "dalo": dalo,
                         "categories_prioritaires": cats,
                         "relogement_renouvellement_urbain": reloge, **_faits_m(cats, jour)}))

    def signer(self, vid: str, did: str, le: date) -> None:
        if self.essayer(self.app.signer_bail, vid, did, le) is not None:
            self.baux.append((did, le))

    def _radiation(self, i: int, decalage: int) -> None:
        did = self.choisir(i)
        if did is not None:
            self.essayer(self.app.radier, did, self.depots[did] + timedelta(days=decalage),
                         "renonciation")

    def _separation(self, i: int, substitution: bool, apres: int, delai: int) -> None:
        did = self.choisir(i)
        if did is None or did not in self.conjoints:
            return
        separation = self.depots[did] + timedelta(days=apres)
        ensuite = separation + timedelta(days=delai)
        if substitution:
            self.essayer(self.app.separer, did, Separation.depuis({
                "membre_id": self.conjoints[did], "date_separation": separation,
                "mode": "substitution", "date_substitution": ensuite}))
            return
        self.n += 1
        numero = f"N{self.n:04d}"
        r = self.essayer(self.app.separer, did, Separation.depuis({
            "membre_id": self.conjoints[did], "date_separation": separation,
            "mode": "nouvelle_demande", "numero_unique": numero, "date_depot": ensuite,
            "ressources_annuelles": Decimal("9000"), "unites_consommation": Decimal("1")}))
        if r is not None:
            self.demandes.append(r.id)
            self.depots[r.id] = ensuite

    def _cycle(self, lid: str, j: int, choix: list[int], attribuer: list[bool],
               refus: bool, delai: int, signature: str) -> None:
        app = self.app
        debut = _jour(j)
        vacance = self.essayer(app.declarer_vacance, lid, debut)
        if vacance is None:
            return
        vid = vacance.id
        jour_tour = debut
        for tour in range(2):
            jour_tour = debut + timedelta(days=delai + 50 * tour)
            candidats = [d for d in self.demandes if self.depots[d] <= jour_tour]
            if not candidats:
                return
            designes = []
            for i in choix:
                did = candidats[i % len(candidats)]
                if did not in designes and self.essayer(app.designer, vid, did, jour_tour):
                    designes.append(did)
            if not designes:
                continue
            decisions = [
                {"demande_id": did, "decision": "attribution", "rang": k + 1, "motif": None,
                 "votes": None} if attribuer[k] else
                {"demande_id": did, "decision": "non_attribution", "rang": None,
                 "motif": "ressources", "votes": None}
                for k, did in enumerate(designes)]
            self.essayer(app.decider, vid, jour_tour + timedelta(days=5),
                         [DecisionCommission.depuis(d) for d in decisions])
            premier = app.vacance_par_id(vid).candidat_a_signer()
            if premier and refus and tour == 0:
                self.essayer(app.refuser, vid, premier, jour_tour + timedelta(days=8),
                             "trop loin")
            if app.vacance_par_id(vid).candidat_a_signer():
                break
        signataire = app.vacance_par_id(vid).candidat_a_signer()
        if signataire is None or signature == "jamais":
            return
        le = jour_tour + timedelta(days=10 + delai)
        if signature == "maintenant":
            self.signer(vid, signataire, le)
        else:
            self.en_attente.append((vid, signataire, le))

    def baux_tardifs(self) -> None:
        """The leases of earlier steps' cycles, recorded now (late entries)."""
        for vid, did, le in self.en_attente:
            self.signer(vid, did, le)
        self.en_attente.clear()

    def _seuil(self, t: str, annee: int, montant: str) -> None:
        self.essayer(self.app.publier_seuil, t, annee, Decimal(montant), f"arrêté {annee}")

    def _objectifs(self, t: str, b: str, annee: int, hors: str, qpv: str) -> None:
        self.essayer(self.app.fixer_objectifs, t, b, annee, Decimal(hors), Decimal(qpv))

    def _type(self, r: str, kind: str) -> None:
        self.essayer(self.app.definir_reservataire, r, f"Réservataire {r}", kind)

    def _transmission(self, b: str, t: str, annee: int, juin: bool, delai: int) -> None:
        fin = date(annee, 6, 30) if juin else date(annee, 12, 31)
        self.essayer(self.app.transmettre_rapport, b, t, fin, fin + timedelta(days=delai))

    def _territoire(self, t: str, soumis: date | None, idf: bool) -> None:
        self.essayer(self.app.definir_territoire, t, f"EPCI {t}", soumis, idf)

    def _seuil_regional(self, annee: int, montant: str) -> None:
        self.essayer(self.app.publier_seuil_regional, annee, Decimal(montant),
                     f"arrêté régional {annee}")

    def _cia(self, t: str, jour: date, b1: str, b2: str, base1: int, base2: int) -> None:
        self.essayer(self.app.conclure_cia, t, Cia.depuis({
            "date_effet": jour, "acte": "CIA", "objectifs": [
                {"bailleur_id": "B1", "taux_hors_qpv_premier_quartile": Decimal(b1),
                 "base_hors_qpv": base1},
                {"bailleur_id": "B2", "taux_hors_qpv_premier_quartile": Decimal(b2),
                 "base_hors_qpv": base2}]}))

    def _orientations(self, t: str, jour: date, hors: str | None, qpv: str | None) -> None:
        self.essayer(self.app.adopter_orientations, t, OrientationsCil(
            jour, "CIL", None if hors is None else Decimal(hors),
            None if qpv is None else Decimal(qpv)))


def _record_times(vues: Projections, k: int) -> list[datetime]:
    """The record times of a few positions: a known_at right on a record time."""
    with vues.db.transaction() as cur:
        cur.execute("SELECT enregistre_le FROM hlm_enregistrements ORDER BY position")
        times = [r[0] for r in cur.fetchall()]
    picked = times[:: max(1, len(times) // k)][:k]
    return [t if isinstance(t, datetime) else datetime.fromisoformat(t) for t in picked]


def _believed_facts(vues: Projections, known_at: datetime | None) -> tuple[int, list[tuple]]:
    with vues.db.transaction() as cur:
        position = position_at(cur, known_at)
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM pv_baux WHERE {BELIEVED}",
                    (position, position))
        return position, sorted(tuple(r) for r in cur.fetchall())


def _compare(vues: Projections, histoire: Histoire, known_at: datetime | None,
             dates: list[date]) -> int:
    """Every read model answer against the replay for this known_at; the number of
    answers compared."""
    app = histoire.app
    etat = rejouer_journal(app, position_connue(app, known_at))
    position, believed = _believed_facts(vues, known_at)
    assert position == etat.position, (known_at, position, etat.position)
    assert believed == sorted(tuple(f) for f in faits(etat, app.v20_effective_from)), known_at
    compared = 1
    for as_of in dates:
        attendu = rapport_de(etat, as_of, known_at, app.v20_effective_from)
        for body in attendu["bailleurs"]:
            lu = vues.quotas_bailleur(body["bailleur_id"], body["territoire_id"],
                                      as_of.year, as_of, known_at)
            assert lu == body, (as_of, known_at)
            compared += 1
        for body in attendu["reservataires"]:
            lu = vues.quotas_reservataire(body["reservataire_id"], as_of.year, as_of,
                                          known_at)
            assert lu == body, (as_of, known_at)
            compared += 1
        actives = {d["demande_id"]: d for d in attendu["demandes"]}
        for did in histoire.demandes:
            lu = vues.demande(did, as_of, known_at)
            demande = etat.aggregats.get(uuid.UUID(did))
            if demande is None or demande.date_depot > as_of:
                assert lu is None, (did, as_of, known_at)
                continue
            # The whole read model of the demande, not only its seniority.
            assert lu == jsonable(vue_demande(demande, as_of)), (did, as_of, known_at)
            if lu["statut"] == "active":
                assert {k: lu[k] for k in ANCIENNETE} == actives.pop(did)
            compared += 1
        assert actives == {}, "the replay lists active demandes the read model does not"
    return compared


def _describe(vues: Projections) -> None:
    """Hypothesis statistics: how much each history holds (--hypothesis-show-statistics)."""
    with vues.db.transaction() as cur:
        cur.execute("SELECT COUNT(DISTINCT vacance_id), COUNT(*) FROM pv_baux")
        baux, lignes = cur.fetchone() or (0, 0)
        cur.execute("SELECT COUNT(*) FROM pv_baux WHERE prefet = 1")
        prefet = (cur.fetchone() or (0,))[0]
    event(f"leases: {min(int(baux), 10)}{'+' if baux >= 10 else ''}")
    event(f"préfet attributions (R-6-MONTH-FLUX-INJUNCTION): {'yes' if prefet else 'no'}")
    event(f"lease facts superseded: {'yes' if lignes > baux else 'no'}")


def _store_for(base: Settings) -> Settings:
    """A fresh store next to the fixture's: its own schema or data directory."""
    suffix = uuid.uuid4().hex[:8]
    if base.uses_postgres:
        return base.model_copy(update={"database_schema": f"{base.database_schema}_{suffix}"})
    return base.model_copy(update={"data_dir": base.data_dir / suffix})


def _drop(store: Settings) -> None:
    if store.uses_postgres:
        assert store.database_url is not None
        with psycopg.connect(store.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{store.database_schema}" CASCADE')


@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture,
                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans, data=st.data())
def test_read_models_agree_with_the_replay(settings, plan, data):
    store = _store_for(settings)  # a fresh store per example, so examples are independent
    app = init_store(store)
    vues = Projections(app, store)

    def injonction(bailleur: str, territoire: Territoire, jour: date) -> bool:
        vues.runner.catch_up()  # no projector runs here: the port reads what is recorded
        return vues.injonction_en_cours(bailleur, territoire, jour)

    # Designations under injunction become the préfet's (an administrator acting for it):
    # the préfet's attributions and the acts flagged later are compared too.
    app.injonction_en_cours = injonction
    try:
        histoire = Histoire(app)
        histoire.noter()                     # before anything was recorded
        histoire.referentiel()
        histoire.noter()
        for etape in plan:
            histoire.baux_tardifs()
            for action in etape:
                histoire.executer(action)
            histoire.noter()
        histoire.baux_tardifs()
        vues.runner.catch_up()
        _describe(vues)
        candidats = [*histoire.moments, *_record_times(vues, 3)]
        known_ats = [None, histoire.moments[0],
                     *data.draw(st.lists(st.sampled_from(candidats), min_size=2, max_size=4,
                                         unique=True), label="known_at")]
        compared = 0
        for known_at in known_ats:
            dates = data.draw(st.lists(as_ofs, min_size=1, max_size=3), label="as_of")
            compared += _compare(vues, histoire, known_at, dates)
        assert compared > len(known_ats)
    finally:
        vues.stop()
        app.close()
        _drop(store)


def test_nothing_known_before_the_first_record(settings):
    """known_at before any record: position 0, no lease, zero figures, no demande."""
    store = _store_for(settings)
    app = init_store(store)
    try:
        avant = datetime.now(UTC) - timedelta(seconds=1)
        histoire = Histoire(app)
        histoire.referentiel()
        histoire._demande(3000, "5000", "1", True, [], False, False)
        etat = rejouer_journal(app, position_connue(app, avant))
        assert (etat.position, etat.evenements, etat.aggregats) == (0, 0, {})
        assert demandes_actives(etat, date(2025, 1, 1)) == []
        tout = rejouer_journal(app, position_connue(app, None))
        assert tout.evenements == app.compter_evenements()
        assert len(demandes_actives(tout, date(2025, 1, 1))) == 1
    finally:
        app.close()
        _drop(store)
