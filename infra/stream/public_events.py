"""The public form of the domain events: what the pull feed (`GET /v1/evenements`) serves and
what the Kafka relay publishes, in the same order and with the same ids.

Every domain event type has an explicit entry in `TYPES`: its public type name, its model
(infra.stream.public_schemas, the allow-list of published fields) and the function that fills the
model from the event. An event type without an entry is refused (`TypeNonPublie`), never
published with its raw fields.

The public form of an event depends only on the event and on what the store had recorded
up to its position, so the feed and the relay serve the same bytes for the same `id`
whenever they are asked (consumers deduplicate on it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from domain.application import HlmApplication
from domain.demande import Demande
from domain.ids import region_uuid, territoire_uuid
from domain.referentiel import (
    REGION_ILE_DE_FRANCE,
    Bailleur,
    Logement,
    Region,
    Reservataire,
    Territoire,
)
from domain.rules.cycle import Designataire
from domain.vacance import Vacance
from infra.stream import public_schemas as ps
from projections.aggregates import AggregateCache
from projections.quotas import drapeaux_menage, premier_quartile

SOURCE = "urn:hlm:evenements"
SCHEMA_VERSION = 1
SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
SEQUENCE_DIGITS = 20  # a bigint position fits in 19 digits
# CloudEvents extension attributes (lower-case alphanumerics, binary mode `ce_` prefix).
ACTOR_ROLE_HEADER = "ce_hlmacteurrole"
ACTOR_ORG_TYPE_HEADER = "ce_hlmacteurtypeorg"


class TypeNonPublie(LookupError):
    """A domain event type without a public mapping: a bug, caught by the tests."""


@dataclass(frozen=True)
class PublicEvent:
    position: int  # global position in the store (ce_sequence)
    agregat_id: str
    version: int
    type: str  # the public versioned type, e.g. "hlm.vacance.bail_signe.v1"
    date_effet: str | None  # business date, ISO
    enregistre_le: str | None  # record time, ISO 8601 UTC
    donnees: dict[str, Any]
    # Who acted, as far as the stream may say: the role and the type of organisation,
    # never `sub` nor the organisation (CloudEvents extension attributes, Kafka only).
    acteur_role: str | None = None
    acteur_type_organisation: str | None = None

    @property
    def id(self) -> str:
        return f"{self.agregat_id}:{self.version}"

    @property
    def agregat(self) -> str:
        """The kind of aggregate: `demande`, `vacance`, `logement`, ..."""
        return self.type.split(".")[1]

    @property
    def subject(self) -> str:
        """`{agregat}/{agregat_id}`, e.g. `vacance/…`: lets a consumer route on the kind of
        aggregate without parsing the type."""
        return f"{self.agregat}/{self.agregat_id}"

    def as_feed_item(self) -> dict[str, Any]:
        return {"position": self.position, "id": self.id, "type": self.type,
                "version": self.version, "agregat_id": self.agregat_id,
                "date_effet": self.date_effet, "enregistre_le": self.enregistre_le,
                "donnees": self.donnees}

    # --- the Kafka record (CloudEvents Kafka protocol binding, binary content mode) -----

    def kafka_key(self) -> bytes:
        """The aggregate id: Kafka keeps per-key order, so each aggregate's events stay in
        order for its consumers."""
        return self.agregat_id.encode()

    def kafka_value(self) -> bytes:
        """The same JSON object as the feed's item, UTF-8."""
        return json.dumps(self.as_feed_item(), ensure_ascii=False,
                          separators=(",", ":")).encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """CloudEvents attributes as `ce_` headers; ce_sequence is the global position,
        zero-padded so that it orders lexicographically (CloudEvents sequence extension)."""
        headers = [("ce_specversion", SPECVERSION.encode()), ("ce_id", self.id.encode()),
                   ("ce_type", self.type.encode()), ("ce_source", SOURCE.encode())]
        if self.enregistre_le is not None:
            headers.append(("ce_time", self.enregistre_le.encode()))
        headers += [("ce_subject", self.subject.encode()),
                    ("ce_sequence", f"{self.position:0{SEQUENCE_DIGITS}d}".encode()),
                    ("content-type", CONTENT_TYPE.encode())]
        if self.acteur_role is not None:
            headers.append((ACTOR_ROLE_HEADER, self.acteur_role.encode()))
        if self.acteur_type_organisation is not None:
            headers.append((ACTOR_ORG_TYPE_HEADER, self.acteur_type_organisation.encode()))
        return headers


