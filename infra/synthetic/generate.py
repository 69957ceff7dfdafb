"""`hlm generate`: a long, realistic synthetic history written through the domain, fast.

What it writes, deterministic for a seed: 10 territoires (four in Île-de-France, subject to
the mix rules from various dates, one becoming subject later, one never), yearly
first-quartile thresholds 2017-2025 (one regional arrêté for Île-de-France; préfet's arrêtés
until 2018, the minister's from 2019), CIA objectives in three territoires, 50 bailleurs, 20
réservataires of every type, logements (QPV or not, zone tendue or not, réservés or not,
whose attributes change over time: the 2015 and 2024 QPV lists, the 2023 zone-tendue decree,
conventions ending, transfers between bailleurs; some delivered after 2012), demandes filed
from 2012 to 2025 with changes of situation, separations (substitution and new demande,
before and after 2014-03-27), radiations, vacancies with one to three designations per
round, missed one-month deadlines, commissions (majorities, ties settled by the maire,
conditional attributions decided again), about 30 % refusals of attributions, failed
réservataire attributions (the maire designating on QPV logements from 2018-11-25), leases,
and late entries: leases recorded months after their date, after later acts, and
corrections of past resources recorded after later changes.

How: every act goes through the aggregates' own methods, with the checks HlmApplication's
commands add around them (an act the domain refuses is a generator bug: nothing is
swallowed). Aggregates that can still change stay in memory; every few hundred changed
aggregates are saved together with `application.save(*aggregates)`, one transaction, each
aggregate once with all its pending events. The business clock runs from January 2012 to
the end of 2025 in proportion to the events written, so any N crosses every law version;
acts are scheduled with their business dates and run in date order, except the late entries.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import pickle
import queue
import random
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from eventsourcing.domain import Aggregate

from domain import actes
from domain.application import HlmApplication
from domain.commandes import EtatLogement, Situation
from domain.demande import Demande
from domain.referentiel import (
    LOGEMENT_FIELDS,
    REGION_ILE_DE_FRANCE,
    Bailleur,
    Logement,
    Region,
    Reservataire,
    Territoire,
    seuil_premier_quartile,
)
from domain.rules.cycle import ATTRIBUTING, Decision, Designataire
from domain.rules.priorities import CATEGORIES, is_known_code
from domain.rules.quotas import BailHorsQpv, Injonction, injonction_au, r_premier_quartile
from domain.vacance import (
    FAILED,
    LIVE_ATTRIBUTION,
    ROLE_OF,
    Acteur,
    StatutDesignation,
    Vacance,
    injonction_prefet,
)
from projections.quotas import bail_hors_qpv_de, fait_bail, injonctions

DEBUT = date(2012, 1, 2)
FIN = date(2025, 12, 31)
V11 = date(2014, 3, 27)  # R-SENIORITY-SEPARATION enters into force
MIN_EVENEMENTS = 1000
PARALLELE_DES = 20_000
# Events per transaction at most: one save of ~20,000 events hangs on PostgreSQL (the
# library's pipelined insert with psycopg 3.3: the server waits for the rest of the query).
MAX_EVENEMENTS_PAR_LOT = 4000

# id: (nom, Île-de-France, soumis à la mixité depuis, département, communes, poids, part de
# logements en zone tendue, part en QPV)
TERRITOIRES: dict[str, tuple[str, bool, date | None, str, tuple[str, ...], int, float, float]] = {
    "T-PARIS": ("Ville de Paris", True, date(2017, 1, 29), "075",
                ("PARIS",), 16, 1.0, 0.2),
    "T-EPT-PLAINE-COMMUNE": ("EPT Plaine Commune", True, date(2017, 1, 29), "093",
                             ("SAINT-DENIS", "AUBERVILLIERS", "LA COURNEUVE"), 10, 1.0, 0.45),
    "T-EPT-GRAND-ORLY": ("EPT Grand-Orly Seine Bièvre", True, date(2017, 1, 29), "094",
                         ("VITRY-SUR-SEINE", "IVRY-SUR-SEINE", "ORLY"), 8, 1.0, 0.35),
    "T-CA-CERGY": ("CA de Cergy-Pontoise", True, date(2018, 1, 1), "095",
                   ("CERGY", "PONTOISE", "SAINT-OUEN-L'AUMONE"), 6, 1.0, 0.3),
    "T-MEL": ("Métropole européenne de Lille", False, date(2017, 1, 29), "059",
              ("LILLE", "ROUBAIX", "TOURCOING"), 14, 1.0, 0.35),
    "T-LYON": ("Métropole de Lyon", False, date(2017, 1, 29), "069",
               ("LYON", "VILLEURBANNE", "VAULX-EN-VELIN", "VENISSIEUX"), 15, 1.0, 0.3),
    "T-AMP": ("Métropole d'Aix-Marseille-Provence", False, date(2017, 1, 29), "013",
              ("MARSEILLE", "AIX-EN-PROVENCE", "MARTIGUES"), 12, 0.9, 0.35),
    "T-NANTES": ("Nantes Métropole", False, date(2018, 7, 1), "044",
                 ("NANTES", "SAINT-HERBLAIN", "REZE"), 9, 0.8, 0.25),
    # Not subject at first; subject from 2019-07-01 (Modifie); no zone tendue before the
    # 2023 decree.
    "T-VALENCE": ("Valence Romans Agglo", False, None, "026",
                  ("VALENCE", "ROMANS-SUR-ISERE"), 6, 0.0, 0.3),
    # A rural community of communes: never subject, no QPV, no threshold.
    "T-ROYANS": ("CC Royans-Vercors", False, None, "026",
                 ("SAINT-JEAN-EN-ROYANS", "LA CHAPELLE-EN-VERCORS"), 2, 0.0, 0.0),
}
VALENCE_SOUMIS = date(2019, 7, 1)
ZONE_TENDUE_2023 = date(2023, 8, 26)  # décret n° 2023-822 du 25 août 2023
SEUILS_BASE = {"IDF": 9720, "T-MEL": 7380, "T-LYON": 8150, "T-AMP": 6940, "T-NANTES": 8460,
               "T-VALENCE": 7600}
CIA = {"T-PARIS": (date(2019, 3, 14), Decimal("0.30")),
       "T-MEL": (date(2018, 6, 28), Decimal("0.25")),
       "T-LYON": (date(2019, 11, 4), Decimal("0.25"))}

BAILLEUR_FORMES = ("Office public de l'habitat {}", "ESH {} Habitat", "SEM {} Logement",
                   "Coopérative HLM {}", "ESH Solidarité {}")
BAILLEUR_RENOMMES = {1: (date(2019, 1, 1), "ESH {} Habitat (groupe ELAN)"),
                     22: (date(2020, 7, 1), "Office métropolitain de l'habitat {}")}

# id: (nom, type, territoires où il réserve)
RESERVATAIRES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "R-ETAT-IDF": ("Préfecture de la région Île-de-France (DRIHL)", "etat",
                   ("T-PARIS", "T-EPT-PLAINE-COMMUNE", "T-EPT-GRAND-ORLY", "T-CA-CERGY")),
    "R-ETAT-59": ("Préfecture du Nord", "etat", ("T-MEL",)),
    "R-ETAT-69": ("Préfecture du Rhône", "etat", ("T-LYON",)),
    "R-ETAT-13": ("Préfecture des Bouches-du-Rhône", "etat", ("T-AMP",)),
    "R-ETAT-44": ("Préfecture de la Loire-Atlantique", "etat", ("T-NANTES",)),
    "R-ETAT-26": ("Préfecture de la Drôme", "etat", ("T-VALENCE", "T-ROYANS")),
    "R-VILLE-PARIS": ("Ville de Paris", "collectivite", ("T-PARIS",)),
    "R-PLAINE-COMMUNE": ("EPT Plaine Commune", "collectivite", ("T-EPT-PLAINE-COMMUNE",)),
    "R-MEL": ("Métropole européenne de Lille", "collectivite", ("T-MEL",)),
    "R-METRO-LYON": ("Métropole de Lyon", "collectivite", ("T-LYON",)),
    "R-VILLE-MARSEILLE": ("Ville de Marseille", "collectivite", ("T-AMP",)),
    "R-DEP-DROME": ("Département de la Drôme", "collectivite", ("T-VALENCE", "T-ROYANS")),
    "R-AL-IDF": ("CIL Île-de-France", "action_logement",
                 ("T-PARIS", "T-EPT-PLAINE-COMMUNE", "T-EPT-GRAND-ORLY", "T-CA-CERGY")),
    "R-AL-NORD": ("CIL Vilogia Entreprises", "action_logement", ("T-MEL",)),
    "R-AL-SUD": ("Astria CIL Sud", "action_logement",
                 ("T-LYON", "T-AMP", "T-NANTES", "T-VALENCE")),
    "R-DEFENSE": ("Ministère des Armées (logement des militaires)", "autre",
                  ("T-PARIS", "T-EPT-GRAND-ORLY", "T-AMP", "T-NANTES")),
    "R-INTERIEUR": ("Ministère de l'Intérieur (police nationale)", "autre",
                    ("T-PARIS", "T-EPT-PLAINE-COMMUNE", "T-MEL", "T-LYON")),
    "R-APHP": ("Assistance publique - Hôpitaux de Paris", "autre",
               ("T-PARIS", "T-EPT-GRAND-ORLY")),
    "R-HCL": ("Hospices civils de Lyon", "autre", ("T-LYON",)),
    "R-LA-POSTE": ("La Poste (logement des agents)", "autre",
                   ("T-MEL", "T-AMP", "T-VALENCE", "T-CA-CERGY")),
}
# 2017-01-01: the CIL merge into Action Logement Services (ordonnance n° 2016-1408).
AL_2017 = date(2017, 1, 1)
TYPE_POIDS = {"etat": 3, "collectivite": 3, "action_logement": 3, "autre": 1}

MOTIFS_NON_ATTRIBUTION = ("ressources insuffisantes au regard du loyer",
                          "typologie inadaptée à la composition familiale",
                          "taux d'effort trop élevé", "logement inadapté à la mobilité réduite")
MOTIFS_IRRECEVABILITE = ("dossier incomplet", "ressources supérieures aux plafonds",
                         "titre de séjour non valide")
MOTIFS_CONDITION = ("sous réserve de l'avis d'imposition", "sous réserve de la résiliation "
                    "du bail en cours")
MOTIFS_REFUS = ("logement trop éloigné du travail", "étage élevé sans ascenseur",
                "quartier non souhaité", "loyer trop élevé", None)
MOTIFS_RADIATION = (("non_renouvellement", 60), ("renonciation", 22), ("irrecevabilite", 6),
                    ("attribution", 6), ("autre", 6))
PARTENAIRES = ("conjoint", "partenaire", "concubin")
SEPARATIONS = ("substitution/avant", "nouvelle_demande/avant", "substitution/apres",
               "nouvelle_demande/apres")

PART_REFUS = 0.30  # refusals per attribution decided by a commission


class GenerationIncoherente(RuntimeError):
    """The generator asked for an act the state does not allow: a bug of the generator."""


@dataclass
class Bilan:
    evenements: int
    secondes: float
    par_type: dict[str, int] = field(default_factory=dict)
    indicateurs: dict[str, int] = field(default_factory=dict)

    @property
    def par_seconde(self) -> float:
        return self.evenements / self.secondes if self.secondes else 0.0


def generate(app: HlmApplication, evenements: int, seed: int, *, taille_lot: int = 400,
             ecrivain: Literal["auto", "direct", "processus"] = "auto",
             progression: Callable[[int, date], None] | None = None) -> Bilan:
    """Write about `evenements` events into the application's store (see module doc).

    `ecrivain`: "direct" saves each batch in this process (`app.save(*aggregates)`);
    "processus" hands each batch's events to a writer process with its own application on
    the same store (`app.save(*events)`, batches in order), so that saving runs on another
    core while the next batch is generated; "auto" takes the writer process from
    PARALLELE_DES events on.
    """
    if evenements < MIN_EVENEMENTS:
        raise ValueError(f"at least {MIN_EVENEMENTS} events (the reference data alone "
                         "takes a few hundred)")
    if ecrivain == "auto":
        ecrivain = "processus" if evenements >= PARALLELE_DES else "direct"
    ecr: _Ecrivain = _EcrivainProcessus(app) if ecrivain == "processus" \
        else _EcrivainDirect(app)
    gen = _Generateur(app, evenements, seed, taille_lot, ecr, progression)
    return gen.executer()


class _Ecrivain:
    """Saves the batches, in order; `enregistres` counts the events saved so far."""

    enregistres = 0

    def envoyer(self, aggregats: list[Aggregate], nombre: int) -> None:
        raise NotImplementedError

    def terminer(self) -> None:
        """Wait until every batch sent is saved; raise if one failed."""

    def abandonner(self) -> None:
        """After a failure of the generator: stop, keeping the batches already saved."""


# Who a synthetic act is recorded as (sub, role, organisation, its type, request id):
# the generator itself, never a person.
ACTEUR_SYNTHETIQUE = ("hlm-generate", "admin", None, None, None)


def en_ordre(aggregats: list[Aggregate]) -> list[Any]:
    """The pending events of a batch in the order the acts happened (creation time; stable,
    so each aggregate keeps its version order): a lease is never recorded before the demande
    it concerns, even when both are saved in the same transaction."""
    evenements = [e for agg in aggregats for e in agg.collect_events()]
    return sorted(evenements, key=lambda e: e.timestamp)


class _EcrivainDirect(_Ecrivain):
    def __init__(self, app: HlmApplication) -> None:
        self.app = app

    def envoyer(self, aggregats: list[Aggregate], nombre: int) -> None:
        recordings = self.app.save(*en_ordre(aggregats), acteur=ACTEUR_SYNTHETIQUE)
        if len(recordings) != nombre:
            raise GenerationIncoherente(f"saved {len(recordings)} events, {nombre} counted")
        self.enregistres += nombre


def _ecrivain_main() -> None:
    """The writer process (`python -c`, argv: the fds of its two pipes): its own
    application on the caller's store; one transaction per batch of events, in the order
    received; answers the number saved, or the error, and stops at the end mark."""
    lots = Connection(int(sys.argv[1]), writable=False)
    retours = Connection(int(sys.argv[2]), readable=False)
    cls, env, v20 = lots.recv()
    app = cls(env=env, v20_effective_from=v20)
    try:
        while True:
            data = lots.recv_bytes()
            if data == FIN_DES_LOTS:
                retours.send(("fin", 0))
                return
            try:
                recordings = app.save(*pickle.loads(data), acteur=ACTEUR_SYNTHETIQUE)
            except BaseException:
                retours.send(("erreur", traceback.format_exc()))
                return
            retours.send(("ok", len(recordings)))
    finally:
        app.close()


FIN_DES_LOTS = b"FIN"


class _EcrivainProcessus(_Ecrivain):
    """Batches go, pickled, through a local queue to a sending thread (so that generating
    never waits on the pipe), then to the writer process, which answers for each."""

    EN_VOL = 3  # batches queued for the writer at most

    def __init__(self, app: HlmApplication) -> None:
        lots_r, lots_w = os.pipe()
        retours_r, retours_w = os.pipe()
        racine = str(Path(__file__).resolve().parents[2])  # the project root
        env_os = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [racine, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.processus = subprocess.Popen(
            [sys.executable, "-c", "from infra.synthetic.generate import _ecrivain_main; "
             "_ecrivain_main()", str(lots_r), str(retours_w)],
            pass_fds=(lots_r, retours_w), env=env_os, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL)
        os.close(lots_r)
        os.close(retours_w)
        self.lots = Connection(lots_w, readable=False)
        self.retours = Connection(retours_r, writable=False)
        env = {k: str(v) for k, v in app.env.items()}
        env["CREATE_TABLE"] = "n"  # the caller's application made them
        self.lots.send((type(app), env, app.v20_effective_from))
        self.attendus: list[int] = []
        self.file: queue.Queue[bytes] = queue.Queue(maxsize=self.EN_VOL)
        self.erreur_envoi: BaseException | None = None
        self.envoyeur = threading.Thread(target=self._envoyer_en_fond,
                                         name="hlm-generate-sender", daemon=True)
        self.envoyeur.start()

    def _envoyer_en_fond(self) -> None:
        try:
            while True:
                data = self.file.get()
                self.lots.send_bytes(data)
                if data == FIN_DES_LOTS:
                    return
        except BaseException as exc:  # the writer is gone: _recevoir reports why
            self.erreur_envoi = exc

    def _recevoir(self, attente: float) -> bool:
        """One answer of the writer within `attente` seconds; False when none came."""
        try:
            if not self.retours.poll(attente):
                if self.processus.poll() is not None or self.erreur_envoi is not None:
                    raise GenerationIncoherente(
                        f"the writer process stopped (exit code {self.processus.poll()})")
                return False
            genre, valeur = self.retours.recv()
        except (EOFError, OSError):
            raise GenerationIncoherente(
                f"the writer process died (exit code {self.processus.wait()})") from None
        if genre == "erreur":
            raise GenerationIncoherente(f"the writer process failed:\n{valeur}")
        if genre == "ok":
            attendu = self.attendus.pop(0)
            if valeur != attendu:
                raise GenerationIncoherente(f"saved {valeur} events, {attendu} counted")
            self.enregistres += valeur
        return True

    def _deposer(self, data: bytes) -> None:
        while True:
            try:
                self.file.put(data, timeout=0.5)
                return
            except queue.Full:
                self._recevoir(0)

    def envoyer(self, aggregats: list[Aggregate], nombre: int) -> None:
        # All the pending events of each aggregate, taken here: the generator owns the
        # aggregates, the writer receives their events.
        evenements = en_ordre(aggregats)
        if len(evenements) != nombre:
            raise GenerationIncoherente(f"{len(evenements)} events pending, {nombre} counted")
        while self.attendus and self._recevoir(0):
            pass
        self.attendus.append(nombre)
        self._deposer(pickle.dumps(evenements, protocol=pickle.HIGHEST_PROTOCOL))

    def terminer(self) -> None:
        self._deposer(FIN_DES_LOTS)
        while self.attendus:
            self._recevoir(0.5)
        self._fermer(attente=60)

    def abandonner(self) -> None:
        with contextlib.suppress(queue.Full):
            self.file.put(FIN_DES_LOTS, timeout=5)
        self._fermer(attente=60)

    def _fermer(self, attente: float) -> None:
        try:
            self.processus.wait(timeout=attente)
        except subprocess.TimeoutExpired:
            self.processus.kill()
            self.processus.wait()
        self.envoyeur.join(timeout=5)
        self.lots.close()
        self.retours.close()


def _d(ordinal: int) -> date:
    return date.fromordinal(ordinal)


def _uc(personnes: list[dict[str, str]]) -> Decimal:
    """Consumption units, modified OECD scale (DECISIONS: configurable elsewhere): 1 for
    the demandeur, 0.5 for another adult, 0.3 for a child."""
    total = Decimal("1")
    for p in personnes:
        total += Decimal("0.3") if p["lien"] == "enfant" else Decimal("0.5")
    return total


class _Generateur:
    def __init__(self, app: HlmApplication, cible: int, seed: int, taille_lot: int,
                 ecrivain: _Ecrivain, progression: Callable[[int, date], None] | None) -> None:
        self.app = app
        self.cible = cible
        self.rnd = random.Random(seed)
        self.taille_lot = taille_lot
        self.progression = progression
        self.prochaine_progression = cible // 20
        # Unit of work: changed aggregates and how many of their pending events are counted.
        self.sales: dict[Any, Aggregate] = {}
        self.comptes: dict[Any, int] = {}
        self.emis = 0  # events triggered
        self.soumis = 0  # handed to the writer
        self.ecrivain = ecrivain
        self.par_type: Counter[str] = Counter()
        self.ind: Counter[str] = Counter()
        # Scheduled acts: (ordinal of the recording day, sequence, action, arguments).
        self.taches: list[tuple[int, int, str, tuple[Any, ...]]] = []
        self.seq = 0
        self.c0 = 0
        self.jour = DEBUT.toordinal()
        # The world.
        self.territoires: dict[str, Territoire] = {}
        self.region: Region | None = None  # Île-de-France, once it published a threshold
        self.bailleurs: dict[str, Bailleur] = {}
        self.reservataires: dict[str, Reservataire] = {}
        self.bailleurs_de: dict[str, list[str]] = {}
        self.reservataires_de: dict[str, list[tuple[str, int]]] = {}
        self.logements: dict[str, Logement] = {}
        self.territoire_du_logement: dict[str, str] = {}
        self.a_livrer: dict[str, dict[str, Any]] = {}
        self.disponibles: dict[str, list[tuple[int, str]]] = {}  # heap per territoire
        self.libres: dict[str, list[str]] = {}
        self.demandes: dict[str, Demande] = {}  # active (or with a lease to record)
        self.viviers: dict[str, list[str]] = {}  # designable demandes per territoire
        self.place: dict[str, int] = {}
        self.territoire_de: dict[str, str] = {}
        self.bloquees: dict[str, str] = {}  # demande -> vacance of a lease recorded late
        self.vacances: dict[str, Vacance] = {}  # open
        self.a_redecider: dict[str, str] = {}  # vacance -> conditional attribution
        self.numero = 0
        self.personne = 0
        self.acteurs: dict[tuple[str, str | None], Acteur] = {}
        # R-6-MONTH-FLUX-INJUNCTION: each (bailleur, territoire)'s hors-QPV leases, and its
        # injunctions as last computed (on which day), recomputed at most weekly: a
        # designation the state known later forbids is what the read side flags.
        self.baux_hors_qpv: dict[tuple[str, str], list[BailHorsQpv]] = {}
        self.suivi: dict[tuple[str, str], tuple[int, list[Injonction]]] = {}
        self.prevus: Counter[str] = Counter()
        poids = {t: v[5] for t, v in TERRITOIRES.items()}
        total = sum(poids.values())
        self.tirage_territoires = [t for t, p in poids.items() for _ in range(p)]
        vivier_total = max(40, cible // 60)
        self.cible_vivier = {t: max(4, vivier_total * p // total) for t, p in poids.items()}

    # --- unit of work ----------------------------------------------------------------------
    #
    # Changed aggregates wait in `sales` with the number of their pending events counted so
    # far; a flush hands them to the writer, which saves the batch in one transaction, each
    # aggregate once with all its pending events.

    def _touch(self, *aggs: Aggregate) -> None:
        for agg in aggs:
            n = len(agg.pending_events)
            key = agg.id
            avant = self.comptes.get(key, 0)
            if n != avant:
                self.emis += n - avant
                self.comptes[key] = n
                self.sales[key] = agg

    def _flush(self) -> None:
        if not self.sales:
            return
        par_type = self.par_type
        for agg in self.sales.values():
            for e in agg.pending_events:
                par_type[type(e).__qualname__] += 1
        self.ecrivain.envoyer(list(self.sales.values()), self.emis - self.soumis)
        self.soumis = self.emis
        self.sales, self.comptes = {}, {}
        if self.progression and self.soumis >= self.prochaine_progression:
            self.progression(self.soumis, _d(self.jour))
            self.prochaine_progression = self.soumis + max(1, self.cible // 20)

    def _peut_etre_flush(self) -> None:
        if len(self.sales) >= self.taille_lot or self.emis - self.soumis >= \
                MAX_EVENEMENTS_PAR_LOT:
            self._flush()

    # --- helpers -------------------------------------------------------------------------

    def _planifier(self, jour: int, action: str, *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.taches, (jour, self.seq, action, args))

    def _acteur(self, role: str, org: str | None) -> Acteur:
        key = (role, org)
        acteur = self.acteurs.get(key)
        if acteur is None:
            acteur = self.acteurs[key] = Acteur(role, org, sub=f"generate:{role}:{org}")
        return acteur

    def _bailleur(self, vac: Vacance) -> Acteur:
        return self._acteur("bailleur", vac.bailleur_id)

    def _exiger(self, condition: bool, message: str) -> None:
        if not condition:
            raise GenerationIncoherente(message)

    def _pondere(self, choix: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> str:
        total = sum(p for _, p in choix)
        x = self.rnd.randrange(total)
        for valeur, p in choix:
            x -= p
            if x < 0:
                return valeur
        raise AssertionError("unreachable")

    def _entre(self, debut: int, fin: int) -> int:
        return self.rnd.randint(debut, max(debut, fin))

    def _ajouter_vivier(self, did: str, t: str) -> None:
        vivier = self.viviers[t]
        self.place[did] = len(vivier)
        vivier.append(did)

    def _retirer_vivier(self, did: str) -> None:
        i = self.place.pop(did, None)
        if i is None:
            return
        vivier = self.viviers[self.territoire_de[did]]
        dernier = vivier.pop()
        if dernier != did:
            vivier[i] = dernier
            self.place[dernier] = i

    def _fermer_demande(self, did: str) -> None:
        self._retirer_vivier(did)
        del self.demandes[did]
        del self.territoire_de[did]

    # --- main loop -----------------------------------------------------------------------

    def executer(self) -> Bilan:
        debut = time.perf_counter()
        try:
            self._generer()
            self._flush()
            self.ecrivain.terminer()
        except BaseException:
            self.ecrivain.abandonner()
            raise
        self.ind["demandes_actives_en_fin"] = len(self.demandes)
        self.ind["vacances_ouvertes_en_fin"] = len(self.vacances)
        return Bilan(evenements=self.ecrivain.enregistres,
                     secondes=time.perf_counter() - debut,
                     par_type=dict(sorted(self.par_type.items())),
                     indicateurs=dict(sorted(self.ind.items())))

    def _generer(self) -> None:
        self._referentiel()
        self._flush()
        self.c0 = self.emis
        if self.c0 >= self.cible:
            raise ValueError("the reference data alone reach the number of events asked")
        premier, etendue = DEBUT.toordinal(), FIN.toordinal() - DEBUT.toordinal()
        actions: dict[str, Callable[..., None]] = {
            "situation": self._t_situation, "radiation": self._t_radiation,
            "separation": self._t_separation, "designer": self._t_designer,
            "commission": self._t_commission, "reponse": self._t_reponse,
            "bail_tardif": self._t_bail_tardif, "logement": self._t_logement,
            "livraison": self._t_livraison, "seuil": self._t_seuil,
            "seuil_regional": self._t_seuil_regional,
            "objectifs": self._t_objectifs, "referentiel": self._t_referentiel,
            "transmission": self._t_transmission,
        }
        while self.emis < self.cible:
            self.jour = jour = premier + (self.emis - self.c0) * etendue // (self.cible - self.c0)
            taches = self.taches
            while taches and taches[0][0] <= jour and self.emis < self.cible:
                quand, _, action, args = heapq.heappop(taches)
                actions[action](_d(quand), *args)
                self._peut_etre_flush()
            if self.emis >= self.cible:
                break
            self._arrivee(jour)
            self._peut_etre_flush()

    def _arrivee(self, jour: int) -> None:
        """One new thing happens on `jour`: a demande is filed or a vacancy declared; now
        and then a past period's resources are corrected (a late entry)."""
        rnd = self.rnd
        t = self.tirage_territoires[rnd.randrange(len(self.tirage_territoires))]
        disponibles, libres = self.disponibles[t], self.libres[t]
        while disponibles and disponibles[0][0] <= jour:
            libres.append(heapq.heappop(disponibles)[1])
        if libres and len(self.viviers[t]) >= self.cible_vivier[t] and rnd.random() < 0.45:
            self._declarer_vacance(t, jour)
        else:
            self._deposer(t, _d(jour))
        if jour > V11.toordinal() and (rnd.random() < 0.004 or (
                not self.ind["corrections_tardives"] and rnd.random() < 0.05)):
            self._correction_tardive(t, jour)

    # --- reference data ------------------------------------------------------------------

    def _referentiel(self) -> None:
        for tid, (nom, idf, depuis, *_rest) in TERRITOIRES.items():
            self.territoires[tid] = terr = Territoire(
                territoire_id=tid, nom=nom, soumis_mixite_depuis=depuis, ile_de_france=idf,
                prefet_reservataire_id=next(
                    r for r, (_n, type_, ts) in RESERVATAIRES.items()
                    if type_ == "etat" and tid in ts))
            self._touch(terr)
            self.bailleurs_de[tid] = []
            self.disponibles[tid] = []
            self.libres[tid] = []
            self.viviers[tid] = []
        self._planifier(VALENCE_SOUMIS.toordinal(), "referentiel", "territoire", "T-VALENCE")
        n = 0
        for tid in TERRITOIRES:
            ville = TERRITOIRES[tid][4][0].title()
            for forme in BAILLEUR_FORMES:
                n += 1
                bid = f"B-{n:02d}"
                self.bailleurs[bid] = b = Bailleur(bailleur_id=bid, nom=forme.format(ville))
                self.bailleurs_de[tid].append(bid)
                self._touch(b)
                if n in BAILLEUR_RENOMMES:
                    quand, nom = BAILLEUR_RENOMMES[n]
                    self._planifier(quand.toordinal(), "referentiel", "bailleur", bid,
                                    nom.format(ville))
        for rid, (nom, type_, territoires) in RESERVATAIRES.items():
            self.reservataires[rid] = r = Reservataire(reservataire_id=rid, nom=nom, type=type_)
            self._touch(r)
            if type_ == "action_logement":
                self._planifier(AL_2017.toordinal(), "referentiel", "reservataire", rid,
                                f"Action Logement Services ({nom.split(' ', 1)[1]})")
            for tid in territoires:
                self.reservataires_de.setdefault(tid, []).append((rid, TYPE_POIDS[type_]))
        self._seuils()
        self._objectifs()
        self._transmissions()
        self._parc()

    def _seuils(self) -> None:
        """R-Q1-THRESHOLD: one threshold a year per territoire (none for T-ROYANS, which has
        no QPV), and one for every Île-de-France territoire, the region's (al. 25), by the
        préfet's arrêté until 2018, the minister's from 2019 (v16)."""
        rnd = self.rnd
        for annee in range(2017, 2026):
            ministre = date(annee, 1, 1) > date(2018, 11, 25)
            jour_national = date(annee, 2, 1) + timedelta(days=rnd.randrange(75))
            publies: dict[str, tuple[Decimal, date, str]] = {}
            regionaux: set[str] = set()
            for tid, (_n, idf, *_r) in TERRITOIRES.items():
                if tid == "T-ROYANS":
                    continue
                cle = "IDF" if idf else tid
                if cle not in publies:
                    croissance = (1.02 + rnd.uniform(-0.005, 0.01)) ** (annee - 2017)
                    montant = Decimal(round(SEUILS_BASE[cle] * croissance))
                    if ministre:
                        quand = jour_national
                        acte = (f"arrêté du {quand:%d/%m/%Y} du ministre chargé du logement "
                                f"fixant le seuil {annee}")
                    else:
                        quand = date(annee, 3, 1) + timedelta(days=rnd.randrange(110))
                        prefet = "du préfet de la région d'Île-de-France" if idf else \
                            f"préfectoral ({TERRITOIRES[tid][3]})"
                        acte = f"arrêté {prefet} du {quand:%d/%m/%Y}"
                    publies[cle] = (montant, quand, acte)
                montant, quand, acte = publies[cle]
                if not idf:
                    self._planifier(quand.toordinal(), "seuil", tid, annee, montant, acte)
                elif cle not in regionaux:
                    regionaux.add(cle)
                    self._planifier(quand.toordinal(), "seuil_regional", annee, montant, acte)

    def _transmissions(self) -> None:
        """R-SEMESTER-REPORT: each bailleur of a territory subject to the mix rules transmits
        its semester data from v20 on: mostly within the fifteen days, some late, a few
        never (R-6-MONTH-FLUX-INJUNCTION's second ground)."""
        rnd = self.rnd
        fins = [date(annee, mois, jour) for annee in range(2022, 2026)
                for mois, jour in ((6, 30), (12, 31))]
        for tid, (_n, _idf, soumis, *_r) in TERRITOIRES.items():
            if soumis is None:
                continue
            for bid in self.bailleurs_de[tid]:
                for fin in fins:
                    x = rnd.random()
                    if x < 0.03:
                        continue
                    delai = rnd.randint(1, 15) if x < 0.9 else rnd.randint(16, 75)
                    quand = fin + timedelta(days=delai)
                    if quand <= FIN:
                        self._planifier(quand.toordinal(), "transmission", bid, tid, fin)

    def _objectifs(self) -> None:
        """R-CIA-BAILLEUR-DISTRIBUTION: objectives of two bailleurs a year in three CIA."""
        for tid, (signature, taux) in CIA.items():
            for k, bid in enumerate(self.bailleurs_de[tid][:2]):
                taux_b = taux + (Decimal("0.05") if k == 0 else Decimal("-0.05"))
                for annee in range(signature.year, 2026):
                    quand = signature if annee == signature.year else \
                        date(annee, 1, 10) + timedelta(days=self.rnd.randrange(50))
                    self._planifier(quand.toordinal(), "objectifs", tid, bid, annee, taux_b,
                                    Decimal("0.50"))

    def _parc(self) -> None:
        rnd = self.rnd
        nombre = max(60, self.cible // 25)
        total = sum(v[5] for v in TERRITOIRES.values())
        debut, fin = DEBUT.toordinal(), FIN.toordinal()
        i = 0
        for tid, (_n, _idf, _depuis, _dep, communes, poids, tendue, qpv) in \
                TERRITOIRES.items():
            for _ in range(max(4, nombre * poids // total)):
                i += 1
                lid = f"LGT-{i:07d}"
                bailleurs = self.bailleurs_de[tid]
                if rnd.random() < 0.15:  # a bailleur of another territoire owns it
                    autre = rnd.choice(list(TERRITOIRES))
                    bailleurs = self.bailleurs_de[autre]
                reservataire = None
                if rnd.random() < 0.65:
                    reservataire = self._pondere(self.reservataires_de[tid])
                etat = {
                    "bailleur_id": rnd.choice(bailleurs), "territoire_id": tid,
                    "commune": rnd.choice(communes), "qpv": rnd.random() < qpv,
                    "zone_tendue": rnd.random() < tendue, "reservataire_id": reservataire,
                }
                self.territoire_du_logement[lid] = tid
                if rnd.random() < 0.1:  # delivered later: first letting on delivery
                    livraison = self._entre(date(2013, 1, 1).toordinal(),
                                            date(2025, 6, 30).toordinal())
                    self.a_livrer[lid] = {**etat, "date_effet": _d(livraison)}
                    self._planifier(livraison, "livraison", lid)
                    creation = livraison
                else:
                    self._creer_logement(lid, {**etat, "date_effet": date(2012, 1, 1)})
                    self._peut_etre_flush()
                    # The current tenant leaves some day (or after 2025).
                    heapq.heappush(self.disponibles[tid],
                                   (self._entre(debut + 3, debut + 16 * 365), lid))
                    creation = debut
                self._changements_logement(lid, tid, creation, fin)

    def _creer_logement(self, lid: str, etat: dict[str, Any]) -> None:
        clean = EtatLogement.depuis(etat).champs()
        self._exiger(clean["bailleur_id"] in self.bailleurs and clean["territoire_id"] in
                     self.territoires and (clean["reservataire_id"] is None or
                                           clean["reservataire_id"] in self.reservataires),
                     f"logement {lid} refers to unknown reference data")
        self.logements[lid] = lg = Logement(logement_id=lid, etat=clean)
        self._touch(lg)

    def _changements_logement(self, lid: str, tid: str, creation: int, fin: int) -> None:
        rnd = self.rnd
        for reforme, part in ((date(2015, 1, 1), 0.06), (date(2024, 1, 1), 0.03)):
            if reforme.toordinal() > creation and TERRITOIRES[tid][7] and rnd.random() < part:
                self._planifier(reforme.toordinal(), "logement", lid, "qpv")
        if tid == "T-VALENCE" and rnd.random() < 0.5 and ZONE_TENDUE_2023.toordinal() > creation:
            self._planifier(ZONE_TENDUE_2023.toordinal(), "logement", lid, "zone_tendue")
        if rnd.random() < 0.05:
            self._planifier(self._entre(creation + 200, fin), "logement", lid, "reservataire")
        if rnd.random() < 0.02:
            self._planifier(self._entre(creation + 200, fin), "logement", lid, "bailleur")

    def _t_livraison(self, jour: date, lid: str) -> None:
        self._creer_logement(lid, self.a_livrer.pop(lid))
        tid = self.territoire_du_logement[lid]
        heapq.heappush(self.disponibles[tid], (jour.toordinal(), lid))

    def _t_logement(self, jour: date, lid: str, quoi: str) -> None:
        """definir_logement: a new version of the logement's attributes from `jour`."""
        lg = self.logements[lid]
        etat = lg.etat_au(jour)
        self._exiger(etat is not None, f"logement {lid} not described on {jour}")
        assert etat is not None
        tid = etat["territoire_id"]
        nouveau = {k: etat[k] for k in LOGEMENT_FIELDS}
        if quoi == "qpv":
            nouveau["qpv"] = not etat["qpv"]
        elif quoi == "zone_tendue":
            nouveau["zone_tendue"] = True
        elif quoi == "reservataire":
            nouveau["reservataire_id"] = None if etat["reservataire_id"] and \
                self.rnd.random() < 0.6 else self._pondere(self.reservataires_de[tid])
        else:
            nouveau["bailleur_id"] = self.rnd.choice(self.bailleurs_de[tid])
        clean = {"date_effet": jour, **nouveau}
        if lg.version_du(jour) != clean:
            lg.modifier(etat=clean)
            self._touch(lg)

    def _t_seuil(self, jour: date, tid: str, annee: int, montant: Decimal, acte: str) -> None:
        terr = self.territoires[tid]
        terr.publier_seuil(annee=annee, montant_par_uc=montant, acte=acte)
        self._touch(terr)

    def _t_seuil_regional(self, jour: date, annee: int, montant: Decimal, acte: str) -> None:
        if self.region is None:
            self.region = Region(region_id=REGION_ILE_DE_FRANCE)
        self.region.publier_seuil(annee=annee, montant_par_uc=montant, acte=acte)
        self._touch(self.region)

    def _t_transmission(self, jour: date, bid: str, tid: str, fin: date) -> None:
        self._exiger(bid in self.bailleurs, f"unknown bailleur {bid}")
        bailleur = self.bailleurs[bid]
        bailleur.transmettre_rapport(tid, fin, jour)
        self._touch(bailleur)

    def _t_objectifs(self, jour: date, tid: str, bid: str, annee: int, hors_qpv: Decimal,
                     qpv: Decimal) -> None:
        self._exiger(bid in self.bailleurs, f"unknown bailleur {bid}")
        terr = self.territoires[tid]
        terr.fixer_objectifs(bailleur_id=bid, annee=annee,
                             taux_hors_qpv_premier_quartile=hors_qpv,
                             taux_qpv_autres_quartiles=qpv)
        self._touch(terr)

    def _t_referentiel(self, jour: date, quoi: str, ident: str, *args: Any) -> None:
        agg: Aggregate
        if quoi == "territoire":
            agg = terr = self.territoires[ident]
            terr.modifier(nom=terr.nom, soumis_mixite_depuis=jour,
                          ile_de_france=terr.ile_de_france,
                          prefet_reservataire_id=terr.prefet_reservataire_id)
        elif quoi == "bailleur":
            agg = bailleur = self.bailleurs[ident]
            bailleur.renommer(args[0])
        else:
            agg = res = self.reservataires[ident]
            res.modifier(nom=args[0], type=res.type)
        self._touch(agg)

    # --- demandes ------------------------------------------------------------------------

    def _nouvelle_personne(self) -> str:
        self.personne += 1
        return f"P{self.personne:09d}"

    def _numero(self, t: str, jour: date) -> str:
        self.numero += 1
        return f"{TERRITOIRES[t][3]}{jour.year % 100:02d}{jour.month:02d}{self.numero:08d}"

    def _ressources(self, t: str, uc: Decimal) -> Decimal:
        if self.rnd.random() < 0.03:
            return Decimal(0)
        par_uc = math.exp(self.rnd.gauss(math.log(13000), 0.5))
        if TERRITOIRES[t][1]:
            par_uc *= 1.15
        return Decimal(round(par_uc * float(uc)))

    def _categories(self, jour: date, deja: list[str] | tuple[str, ...] = ()) -> list[str]:
        en_vigueur = [c for c, depuis in CATEGORIES.items() if depuis <= jour and c not in deja]
        return self.rnd.sample(en_vigueur, 1) if en_vigueur else []

    def _deposer(self, t: str, jour: date) -> None:
        """deposer_demande, then the demande's future: changes, separation, radiation."""
        rnd = self.rnd
        personnes: list[dict[str, str]] = []
        if rnd.random() < 0.45:
            personnes.append({"personne_id": self._nouvelle_personne(),
                              "lien": rnd.choice(PARTENAIRES)})
        enfants = int(self._pondere((("0", 40), ("1", 25), ("2", 20), ("3", 10), ("4", 5))))
        personnes += [{"personne_id": self._nouvelle_personne(), "lien": "enfant"}
                      for _ in range(enfants)]
        if rnd.random() < 0.05:
            personnes.append({"personne_id": self._nouvelle_personne(), "lien": "autre"})
        uc = _uc(personnes)
        categories: list[str] = []
        x = rnd.random()
        if x < 0.35:
            categories = self._categories(jour)
            if x < 0.08:
                categories += self._categories(jour, categories)
        situation = Situation.depuis({
            "ressources_annuelles": self._ressources(t, uc), "unites_consommation": uc,
            "dalo": rnd.random() < 0.04, "categories_prioritaires": categories,
            "personnes_a_loger": personnes,
            "relogement_renouvellement_urbain": rnd.random() < 0.03,
        }).champs()
        d = self._creer_demande(t, jour, self._nouvelle_personne(), situation, jour, None)
        self._avenir(d, t, jour, separation=True)

    def _creer_demande(self, t: str, jour: date, demandeur: str, situation: dict[str, Any],
                       date_anciennete: date, source: str | None) -> Demande:
        numero = self._numero(t, jour)
        return self._enregistrer_demande(t, Demande(
            numero_unique=numero, date_depot=jour, demandeur_id=demandeur, situation=situation,
            date_anciennete=date_anciennete, anciennete_source=source))

    def _enregistrer_demande(self, t: str, d: Demande) -> Demande:
        """A demande just filed in territory `t`, into the generator's books."""
        self._exiger(all(is_known_code(c) for c in d.situations[0]["categories_prioritaires"]),
                     "unknown priority category")
        did = str(d.id)
        self._exiger(did not in self.demandes, f"numéro unique {d.numero_unique} reused")
        self.demandes[did] = d
        self.territoire_de[did] = t
        self._ajouter_vivier(did, t)
        self._touch(d)
        self.ind["demandes"] += 1
        return d

    def _avenir(self, d: Demande, t: str, jour: date, *, separation: bool) -> None:
        rnd = self.rnd
        did = str(d.id)
        j = jour.toordinal()
        nombre = int(self._pondere((("0", 30), ("1", 35), ("2", 22), ("3", 13))))
        for _ in range(nombre):
            self._planifier(j + rnd.randint(45, 1600), "situation", did)
        if rnd.random() < 0.28:
            self._planifier(j + rnd.randint(300, 2400), "radiation", did,
                            self._pondere(MOTIFS_RADIATION))
        if separation:
            self._planifier_separation(d, j)

    def _planifier_separation(self, d: Demande, j: int) -> None:
        rnd = self.rnd
        partenaires = [p["personne_id"] for p in d.situations[0]["personnes_a_loger"]
                       if p["lien"] in PARTENAIRES]
        if not partenaires:
            return
        v11 = V11.toordinal()
        possibles = [k for k in SEPARATIONS
                     if not self.ind[f"separation/{k}"] and not self.prevus[k]
                     and (k.endswith("apres") or j + 20 < v11 - 1)]
        if possibles:
            genre = possibles[0]
            if genre.endswith("avant"):
                sep = self._entre(j + 20, min(j + 300, v11 - 1))
            else:
                sep = self._entre(max(j + 20, v11), max(j + 20, v11) + 400)
        elif rnd.random() < 0.12:
            sep = j + rnd.randint(60, 1500)
            mode = "nouvelle_demande" if rnd.random() < 0.55 else "substitution"
            genre = f"{mode}/{'avant' if sep < v11 else 'apres'}"
        else:
            return
        self.prevus[genre] += 1
        mode = genre.split("/")[0]
        # Recorded when the substitution is asked or the new demande filed.
        quand = sep if rnd.random() < 0.6 else sep + rnd.randint(5, 90)
        self._planifier(quand, "separation", str(d.id), genre, _d(sep), partenaires[0], mode)

    def _t_situation(self, jour: date, did: str) -> None:
        """modifier_situation: income, a birth, a DALO decision, a priority category, an
        urban-renewal rehousing."""
        d = self.demandes.get(did)
        if d is None:  # attributed or radiated meanwhile
            return
        s = d.situation_au(jour)
        genre = self._pondere((("ressources", 55), ("naissance", 14), ("dalo", 9),
                               ("categorie", 16), ("ru", 6)))
        changements: dict[str, Any]
        if genre == "naissance":
            personnes = [*s["personnes_a_loger"],
                         {"personne_id": self._nouvelle_personne(), "lien": "enfant"}]
            changements = {"personnes_a_loger": personnes, "unites_consommation": _uc(personnes)}
        elif genre == "dalo" and not s["dalo"]:
            changements = {"dalo": True}
        elif genre == "categorie":
            ajout = self._categories(jour, s["categories_prioritaires"])
            changements = {"categories_prioritaires": s["categories_prioritaires"] + ajout}
        elif genre == "ru" and not s["relogement_renouvellement_urbain"]:
            changements = {"relogement_renouvellement_urbain": True}
        else:
            changements = self._nouvelles_ressources(d, s)
        self._exiger(all(is_known_code(c) for c in
                         changements.get("categories_prioritaires", [])),
                     "unknown priority category")
        d.modifier_situation(jour, changements)
        self._touch(d)
        self.ind["changements_situation"] += 1

    def _nouvelles_ressources(self, d: Demande, s: dict[str, Any]) -> dict[str, Any]:
        """New resources; for a demande that had declared none, its consumption units too."""
        if s["ressources_annuelles"] is None or not s["unites_consommation"]:
            uc = _uc(s["personnes_a_loger"])
            return {"ressources_annuelles": self._ressources(self.territoire_de[str(d.id)], uc),
                    "unites_consommation": uc}
        if not s["ressources_annuelles"]:
            return {"ressources_annuelles": self._ressources(self.territoire_de[str(d.id)],
                                                             s["unites_consommation"])}
        return {"ressources_annuelles": Decimal(round(
            float(s["ressources_annuelles"]) * self.rnd.uniform(0.8, 1.25)))}

    def _correction_tardive(self, t: str, jour: int) -> None:
        """A late entry: the resources of a past period corrected (a new situation dated well
        in the past, or the same date as a recorded one), recorded after later changes."""
        vivier = self.viviers[t]
        for _ in range(6):
            if not vivier:
                return
            d = self.demandes[vivier[self.rnd.randrange(len(vivier))]]
            dates = [s["date_effet"] for s in d.situations]
            if len(dates) < 2 or dates[-1].toordinal() > jour - 60 or \
                    dates[-1].toordinal() - dates[0].toordinal() < 3:
                continue
            # Between the filing and the last change: that period is corrected.
            quand = self._entre(dates[0].toordinal() + 1, dates[-1].toordinal() - 1)
            if self.rnd.random() < 0.4:
                quand = dates[-2].toordinal() if len(dates) > 2 else quand
            jour_corrige = _d(quand)
            d.modifier_situation(jour_corrige,
                                 self._nouvelles_ressources(d, d.situation_au(jour_corrige)))
            self._touch(d)
            self.ind["corrections_tardives"] += 1
            return

    def _t_radiation(self, jour: date, did: str, motif: str) -> None:
        d = self.demandes.get(did)
        if d is None or did in self.bloquees:
            return
        self._touch(*actes.radier(d, self.vacances.get, jour, motif))
        self._fermer_demande(did)
        self.ind["radiations"] += 1

    def _t_separation(self, jour: date, did: str, genre: str, sep: date, membre: str,
                      mode: str) -> None:
        """separer: substitution (the partner becomes the demandeur) or a new demande of the
        partner who leaves; then the household's new resources."""
        self.prevus[genre] -= 1
        d = self.demandes.get(did)
        if d is None or did in self.bloquees:
            return
        t = self.territoire_de[did]
        rnd = self.rnd
        if mode == "substitution":
            d.substituer(membre, sep, jour)
        else:
            actes.verifier_depart(d, membre, sep, jour)
            personnes: list[dict[str, str]] = []
            if rnd.random() < 0.25:
                personnes.append({"personne_id": self._nouvelle_personne(), "lien": "enfant"})
            uc = _uc(personnes)
            declare = rnd.random() < 0.7
            situation = Situation.depuis({
                "ressources_annuelles": self._ressources(t, uc) if declare else None,
                "unites_consommation": uc if declare else None,
                "dalo": False, "categories_prioritaires":
                    ["VIOLENCES_COUPLE"] if rnd.random() < 0.15 else [],
                "personnes_a_loger": personnes, "relogement_renouvellement_urbain": False,
            }).champs()
            nouvelle = self._enregistrer_demande(t, actes.separer_vers_nouvelle_demande(
                d, membre, sep, self._numero(t, jour), jour, situation))
            conservee = nouvelle.anciennete_source is not None
            self._avenir(nouvelle, t, jour, separation=False)
            if not declare:  # resources declared later (DECISIONS item 13)
                self._planifier(jour.toordinal() + rnd.randint(10, 120), "situation",
                                str(nouvelle.id))
            self.ind["anciennete_conservee"] += conservee
        self._touch(d)
        restants = d.situation_au(jour)["personnes_a_loger"]
        uc = _uc(restants)
        d.modifier_situation(jour, {"unites_consommation": uc,
                                    "ressources_annuelles": self._ressources(t, uc)})
        self._touch(d)
        self.ind[f"separation/{genre}"] += 1

    # --- the attribution cycle -----------------------------------------------------------

    def _declarer_vacance(self, t: str, jour_o: int) -> None:
        rnd = self.rnd
        libres = self.libres[t]
        i = rnd.randrange(len(libres))
        libres[i], libres[-1] = libres[-1], libres[i]
        lid = libres.pop()
        jour = _d(jour_o)
        etat = self.logements[lid].etat_au(jour)
        self._exiger(etat is not None, f"logement {lid} not described on {jour}")
        assert etat is not None
        vac = Vacance.declarer(lid, jour, etat)
        vid = str(vac.id)
        self._exiger(vid not in self.vacances, f"vacance {vid} already declared")
        self.vacances[vid] = vac
        self._touch(vac)
        self.ind["vacances"] += 1
        limite = vac.date_limite_designation
        if vac.tours[0].designataire == Designataire.RESERVATAIRE:
            if limite is not None:
                if rnd.random() < 0.07 or not self.prevus["delai_manque"]:
                    # The réservataire lets the month pass: the bailleur designates.
                    self.prevus["delai_manque"] += 1
                    quand = limite.toordinal() + rnd.randint(1, 20)
                else:
                    quand = self._entre(jour_o + 1, limite.toordinal())
            else:
                quand = jour_o + rnd.randint(3, 60)
        else:
            quand = jour_o + rnd.randint(1, 30)
        self._planifier(quand, "designer", vid)

    def _engagee(self, d: Demande, sauf: str) -> bool:
        """Designated and still in the running on another open vacancy."""
        did = str(d.id)
        for vid in d.vacances:
            vac = self.vacances.get(vid)
            if vid != sauf and vac is not None and \
                    vac.designations[did]["statut"] not in FAILED:
                return True
        return False

    def _choisir(self, t: str, vac: Vacance, vid: str, jour: date, nombre: int,
                 designataire: Designataire, seuil: Decimal | None) -> list[str]:
        rnd = self.rnd
        vivier = self.viviers[t]
        vus: list[str] = []
        choisis: list[Demande] = []
        essais = 0
        while len(choisis) < 2 * nombre and essais < 10 * nombre and vivier:
            essais += 1
            did = vivier[rnd.randrange(len(vivier))]
            if did in vus:
                continue
            vus.append(did)
            d = self.demandes[did]
            if d.date_depot > jour:
                continue
            entree = vac.designations.get(did)
            if entree is not None and entree["statut"] != StatutDesignation.RETIREE:
                continue
            if designataire == Designataire.MAIRE and r_premier_quartile(
                    d.ressources_par_uc(jour), seuil) is not False:
                continue  # R-FAILED-QPV-TO-MAIRE: households outside the first quartile
            if designataire == Designataire.PREFET and not self._concerne(d, jour, seuil):
                continue
            if d.vacances and self._engagee(d, vid) and rnd.random() < 0.75:
                continue
            choisis.append(d)
        if designataire == Designataire.RESERVATAIRE and \
                self.reservataires[vac.reservataire_id].type == "etat":  # type: ignore
            # The State's contingent: DALO households first, then priority categories.
            def rang(d: Demande) -> tuple[bool, bool, date]:
                s = d.situation_au(jour)
                return (not s["dalo"], not s["categories_prioritaires"], d.date_anciennete)
        else:
            def rang(d: Demande) -> tuple[bool, bool, date]:
                return (False, False, d.date_anciennete)
        choisis.sort(key=rang)
        return [str(d.id) for d in choisis[:nombre]]

    @staticmethod
    def _reloge(d: Demande, jour: date) -> bool:
        return bool(d.situation_au(jour)["relogement_renouvellement_urbain"])

    def _concerne(self, d: Demande, jour: date, seuil: Decimal | None) -> bool:
        """R-6-MONTH-FLUX-INJUNCTION: "aux publics concernés", al. 25 or 26."""
        return self._reloge(d, jour) or bool(r_premier_quartile(d.ressources_par_uc(jour),
                                                                seuil))

    def _en_cours(self, bailleur_id: str, territoire: Territoire, jour: date) -> bool:
        """R-6-MONTH-FLUX-INJUNCTION over the leases generated so far, recomputed at most
        weekly per bailleur and territoire: a designation the state known later forbids is
        what the read side flags."""
        cle = (bailleur_id, territoire.territoire_id)
        calcule, suivi = self.suivi.get(cle, (0, []))
        if not 0 <= jour.toordinal() - calcule < 7:
            suivi = injonctions(self.baux_hors_qpv.get(cle, []), self.bailleurs[bailleur_id],
                                territoire, bailleur_id, territoire.territoire_id, jour,
                                self.app.v20_effective_from)
            self.suivi[cle] = (jour.toordinal(), suivi)
        return injonction_au(suivi, jour) is not None

    def _t_designer(self, jour: date, vid: str) -> None:
        """designer: one to three candidates by whoever designates on that day (the préfet,
        qualifying households, while its injunction runs against the bailleur)."""
        vac = self.vacances[vid]
        injonction = injonction_prefet(vac, self.territoires[vac.logement["territoire_id"]],
                                       jour, self.app.v20_effective_from, self._en_cours)
        if injonction is not None:
            designataire = Designataire.PREFET
            acteur = self._acteur("reservataire", injonction.prefet)
        else:
            designataire = vac.designataire_au(jour)
            acteur = self._acteur(ROLE_OF[designataire], vac.organisation_du(designataire))
        t = vac.logement["territoire_id"]
        seuil = seuil_premier_quartile(self.territoires[t], self.region, jour.year)
        nombre = int(self._pondere((("1", 45), ("2", 30), ("3", 25))))
        choisis = self._choisir(t, vac, vid, jour, nombre, designataire, seuil)
        if not choisis:  # nobody suitable in the territoire now: try again later
            self._planifier(jour.toordinal() + self.rnd.randint(15, 45), "designer", vid)
            return
        for did in choisis:
            d = self.demandes[did]
            d.verifier_active()
            self._exiger(jour >= d.date_depot, "designation before the filing")
            vac.designer(acteur, did, jour, d.ressources_par_uc(jour), seuil,
                         injonction=injonction, reloge=self._reloge(d, jour))
            d.designee_sur(date_effet=jour, vacance_id=vid)
            self._touch(d)
        self._touch(vac)
        self.ind[f"designations/{designataire}"] += len(choisis)
        self._planifier(jour.toordinal() + self.rnd.randint(7, 35), "commission", vid)

    def _votes(self) -> dict[str, Any] | None:
        x = self.rnd.random()
        if x < 0.55:
            return None
        if x < 0.9:
            contre = self.rnd.randint(0, 4)
            return {"pour": contre + self.rnd.randint(1, 4), "contre": contre,
                    "voix_maire": None}
        n = self.rnd.randint(2, 5)
        return {"pour": n, "contre": n, "voix_maire": "pour"}

    def _t_commission(self, jour: date, vid: str) -> None:
        """decider: the CALEOL decides every designated demande awaiting a decision (and a
        conditional attribution whose condition is lifted)."""
        rnd = self.rnd
        vac = self.vacances[vid]
        decisions: list[dict[str, Any]] = []
        redecider = self.a_redecider.pop(vid, None)
        if redecider is not None and \
                vac.designations[redecider]["statut"] == \
                StatutDesignation.ATTRIBUEE_SOUS_CONDITION:
            decisions.append({"demande_id": redecider, "decision": Decision.ATTRIBUTION,
                              "rang": vac.designations[redecider]["rang"],
                              "motif": "condition levée", "votes": self._votes()})
        attente = [e["demande_id"] for e in vac.designations.values()
                   if e["statut"] == StatutDesignation.DESIGNEE]
        rang = max((e["rang"] for e in vac.designations.values()
                    if e["statut"] in LIVE_ATTRIBUTION and e["rang"] is not None), default=0)
        nouvelles = 0
        for did in attente:
            genre = self._pondere(((Decision.ATTRIBUTION, 72),
                                   (Decision.ATTRIBUTION_SOUS_CONDITION, 6),
                                   (Decision.NON_ATTRIBUTION, 14),
                                   (Decision.IRRECEVABILITE, 8)))
            motif = None
            if genre == Decision.NON_ATTRIBUTION:
                motif = rnd.choice(MOTIFS_NON_ATTRIBUTION)
            elif genre == Decision.IRRECEVABILITE:
                motif = rnd.choice(MOTIFS_IRRECEVABILITE)
            elif genre == Decision.ATTRIBUTION_SOUS_CONDITION:
                motif = rnd.choice(MOTIFS_CONDITION)
            r = None
            if genre in ATTRIBUTING:
                rang += 1
                r = rang
                nouvelles += 1
            decisions.append({"demande_id": did, "decision": genre, "rang": r,
                              "motif": motif, "votes": self._votes()})
        if nouvelles == 1 and rang == 1 and rnd.random() < 0.5:
            # A lone attribution without a rank is rank 1 (DECISIONS item 8).
            for dec in decisions:
                if dec["rang"] == 1:
                    dec["rang"] = None
        if decisions:
            vac.decider(jour, decisions)
            self._touch(vac)
            self.ind["attributions"] += nouvelles
            self.ind["commissions"] += 1
        self._suite(vac, vid, jour)

    def _suite(self, vac: Vacance, vid: str, jour: date) -> None:
        """What happens next on an open vacancy, from its state."""
        rnd = self.rnd
        j = jour.toordinal()
        premier = vac.candidat_a_signer()
        if premier is None:
            self._planifier(j + rnd.randint(3, 25), "designer", vid)
        elif (vac.designations[premier]["statut"] == StatutDesignation.ATTRIBUEE_SOUS_CONDITION
              and vid not in self.a_redecider and rnd.random() < 0.5):
            self.a_redecider[vid] = premier
            self._planifier(j + rnd.randint(14, 40), "commission", vid)
        else:
            self._planifier(j + rnd.randint(5, 30), "reponse", vid)

    def _t_reponse(self, jour: date, vid: str) -> None:
        """The household of best rank refuses (refuser) or signs (signer_bail), the lease
        being sometimes recorded months later (a late entry)."""
        rnd = self.rnd
        vac = self.vacances[vid]
        premier = vac.candidat_a_signer()
        if premier is None:
            self._suite(vac, vid, jour)
            return
        d = self.demandes[premier]
        refus = self.ind["refus"] < PART_REFUS * self.ind["attributions"]
        if rnd.random() < (0.6 if refus else 0.08):
            vac.refuser(premier, jour, rnd.choice(MOTIFS_REFUS))
            self._touch(vac)
            self.ind["refus"] += 1
            self._suite(vac, vid, jour)
            return
        if (rnd.random() < 0.04 or not self.prevus["bail_tardif"]) and \
                not self._engagee(d, vid):
            # Signed today, recorded one to six months later, after later acts.
            self.prevus["bail_tardif"] += 1
            self.bloquees[premier] = vid
            self._retirer_vivier(premier)
            self._planifier(jour.toordinal() + rnd.randint(30, 180), "bail_tardif", vid,
                            premier, jour)
            return
        self._signer(vac, vid, d, jour)

    def _t_bail_tardif(self, _enregistrement: date, vid: str, did: str, jour: date) -> None:
        del self.bloquees[did]
        self._signer(self.vacances[vid], vid, self.demandes[did], jour)
        self.ind["baux_tardifs"] += 1

    def _signer(self, vac: Vacance, vid: str, d: Demande, jour: date) -> None:
        """signer_bail: the lease, the demande attributed, withdrawn from other vacancies."""
        did = str(d.id)
        self._touch(*actes.signer_bail(vac, d, self.vacances.get, jour))
        del self.vacances[vid]
        if not vac.logement["qpv"]:
            # The lease as the quotas see it (the same fact the views record).
            fait = fait_bail(vac, d, self.territoires.get(vac.logement["territoire_id"]),
                             self.reservataires.get(vac.reservataire_id or ""), self.region,
                             self.app.v20_effective_from)
            self.baux_hors_qpv.setdefault((fait.bailleur_id, fait.territoire_id), []).append(
                bail_hors_qpv_de(fait))
            self.ind["baux_prefet"] += fait.prefet
        self._fermer_demande(did)
        self.ind["baux"] += 1
        # The household lives there some years; then the logement is vacant again.
        lid = vac.logement_id
        heapq.heappush(self.disponibles[self.territoire_du_logement[lid]],
                       (jour.toordinal() + self.rnd.randint(700, 4000), lid))
