"""The eventsourcing Application: the commands of the lifecycle and their invariants.

Every command checks the actor, loads the aggregates it needs, applies the rules (functions
of domain.rules named for their rule ids), and saves every changed aggregate in one atomic
transaction together with its idempotency record. Version conflicts surface as
EcritureConcurrente (code CONCURRENT_WRITE); a rejected command records nothing. A command
answers with an `Issue` (the aggregate and the date to show it at), never a body or an HTTP
status: the caller presents it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain import actes
from domain.acces import Cible, Garde, libre
from domain.commandes import (
    MOTIF,
    ChangementSituation,
    Cia,
    DecisionCommission,
    DepotDemande,
    EtatLogement,
    ModeSeparation,
    OrientationsCil,
    Separation,
    Situation,
)
from domain.demande import PRIORITIES_RULE, Demande, verifier_situation
from domain.errors import (
    Conflit,
    DomainError,
    EcritureConcurrente,
    Introuvable,
    Invalide,
)
from domain.ids import (
    bailleur_uuid,
    demande_uuid,
    logement_uuid,
    region_uuid,
    reservataire_uuid,
    territoire_uuid,
)
from domain.issue import Issue, Memo, Rejoue
from domain.referentiel import (
    REGION_ILE_DE_FRANCE,
    Bailleur,
    Logement,
    Region,
    Reservataire,
    Territoire,
    seuil_premier_quartile,
)
from domain.rules.cycle import Designataire
from domain.rules.priorities import is_known_code
from domain.rules.ressources import MATRICE, justificatif_possible
from domain.rules.ressources import RULE_ID as RESSOURCES_RULE
from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM
from domain.serialisation import jsonable
from domain.vacance import Acteur, InjonctionPrefet, Vacance, injonction_prefet

Agregat = TypeVar("Agregat", bound=Aggregate)
# What a command gives the application to run once: the aggregates to save, its outcome.
Commande = Callable[[], tuple[list[Aggregate], Issue[Agregat]]]


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class SideStore(Protocol):
    """What the project's recorders add to the library's (infra.persistence.recorders)."""

    idempotence_jours: int  # how long a key is remembered (then it is unknown again)

    def lire_idempotence(self, cle: str) -> tuple[str, int, str] | None: ...

    def purger_idempotence(self, lot: int = 1000) -> int: ...

    def positions(self, originator_id: UUID) -> dict[int, tuple[int, datetime | None]]: ...

    def version_a(self, originator_id: UUID, position: int) -> int | None: ...

    def nombre_evenements(self) -> int: ...

    def enregistrements(self, debut: int, fin: int) -> dict[int, datetime]: ...

    def evenements_de(self, originator_ids: Sequence[UUID], jusqua: int
                      ) -> list[tuple[int, Any]]: ...

    def acteurs_de(self, positions: Sequence[int]) -> dict[int, dict[str, Any]]: ...

    def vacance_ouverte(self, logement_id: str) -> str | None: ...


PARIS = ZoneInfo("Europe/Paris")


def aujourdhui() -> date:
    """The server's date where the acts take effect: France (API.md, Dates)."""
    return datetime.now(PARIS).date()


def vacances_ouvertes_et_fermees(objets: Sequence[Any]
                                 ) -> tuple[list[tuple[str, str]], list[str]]:
    """The vacancies these aggregates' pending events open (logement, vacance) and close (a
    lease): what the store's one-open-vacancy-per-logement index must learn with them."""
    ouvertes: list[tuple[str, str]] = []
    fermees: list[str] = []
    for obj in objets:
        events = obj.pending_events if isinstance(obj, Aggregate) else [obj]
        for ev in events:
            if isinstance(ev, Vacance.Declaree):
                ouvertes.append((ev.logement_id, str(ev.originator_id)))
            elif isinstance(ev, Vacance.BailSigne):
                fermees.append(str(ev.originator_id))
    return ouvertes, fermees