# --- the mappings ---------------------------------------------------------------------------

# A public form that needs more than its event reads the aggregates as recorded up to the
# event's position from the reader's fold (projections.aggregates), which stands there.
Construire = Callable[[Any, int, AggregateCache], ps.Donnees]


@dataclass(frozen=True)
class TypePublic:
    nom: str  # hlm.<agregat>.<evenement>.v<N>
    modele: type[ps.Donnees]
    construire: Construire
    date_effet: Callable[[Any], date | None]


def _nom(agregat: str, evenement: str, version: int = SCHEMA_VERSION) -> str:
    return f"hlm.{agregat}.{evenement}.v{version}"


def _aucune(_: Any) -> date | None:
    return None


def _champ(nom: str) -> Callable[[Any], date | None]:
    return lambda e: getattr(e, nom)


_EFFET = _champ("date_effet")


def _copie(modele: type[ps.Donnees]) -> Construire:
    """The public form that copies from the event the fields its model declares, as
    they are (the model is the allow-list)."""
    return lambda e, p, c: modele(**{nom: getattr(e, nom) for nom in modele.model_fields})


def _copiee(agregat: str, evenement: str, modele: type[ps.Donnees],
            date_effet: Callable[[Any], date | None]) -> TypePublic:
    return TypePublic(_nom(agregat, evenement), modele, _copie(modele), date_effet)


def _montant(value: Decimal | float) -> float:
    return float(value)


def _objectif(objectif: dict[str, Any] | None) -> ps.ObjectifPublic | None:
    if objectif is None:
        return None
    taux = objectif.get("taux")
    return ps.ObjectifPublic(nombre=objectif.get("nombre"),
                             taux=None if taux is None else _montant(taux))


def _etat_logement(logement_id: str, etat: dict[str, Any]) -> dict[str, Any]:
    return {"logement_id": logement_id, "date_effet": etat["date_effet"],
            **{k: etat[k] for k in ("bailleur_id", "territoire_id", "commune", "qpv",
                                     "zone_tendue", "reservataire_id")}}


def _logement_modifie(e: Any, position: int, etats: AggregateCache) -> ps.Donnees:
    # The natural id is set once, by the first event: the held logement has it, else that
    # version alone is read.
    logement = etats.held(e.originator_id)
    if logement is None:
        logement = etats.version(e.originator_id, 1)
    return ps.LogementModifie(**_etat_logement(str(logement.logement_id), e.etat))


def _decisions(e: Any, position: int, etats: AggregateCache) -> ps.Donnees:
    return ps.DecisionsCommissionEnregistrees(
        date_effet=e.date_effet,
        decisions=[ps.DecisionCommission(
            demande_id=d["demande_id"], decision=d["decision"], rang=d["rang"],
            votes=ps.Votes(**d["votes"]) if d["votes"] is not None else None,
            departage_maire=d["departage_maire"]) for d in e.decisions])


def _bail_signe(e: Any, position: int, etats: AggregateCache) -> ps.Donnees:
    """The lease with the household's flags at the signature date (R-Q1-THRESHOLD,
    R-PRIORITY-CATEGORIES), as known when the lease was recorded: the quota facts of
    projections.quotas, without the resources. The préfet's candidate's lease under
    R-6-MONTH-FLUX-INJUNCTION is a `BailSignePrefet` (its own public type)."""
    # The vacancy and the household's demande exist when the lease is recorded.
    vacance = cast(Vacance, etats.state(e.originator_id, position))
    designation = vacance.designations[e.demande_id]
    jour: date = e.date_effet
    demande = cast(Demande, etats.state(UUID(e.demande_id), position))
    territoire = etats.state(territoire_uuid(vacance.logement["territoire_id"]), position)
    # Île-de-France's thresholds, for its territoires only (R-Q1-THRESHOLD): no query else.
    region = (etats.state(region_uuid(REGION_ILE_DE_FRANCE), position)
              if isinstance(territoire, Territoire) and territoire.ile_de_france else None)
    champs: dict[str, Any] = dict(
        date_effet=jour, demande_id=e.demande_id, logement_id=vacance.logement_id,
        bailleur_id=vacance.bailleur_id, territoire_id=vacance.logement["territoire_id"],
        reservataire_id=vacance.reservataire_id, qpv=vacance.logement["qpv"],
        designe_par=designation["par"],
        premier_quartile=premier_quartile(demande, territoire, jour, region),
        **drapeaux_menage(demande.situation_au(jour), jour))
    if designation["par"] == Designataire.PREFET:
        return ps.BailSignePrefet(**champs, organisation=designation["organisation"])
    return ps.BailSigne(**champs)