class HlmApplication(Application[UUID]):
    name = "hlm"

    def __init__(self, env: dict[str, str] | None = None,
                 v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM,
                 today: Callable[[], date] = aujourdhui,
                 idempotence_jours: int | None = None) -> None:
        super().__init__(env)
        self.v20_effective_from = v20_effective_from
        self.today = today
        # R-6-MONTH-FLUX-INJUNCTION as the read side knows it: (bailleur, territoire, day)
        # -> whether an injunction runs then. The injunction is a state derived from every
        # lease and transmission, so the composition root attaches the projections' answer;
        # without a read side (`hlm demo`) none is known; the generator brings its own.
        self.injonction_en_cours: Callable[[str, Territoire, date], bool] = \
            lambda _b, _t, _j: False
        if idempotence_jours is not None:
            self.side.idempotence_jours = idempotence_jours

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @property
    def side(self) -> SideStore:
        return self.recorder  # type: ignore[return-value]

    # --- plumbing ------------------------------------------------------------------------

    def _charger(self, cls: type[Agregat], aggregate_id: UUID, what: str, key: str
                 ) -> Agregat:
        try:
            agg: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise Introuvable(f"Unknown {what} {key}.", details={what: key}) from None
        if not isinstance(agg, cls):
            raise Introuvable(f"Unknown {what} {key}.", details={what: key})
        return agg

    def _existe(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _par_uuid(self, cls: type[Agregat], what: str, key: str) -> Agregat:
        try:
            uid = UUID(key)
        except ValueError:
            raise Introuvable(f"Unknown {what} {key}.", details={what: key}) from None
        return self._charger(cls, uid, what, key)

    def demande_par_id(self, demande_id: str) -> Demande:
        return self._par_uuid(Demande, "demande_id", demande_id)

    def demande_par_numero(self, numero_unique: str) -> str:
        return str(self._charger(Demande, demande_uuid(numero_unique), "numero_unique",
                                 numero_unique).id)

    def vacance_par_id(self, vacance_id: str) -> Vacance:
        return self._par_uuid(Vacance, "vacance_id", vacance_id)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Every save, the commands' and the synthetic history's, tells the store which
        vacancies open and close, so that one logement never has two open at once."""
        ouvertes, fermees = vacances_ouvertes_et_fermees(objs)
        if ouvertes or fermees:
            kwargs["vacances"] = (ouvertes, fermees)
        return super().save(*objs, **kwargs)

    def verifier_passe(self, *, regle: str | None = None, **dates: date | None) -> None:
        """A business date may be in the past (a late entry), never after today, server
        date in Europe/Paris (API.md, Dates): Invalide DATE_FUTURE naming the field (and
        `regle`, the rule the date is a fact of, where there is one)."""
        today = self.today()
        for champ, jour in dates.items():
            if jour is not None and jour > today:
                raise Invalide(f"{champ} is after today: an act cannot take effect in the "
                               "future.", code="DATE_FUTURE", rule=regle,
                               details={"champ": champ, "date": jour.isoformat(),
                                        "aujourdhui": today.isoformat()})

    def metadonnees(self, acteur: Acteur) -> tuple[str, str, str | None, str | None,
                                                    str | None]:
        """Who acts, recorded with every event of the act: sub, role, organisation, type of
        organisation (a réservataire's legal type; else the role), request id."""
        type_org: str | None = acteur.role if acteur.org else None
        if acteur.role == "reservataire" and acteur.org:
            agg = self._existe(reservataire_uuid(acteur.org))
            type_org = agg.type if isinstance(agg, Reservataire) else None
        return acteur.sub, acteur.role, acteur.org, type_org, acteur.request_id

    def executer(
        self,
        acteur: Acteur,
        memo: Memo | None,
        commande: Commande[Agregat],
    ) -> Issue[Agregat] | Rejoue:
        """Run a command once per idempotency key, saving its aggregates atomically with
        its actor and what the memo remembers of its issue; under a key already used, the
        answer remembered (Rejoue)."""
        if memo is not None:
            previous = self._rejouer(memo)
            if previous is not None:
                return previous
        try:
            aggregates, issue = commande()
        except DomainError:
            # A twin request with the same key may have committed since the check above
            # (the state then refuses the command, e.g. DEJA_DESIGNEE): answer as it did.
            if memo is not None:
                previous = self._rejouer(memo)
                if previous is not None:
                    return previous
            raise
        record = None
        if memo is not None:
            record = (memo.cle, memo.empreinte, *memo.memoriser(issue))
        try:
            self.save(*aggregates, idempotence=record, acteur=self.metadonnees(acteur))
        except IntegrityError:
            if memo is not None:
                previous = self._rejouer(memo)
                if previous is not None:
                    return previous
            # The state the command lost to explains the conflict best (e.g. the other
            # vacancy opened first on the logement: VACANCE_OUVERTE); nothing is saved.
            commande()
            raise EcritureConcurrente(
                "Another command changed the same records first; read again and retry."
            ) from None
        return issue

    def _rejouer(self, memo: Memo) -> Rejoue | None:
        found = self.side.lire_idempotence(memo.cle)
        if found is None:
            return None
        empreinte, statut, reponse = found
        if empreinte != memo.empreinte:
            raise Conflit("This Idempotency-Key was used with another request.",
                          code="IDEMPOTENCY_KEY_REUSED")
        return Rejoue(statut, json.loads(reponse))

    # --- reference data ------------------------------------------------------------------

    def definir_bailleur(self, acteur: Acteur, bailleur_id: str, nom: str,
                         memo: Memo | None = None) -> Issue[Bailleur] | Rejoue:

        def run() -> tuple[list[Aggregate], Issue[Bailleur]]:
            agg = self._existe(bailleur_uuid(bailleur_id))
            if agg is None:
                agg = Bailleur(bailleur_id=bailleur_id, nom=nom)
            elif agg.nom != nom:
                agg.renommer(nom)
            return [agg], Issue(agg, nouveau=bool(agg.pending_events))

        return self.executer(acteur, memo, run)

    def definir_reservataire(self, acteur: Acteur, reservataire_id: str, nom: str, type_: str,
                             memo: Memo | None = None) -> Issue[Reservataire] | Rejoue:

        def run() -> tuple[list[Aggregate], Issue[Reservataire]]:
            agg = self._existe(reservataire_uuid(reservataire_id))
            if agg is None:
                agg = Reservataire(reservataire_id=reservataire_id, nom=nom, type=type_)
            elif (agg.nom, agg.type) != (nom, type_):
                agg.modifier(nom=nom, type=type_)
            return [agg], Issue(agg, nouveau=bool(agg.pending_events))

        return self.executer(acteur, memo, run)

    def definir_territoire(self, acteur: Acteur, territoire_id: str, nom: str,
                           soumis_mixite_depuis: date | None, ile_de_france: bool,
                           memo: Memo | None = None, prefet_reservataire_id: str | None = None
                           ) -> Issue[Territoire] | Rejoue:

        def run() -> tuple[list[Aggregate], Issue[Territoire]]:
            if prefet_reservataire_id is not None:
                prefet = self._charger(Reservataire, reservataire_uuid(prefet_reservataire_id),
                                       "reservataire_id", prefet_reservataire_id)
                if prefet.type != "etat":
                    raise Invalide("The préfet acts through a réservataire of type etat.",
                                   code="RESERVATAIRE_NON_ETAT",
                                   rule="R-6-MONTH-FLUX-INJUNCTION",
                                   details={"reservataire_id": prefet_reservataire_id,
                                            "type": prefet.type})
            agg = self._existe(territoire_uuid(territoire_id))
            if agg is None:
                agg = Territoire(territoire_id=territoire_id, nom=nom,
                                 soumis_mixite_depuis=soumis_mixite_depuis,
                                 ile_de_france=ile_de_france,
                                 prefet_reservataire_id=prefet_reservataire_id)
            elif (agg.nom, agg.soumis_mixite_depuis, agg.ile_de_france,
                  agg.prefet_reservataire_id) != (nom, soumis_mixite_depuis, ile_de_france,
                                                  prefet_reservataire_id):
                agg.modifier(nom=nom, soumis_mixite_depuis=soumis_mixite_depuis,
                             ile_de_france=ile_de_france,
                             prefet_reservataire_id=prefet_reservataire_id)
            return [agg], Issue(agg, nouveau=bool(agg.pending_events))

        return self.executer(acteur, memo, run)

    def territoire(self, territoire_id: str) -> Territoire:
        return self._charger(Territoire, territoire_uuid(territoire_id), "territoire_id",
                             territoire_id)

    def publier_seuil(self, acteur: Acteur, territoire_id: str, annee: int,
                      montant_par_uc: Decimal, acte: str,
                      memo: Memo | None = None) -> Issue[Territoire] | Rejoue:

        def run() -> tuple[list[Aggregate], Issue[Territoire]]:
            agg = self.territoire(territoire_id)
            agg.publier_seuil(annee=annee, montant_par_uc=montant_par_uc, acte=acte)
            return [agg], Issue(agg)

        return self.executer(acteur, memo, run)

    def ile_de_france(self) -> Region | None:
        """The region whose threshold every Île-de-France territoire takes (R-Q1-THRESHOLD),
        None before it published one."""
        found = self._existe(region_uuid(REGION_ILE_DE_FRANCE))
        return found if isinstance(found, Region) else None

    def publier_seuil_regional(self, acteur: Acteur, annee: int, montant_par_uc: Decimal,
                               acte: str, memo: Memo | None = None
                               ) -> Issue[Region] | Rejoue:
        """R-Q1-THRESHOLD (L441-1 al. 25): Île-de-France's yearly threshold, for every
        territoire `ile_de_france`."""

        def run() -> tuple[list[Aggregate], Issue[Region]]:
            region = self.ile_de_france() or Region(region_id=REGION_ILE_DE_FRANCE)
            region.publier_seuil(annee=annee, montant_par_uc=montant_par_uc, acte=acte)
            return [region], Issue(region)

        return self.executer(acteur, memo, run)

    def conclure_cia(self, acteur: Acteur, territoire_id: str, cia: Cia,
                     memo: Memo | None = None) -> Issue[Territoire] | Rejoue:
        """R-CIA-BAILLEUR-DISTRIBUTION: a CIA from its date, checked against the territory's
        rate then (the answer shows it at `date_effet`)."""
        self.verifier_passe(date_effet=cia.date_effet)

        def run() -> tuple[list[Aggregate], Issue[Territoire]]:
            agg = self.territoire(territoire_id)
            for objectif in cia.objectifs:
                self._charger(Bailleur, bailleur_uuid(objectif.bailleur_id), "bailleur_id",
                              objectif.bailleur_id)
            agg.conclure_cia(cia, self.v20_effective_from)
            return [agg], Issue(agg, cia.date_effet)

        return self.executer(acteur, memo, run)

    def adopter_orientations(self, acteur: Acteur, territoire_id: str,
                             orientations: OrientationsCil, memo: Memo | None = None
                             ) -> Issue[Territoire] | Rejoue:
        """R-QUOTA-RATE-ADAPTATION: the CIL's rates from their date (the answer shows them
        at `date_effet`)."""
        self.verifier_passe(date_effet=orientations.date_effet)

        def run() -> tuple[list[Aggregate], Issue[Territoire]]:
            agg = self.territoire(territoire_id)
            agg.adopter_orientations(orientations)
            return [agg], Issue(agg, orientations.date_effet)

        return self.executer(acteur, memo, run)

    def fixer_objectifs(self, acteur: Acteur, territoire_id: str, bailleur_id: str, annee: int,
                        taux_hors_qpv: Decimal, taux_qpv: Decimal,
                        memo: Memo | None = None) -> Issue[Territoire] | Rejoue:

        def run() -> tuple[list[Aggregate], Issue[Territoire]]:
            agg = self.territoire(territoire_id)
            self._charger(Bailleur, bailleur_uuid(bailleur_id), "bailleur_id", bailleur_id)
            agg.fixer_objectifs(bailleur_id=bailleur_id, annee=annee,
                                taux_hors_qpv_premier_quartile=taux_hors_qpv,
                                taux_qpv_autres_quartiles=taux_qpv)
            return [agg], Issue(agg)

        return self.executer(acteur, memo, run)

    def transmettre_rapport(self, acteur: Acteur, bailleur_id: str, territoire_id: str,
                            date_fin: date, date_transmission: date,
                            memo: Memo | None = None, garde: Garde = libre
                            ) -> Issue[Bailleur] | Rejoue:
        """R-SEMESTER-REPORT: the bailleur's semester report transmitted to the préfet (the
        answer shows it at `date_fin`)."""
        self.verifier_passe(date_transmission=date_transmission)

        def run() -> tuple[list[Aggregate], Issue[Bailleur]]:
            garde(Cible(bailleur_id=bailleur_id))
            agg = self._charger(Bailleur, bailleur_uuid(bailleur_id), "bailleur_id",
                                bailleur_id)
            self.territoire(territoire_id)
            nouveau = agg.transmettre_rapport(territoire_id, date_fin, date_transmission)
            return [agg], Issue(agg, date_fin, nouveau=nouveau)

        return self.executer(acteur, memo, run)

    def definir_logement(self, acteur: Acteur, logement_id: str, etat: EtatLogement,
                         memo: Memo | None = None) -> Issue[Logement] | Rejoue:

        self.verifier_passe(date_effet=etat.date_effet)

        def run() -> tuple[list[Aggregate], Issue[Logement]]:
            self._charger(Bailleur, bailleur_uuid(etat.bailleur_id), "bailleur_id",
                          etat.bailleur_id)
            self.territoire(etat.territoire_id)
            if etat.reservataire_id is not None:
                self._charger(Reservataire, reservataire_uuid(etat.reservataire_id),
                              "reservataire_id", etat.reservataire_id)
            clean = etat.champs()
            agg = self._existe(logement_uuid(logement_id))
            if agg is None:
                agg = Logement(logement_id=logement_id, etat=clean)
            elif agg.version_du(etat.date_effet) != clean:
                agg.modifier(etat=clean)
            return [agg], Issue(agg, etat.date_effet, nouveau=bool(agg.pending_events))

        return self.executer(acteur, memo, run)

    def logement(self, logement_id: str) -> Logement:
        return self._charger(Logement, logement_uuid(logement_id), "logement_id", logement_id)

    # --- demandes ------------------------------------------------------------------------

    @staticmethod
    def _verifier_categories(codes: Sequence[str]) -> None:
        unknown = [c for c in codes if not is_known_code(c)]
        if unknown:
            raise Invalide("Unknown priority category code.", rule="R-PRIORITY-CATEGORIES",
                           details={"categories_inconnues": unknown})

    def _verifier_saisie(self, valeurs: Situation | ChangementSituation) -> None:
        """The checks of a situation's parts that need no state: the category codes; the
        ground of R-RESOURCES-REQUERANT-ONLY given with its evidence and the evidence's
        date, an evidence some version accepts for that ground, dated on or before today;
        a birth date (m) of R-PRIORITY-CATEGORIES) on or before today."""
        if valeurs.categories_prioritaires is not None:
            self._verifier_categories(valeurs.categories_prioritaires)
        donnes = [k for k in MOTIF if getattr(valeurs, k) is not None]
        if donnes and len(donnes) < len(MOTIF):
            raise Invalide("The ground, its evidence and the evidence's date go together.",
                           rule=RESSOURCES_RULE,
                           details={"champs": [k for k in MOTIF if k not in donnes]})
        if (valeurs.motif_ressources_propres is not None and valeurs.justificatif is not None
                and not justificatif_possible(valeurs.motif_ressources_propres,
                                              valeurs.justificatif)):
            raise Invalide("This evidence never attests this ground.", rule=RESSOURCES_RULE,
                           details={"motif_ressources_propres": valeurs.motif_ressources_propres,
                                    "justificatif": valeurs.justificatif,
                                    "justificatifs": sorted(MATRICE[
                                        valeurs.motif_ressources_propres])})
        self.verifier_passe(regle=RESSOURCES_RULE, date_justificatif=valeurs.date_justificatif)
        self.verifier_passe(regle=PRIORITIES_RULE, date_naissance=valeurs.date_naissance)

    @staticmethod
    def cible_demande(demande: Demande) -> Cible:
        return Cible(organisation=demande.organisation)

    def deposer_demande(self, acteur: Acteur, depot: DepotDemande,
                        memo: Memo | None = None) -> Issue[Demande] | Rejoue:
        """The registering organisation (the bailleur's org; none for admin) is recorded at
        filing: it alone, with admin, changes the demande afterwards."""
        self.verifier_passe(date_depot=depot.date_depot)
        self._verifier_saisie(depot.situation)
        verifier_situation(depot.situation.champs(), categories_declarees=True)

        def run() -> tuple[list[Aggregate], Issue[Demande]]:
            existing = self._existe(demande_uuid(depot.numero_unique))
            situation = depot.situation.champs()
            if existing is not None:
                if jsonable(existing.filing_payload()) != jsonable(
                        {**situation, "numero_unique": depot.numero_unique,
                         "date_depot": depot.date_depot,
                         "demandeur_id": depot.demandeur_id}):
                    raise Conflit("Another demande has this numéro unique.",
                                  code="NUMERO_UNIQUE_CONFLICT",
                                  details={"demande_id": str(existing.id)})
                return [], Issue(existing, self._as_of(existing), nouveau=False)
            demande = Demande(
                numero_unique=depot.numero_unique, date_depot=depot.date_depot,
                demandeur_id=depot.demandeur_id, situation=situation,
                date_anciennete=depot.date_depot, anciennete_source=None,
                organisation=acteur.org)
            return [demande], Issue(demande, self._as_of(demande))

        return self.executer(acteur, memo, run)

    def _as_of(self, demande: Demande) -> date:
        return max(self.today(), demande.date_depot)

    def demande_gardee(self, demande_id: str, garde: Garde) -> Demande:
        demande = self.demande_par_id(demande_id)
        garde(self.cible_demande(demande))
        return demande

    def modifier_situation(self, acteur: Acteur, demande_id: str, jour: date,
                           changements: ChangementSituation,
                           memo: Memo | None = None, garde: Garde = libre
                           ) -> Issue[Demande] | Rejoue:
        self.verifier_passe(date=jour)
        self._verifier_saisie(changements)

        def run() -> tuple[list[Aggregate], Issue[Demande]]:
            demande = self.demande_gardee(demande_id, garde)
            verifier_situation(
                demande.situation_apres(jour, changements.champs()),
                # Withdrawing m)'s facts declares m) again: it must still hold its facts.
                categories_declarees=changements.categories_prioritaires is not None
                or bool(changements.effaces & {"date_naissance", "fin_prise_en_charge_ase"}))
            demande.modifier_situation(jour, changements.champs())
            return [demande], Issue(demande, max(jour, self._as_of(demande)))

        return self.executer(acteur, memo, run)

    def separer(self, acteur: Acteur, demande_id: str, separation: Separation,
                memo: Memo | None = None, garde: Garde = libre) -> Issue[Demande] | Rejoue:
        """R-SENIORITY-SEPARATION; the answer is the demande that goes on with the member
        (for a new demande, the new one)."""
        sep = separation
        self.verifier_passe(date_separation=sep.date_separation,
                            date_substitution=sep.date_substitution, date_depot=sep.date_depot)

        def run() -> tuple[list[Aggregate], Issue[Demande]]:
            demande = self.demande_gardee(demande_id, garde)
            if sep.mode == ModeSeparation.SUBSTITUTION:
                jour = sep.date_substitution or sep.date_separation
                demande.substituer(sep.membre_id, sep.date_separation, jour)
                return [demande], Issue(demande, max(jour, self._as_of(demande)))
            if not sep.numero_unique or not sep.date_depot:
                raise Invalide("A new demande needs its numero_unique and date_depot.",
                               details={"champs": ["numero_unique", "date_depot"]})
            # The household's own checks first, then the new file's.
            actes.verifier_depart(demande, sep.membre_id, sep.date_separation, sep.date_depot)
            if self._existe(demande_uuid(sep.numero_unique)) is not None:
                raise Conflit("Another demande has this numéro unique.",
                              code="NUMERO_UNIQUE_CONFLICT")
            situation = sep.situation or Situation.depuis({})
            self._verifier_saisie(situation)
            verifier_situation(situation.champs(), categories_declarees=True)
            nouvelle = actes.separer_vers_nouvelle_demande(
                demande, sep.membre_id, sep.date_separation, sep.numero_unique, sep.date_depot,
                situation.champs())
            return [demande, nouvelle], Issue(nouvelle, self._as_of(nouvelle))

        return self.executer(acteur, memo, run)

    def radier(self, acteur: Acteur, demande_id: str, jour: date, motif: str,
               memo: Memo | None = None, garde: Garde = libre) -> Issue[Demande] | Rejoue:
        self.verifier_passe(date=jour)

        def run() -> tuple[list[Aggregate], Issue[Demande]]:
            demande = self.demande_gardee(demande_id, garde)
            touched = actes.radier(demande, self.vacance_par_id, jour, motif)
            return touched, Issue(demande, max(jour, self.today()))

        return self.executer(acteur, memo, run)

    # --- the attribution cycle -----------------------------------------------------------

    @staticmethod
    def cible_vacance(vacance: Vacance) -> Cible:
        return Cible(bailleur_id=vacance.bailleur_id, reservataire_id=vacance.reservataire_id,
                     commune=vacance.logement["commune"], qpv=bool(vacance.logement["qpv"]),
                     remise_au_maire=any(t.designataire == Designataire.MAIRE
                                         for t in vacance.tours))

    def _vacance_gardee(self, vacance_id: str, garde: Garde) -> Vacance:
        vacance = self.vacance_par_id(vacance_id)
        garde(self.cible_vacance(vacance))
        return vacance

    def declarer_vacance(self, acteur: Acteur, logement_id: str, date_information: date,
                         memo: Memo | None = None, garde: Garde = libre
                         ) -> Issue[Vacance] | Rejoue:
        """One open vacancy per logement: it closes with its lease (docs/DECISIONS.md)."""
        self.verifier_passe(date_information=date_information)

        def run() -> tuple[list[Aggregate], Issue[Vacance]]:
            logement = self.logement(logement_id)
            etat = logement.etat_au(date_information)
            # The organisation is judged before the date: a logement not described yet on
            # that date still belongs to the bailleur of its first description.
            decrit = etat or logement.historique[0]
            garde(Cible(bailleur_id=decrit["bailleur_id"],
                        reservataire_id=decrit["reservataire_id"], commune=decrit["commune"],
                        qpv=bool(decrit["qpv"])))
            if etat is None:
                raise Invalide("The logement is not described on that date.",
                               code="DATE_INCOHERENTE",
                               details={"premiere_date_effet":
                                        logement.historique[0]["date_effet"].isoformat()})
            vacance = Vacance.declarer(logement_id, date_information, etat)
            if self._existe(vacance.id) is not None:
                raise Conflit("This vacancy is already declared.", code="VACANCE_EXISTANTE",
                              details={"vacance_id": str(vacance.id)})
            ouverte = self.side.vacance_ouverte(logement_id)
            if ouverte is not None:
                raise Conflit("This logement already has an open vacancy: it closes with "
                              "its lease.", code="VACANCE_OUVERTE",
                              details={"vacance_id": ouverte})
            return [vacance], self._issue_vacance(vacance)

        return self.executer(acteur, memo, run)

    def _issue_vacance(self, vacance: Vacance) -> Issue[Vacance]:
        return Issue(vacance, max(self.today(), vacance.date_information))

    def designer(self, acteur: Acteur, vacance_id: str, demande_id: str, jour: date,
                 memo: Memo | None = None, garde: Garde = libre) -> Issue[Vacance] | Rejoue:
        self.verifier_passe(date=jour)

        def run() -> tuple[list[Aggregate], Issue[Vacance]]:
            vacance = self.vacance_par_id(vacance_id)
            territoire = self.territoire(vacance.logement["territoire_id"])
            injonction = self._injonction(vacance, territoire, jour)
            # While the injunction runs the préfet's réservataire designates on the vacancy;
            # the organisation check still comes before the vacancy's state is looked at.
            garde(replace(self.cible_vacance(vacance),
                          prefet_id=injonction.prefet if injonction else None))
            demande = self.demande_par_id(demande_id)
            demande.verifier_active()
            if jour < demande.date_depot:
                raise Invalide("The demande was not filed yet on that date.",
                               code="DATE_INCOHERENTE")
            tardive = vacance.designer(acteur, str(demande.id), jour,
                                       demande.ressources_par_uc(jour),
                                       seuil_premier_quartile(
                                           territoire, self.ile_de_france()
                                           if territoire.ile_de_france else None, jour.year),
                                       self.today(), injonction,
                                       reloge=demande.situation_au(jour)[
                                           "relogement_renouvellement_urbain"])
            demande.designee_sur(date_effet=jour, vacance_id=str(vacance.id),
                                 saisie_tardive=tardive)
            return [vacance, demande], self._issue_vacance(vacance)

        return self.executer(acteur, memo, run)

    def _injonction(self, vacance: Vacance, territoire: Territoire,
                    jour: date) -> InjonctionPrefet | None:
        """`injonction_prefet`, the read side asked only where the rule can apply."""
        return injonction_prefet(vacance, territoire, jour, self.v20_effective_from,
                                 self.injonction_en_cours)

    def decider(self, acteur: Acteur, vacance_id: str, date_commission: date,
                decisions: Sequence[DecisionCommission], memo: Memo | None = None,
                garde: Garde = libre) -> Issue[Vacance] | Rejoue:
        self.verifier_passe(date_commission=date_commission)

        def run() -> tuple[list[Aggregate], Issue[Vacance]]:
            vacance = self._vacance_gardee(vacance_id, garde)
            resolved = [{**d.champs(), "demande_id": str(self.demande_par_id(d.demande_id).id)}
                        for d in decisions]
            vacance.decider(date_commission, resolved)
            return [vacance], self._issue_vacance(vacance)

        return self.executer(acteur, memo, run)

    def refuser(self, acteur: Acteur, vacance_id: str, demande_id: str, jour: date,
                motif: str | None, memo: Memo | None = None,
                garde: Garde = libre) -> Issue[Vacance] | Rejoue:
        self.verifier_passe(date=jour)

        def run() -> tuple[list[Aggregate], Issue[Vacance]]:
            vacance = self._vacance_gardee(vacance_id, garde)
            demande = self.demande_par_id(demande_id)
            vacance.refuser(str(demande.id), jour, motif)
            return [vacance], self._issue_vacance(vacance)

        return self.executer(acteur, memo, run)

    def signer_bail(self, acteur: Acteur, vacance_id: str, demande_id: str,
                    date_signature: date, memo: Memo | None = None,
                    garde: Garde = libre) -> Issue[Vacance] | Rejoue:
        self.verifier_passe(date_signature=date_signature)

        def run() -> tuple[list[Aggregate], Issue[Vacance]]:
            vacance = self._vacance_gardee(vacance_id, garde)
            demande = self.demande_par_id(demande_id)
            touched = actes.signer_bail(vacance, demande, self.vacance_par_id, date_signature)
            return touched, self._issue_vacance(vacance)

        return self.executer(acteur, memo, run)

    def compter_evenements(self) -> int:
        """The number of events recorded (not the highest position: positions may skip)."""
        return self.side.nombre_evenements()