TYPES: dict[type, TypePublic] = {
    # reference data
    Bailleur.Enregistre: _copiee("bailleur", "enregistre", ps.BailleurEnregistre, _aucune),
    Bailleur.Renomme: _copiee("bailleur", "renomme", ps.BailleurRenomme, _aucune),
    Bailleur.RapportTransmis: _copiee("bailleur", "rapport_transmis", ps.RapportTransmis,
                                      _champ("date_transmission")),
    Reservataire.Enregistre: _copiee(
        "reservataire", "enregistre", ps.ReservataireEnregistre, _aucune),
    Reservataire.Modifie: _copiee("reservataire", "modifie", ps.ReservataireModifie, _aucune),
    Territoire.Defini: _copiee("territoire", "defini", ps.TerritoireDefini, _aucune),
    Territoire.Modifie: _copiee("territoire", "modifie", ps.TerritoireModifie, _aucune),
    Territoire.SeuilPremierQuartilePublie: TypePublic(
        _nom("territoire", "seuil_premier_quartile_publie"), ps.SeuilPremierQuartilePublie,
        lambda e, p, c: ps.SeuilPremierQuartilePublie(
            annee=e.annee, montant_par_uc=_montant(e.montant_par_uc), acte=e.acte), _aucune),
    Territoire.ObjectifsFixes: TypePublic(
        _nom("territoire", "objectifs_fixes"), ps.ObjectifsFixes,
        lambda e, p, c: ps.ObjectifsFixes(
            bailleur_id=e.bailleur_id, annee=e.annee,
            taux_hors_qpv_premier_quartile=_montant(e.taux_hors_qpv_premier_quartile),
            taux_qpv_autres_quartiles=_montant(e.taux_qpv_autres_quartiles)), _aucune),
    Territoire.CiaConclue: TypePublic(
        _nom("territoire", "cia_conclue"), ps.CiaConclue,
        lambda e, p, c: ps.CiaConclue(
            date_effet=e.date_effet, acte=e.acte,
            objectifs=[ps.ObjectifBailleurCia(**{
                k: _montant(v) if isinstance(v, Decimal) else v for k, v in o.items()})
                for o in e.objectifs],
            objectif_travailleurs_essentiels=_objectif(e.objectif_travailleurs_essentiels),
            objectif_sapeurs_pompiers=_objectif(e.objectif_sapeurs_pompiers)), _EFFET),
    Territoire.OrientationsAdoptees: TypePublic(
        _nom("territoire", "orientations_adoptees"), ps.OrientationsAdoptees,
        lambda e, p, c: ps.OrientationsAdoptees(
            date_effet=e.date_effet, acte=e.acte,
            taux_hors_qpv=None if e.taux_hors_qpv is None else _montant(e.taux_hors_qpv),
            taux_qpv=None if e.taux_qpv is None else _montant(e.taux_qpv), adapte=e.adapte,
            revision_avant=e.revision_avant), _EFFET),
    Region.Definie: _copiee("region", "definie", ps.RegionDefinie, _aucune),
    Region.SeuilPremierQuartilePublie: TypePublic(
        _nom("region", "seuil_premier_quartile_publie"), ps.SeuilRegionalPublie,
        lambda e, p, c: ps.SeuilRegionalPublie(
            annee=e.annee, montant_par_uc=_montant(e.montant_par_uc), acte=e.acte), _aucune),
    Logement.Caracterise: TypePublic(
        _nom("logement", "caracterise"), ps.LogementCaracterise,
        lambda e, p, c: ps.LogementCaracterise(**_etat_logement(e.logement_id, e.etat)),
        lambda e: e.etat["date_effet"]),
    Logement.Modifie: TypePublic(
        _nom("logement", "modifie"), ps.LogementModifie, _logement_modifie,
        lambda e: e.etat["date_effet"]),
    # demandes
    Demande.Deposee: TypePublic(
        _nom("demande", "deposee"), ps.DemandeDeposee,
        lambda e, p, c: ps.DemandeDeposee(
            date_depot=e.date_depot, date_anciennete=e.date_anciennete,
            anciennete_source=e.anciennete_source, **drapeaux_menage(e.situation, e.date_depot)),
        _champ("date_depot")),
    Demande.SituationModifiee: TypePublic(
        _nom("demande", "situation_modifiee"), ps.SituationModifiee,
        lambda e, p, c: ps.SituationModifiee(
            date_effet=e.date_effet, **drapeaux_menage(e.situation, e.date_effet)), _EFFET),
    Demande.DemandeurSubstitue: _copiee(
        "demande", "demandeur_substitue", ps.DemandeurSubstitue, _EFFET),
    Demande.MembreParti: _copiee(
        "demande", "membre_parti", ps.MembreParti, _champ("date_separation")),
    Demande.Radiee: _copiee("demande", "radiee", ps.DemandeRadiee, _EFFET),
    Demande.DesigneeSurVacance: _copiee(
        "demande", "designee_sur_vacance", ps.DesigneeSurVacance, _EFFET),
    Demande.Attribuee: _copiee("demande", "attribuee", ps.DemandeAttribuee, _EFFET),
    # the attribution cycle
    Vacance.Declaree: TypePublic(
        _nom("vacance", "declaree"), ps.VacanceDeclaree,
        lambda e, p, c: ps.VacanceDeclaree(
            logement_id=e.logement_id, date_information=e.date_information,
            **{k: e.logement[k] for k in ("bailleur_id", "territoire_id", "commune", "qpv",
                                          "zone_tendue", "reservataire_id")},
            designataire=e.designataire, date_limite_designation=e.date_limite_designation),
        _champ("date_information")),
    Vacance.TourDeDesignationPasse: _copiee(
        "vacance", "tour_de_designation_passe", ps.TourDeDesignationPasse, _EFFET),
    Vacance.CandidatDesigne: _copiee("vacance", "candidat_designe", ps.CandidatDesigne, _EFFET),
    Vacance.CandidatDesignePrefet: _copiee("vacance", "candidat_designe_prefet",
                                           ps.CandidatDesignePrefet, _EFFET),
    Vacance.DecisionsCommissionEnregistrees: TypePublic(
        _nom("vacance", "decisions_commission_enregistrees"),
        ps.DecisionsCommissionEnregistrees, _decisions, _EFFET),
    Vacance.RefusEnregistre: _copiee("vacance", "refus_enregistre", ps.RefusEnregistre, _EFFET),
    Vacance.CandidatRetire: _copiee("vacance", "candidat_retire", ps.CandidatRetire, _EFFET),
    Vacance.AttributionReservataireEchouee: _copiee("vacance", "attribution_reservataire_echouee",
        ps.AttributionReservataireEchouee, _EFFET),
    Vacance.BailSigne: TypePublic(
        _nom("vacance", "bail_signe"), ps.BailSigne, _bail_signe, _EFFET),
}


# The préfet's lease under injunction has a type of its own (the v1 lease type keeps its
# designataires): `_bail_signe` builds it, `_publics` names it.
BAIL_SIGNE_PREFET = TypePublic(_nom("vacance", "bail_signe_prefet"), ps.BailSignePrefet,
                               _bail_signe, _EFFET)
# Every public type, for the contract (AsyncAPI, JSON Schemas); a form's name is its model's
# (one type per model), so a builder may answer with another model of the same event.
PUBLIES: tuple[TypePublic, ...] = (*TYPES.values(), BAIL_SIGNE_PREFET)
NOM_DU_MODELE: dict[type[ps.Donnees], str] = {t.modele: t.nom for t in PUBLIES}


def type_public(event: Any) -> TypePublic:
    try:
        return TYPES[type(event)]
    except KeyError:
        raise TypeNonPublie(f"{type(event).__qualname__} has no public form") from None


def _horodatage(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def page(app: HlmApplication, apres: int, limite: int) -> tuple[list[PublicEvent], int]:
    """The public events after global position `apres` (at most `limite`), and the position
    to ask after next time (the last one served, or `apres` when there is nothing new).

    A reader that starts here folds what it reads and takes the rest from the store; one
    that goes on through the stream in order (the relay) keeps its `Lecteur`."""
    return Lecteur(app).page(apres, limite)


def _publics(app: HlmApplication, notifications: Sequence[Any], events: list[Any],
             etats: AggregateCache) -> tuple[list[PublicEvent], int]:
    """The public form of decoded notifications; each event is folded into the reader's
    states just before its public form is built, so they stand at its position."""
    times = app.side.enregistrements(notifications[0].id, notifications[-1].id)
    acteurs = app.side.acteurs_de([n.id for n in notifications])
    out = []
    for n, event in zip(notifications, events, strict=True):
        kind = type_public(event)
        etats.after(event)
        effet = kind.date_effet(event)
        acteur = acteurs.get(n.id) or {}
        donnees = kind.construire(event, n.id, etats)
        out.append(PublicEvent(
            position=n.id, agregat_id=str(n.originator_id), version=n.originator_version,
            type=NOM_DU_MODELE[type(donnees)],
            date_effet=effet.isoformat() if effet is not None else None,
            enregistre_le=_horodatage(times[n.id]) if n.id in times else None,
            donnees=donnees.model_dump(mode="json"),
            acteur_role=acteur.get("role"),
            acteur_type_organisation=acteur.get("type_organisation")))
    return out, out[-1].position


# --- a sequential reader ------------------------------------------------------------------

# The aggregates whose state a public form reads (leases: vacance, demande, territoire,
# Île-de-France's thresholds; logement changes: the logement's natural id).
_SUIVIS = frozenset(cls for cls in TYPES if issubclass(
    cls, (Vacance.Event, Demande.Event, Territoire.Event, Region.Event, Logement.Event)))


class Lecteur:
    """Reads the stream in order, page after page (the Kafka relay, and `page` for one
    page), without reading the store for the states a lease needs.

    The public form of an event depends only on what was recorded up to its position. A
    reader that folds every event, in order, into the aggregates it follows holds, when it
    reaches an event, the state of each aggregate as of that position: no query. Memory is
    bounded (least recently used aggregates out, `taille`); an aggregate the reader does not
    hold (evicted, or last changed before the position the reader started from) is read
    from the store when a public form needs it, and a page's leases fold theirs from one
    query first. Asked for a position other than where it stopped, the reader starts again
    with empty states, except for the same page asked again (a relay retrying after a
    broker failure), which it serves again as it was. One reader per thread."""

    def __init__(self, app: HlmApplication, taille: int = 50_000) -> None:
        self.app = app
        self.taille = taille
        self.position: int | None = None  # where the folded states stand
        self._etats = self._vides()
        self._derniere: tuple[int, int, list[PublicEvent], int] | None = None

    def _vides(self) -> AggregateCache:
        # States are read only when a public form needs them: most events need none.
        return AggregateCache(self.app, self.taille, load=False, types=_SUIVIS)

    def page(self, apres: int, limite: int) -> tuple[list[PublicEvent], int]:
        derniere = self._derniere
        if derniere is not None and derniere[:2] == (apres, limite):
            return derniere[2], derniere[3]
        if apres != self.position:
            self._etats = self._vides()
            self.position = apres
        notifications = (self.app.recorder.select_notifications(apres + 1, limite)
                         if limite > 0 else [])
        if not notifications:
            return [], apres
        events = [self.app.mapper.to_domain_event(n) for n in notifications]
        # The aggregates of the page's leases, as of where the reader stands, in one query;
        # the page's own events fold them forward (those created in it need nothing).
        crees = {e.originator_id for e in events if e.originator_version == 1}
        self._etats.preload(
            {key for e in events if isinstance(e, Vacance.BailSigne)
             for key in (e.originator_id, UUID(e.demande_id)) if key not in crees}, apres)
        try:
            out, suivante = _publics(self.app, notifications, events, self._etats)
        except BaseException:
            self._etats = self._vides()  # folded part way through the page
            self.position = None
            raise
        self.position = suivante
        self._derniere = (apres, limite, out, suivante)
        return out, suivante
