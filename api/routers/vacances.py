"""The attribution cycle of a vacancy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.access_log import note_ids
from api.auth import ActeurDep
from api.corps import corps_vacance
from api.deps import AppDep, AsOf, IdChemin, IdemDep, KnownAt, ProjectionsDep
from api.idempotence import CleIdempotence
from api.permissions import Action, autoriser, cible_de_vacance, restreindre_vacance
from api.responses import ECRITURE, LECTURE, RETARD, VacanceVue, reponses
from api.routers.common import commander, read_or_404
from api.schemas import BailIn, DecisionsIn, DesignationIn, RefusIn, VacanceIn
from domain.commandes import DecisionCommission
from domain.issue import Issue, Memo, Rejoue
from domain.vacance import Acteur, Vacance

router = APIRouter(prefix="/v1", tags=["vacances"])


def respond_vacance(acteur: Acteur, idem: CleIdempotence | None,
                    commande: Callable[[Memo | None], Issue[Vacance] | Rejoue],
                    request: Request | None = None) -> JSONResponse:
    """A POST of the cycle (a replay, as first answered), shown as the caller may see it:
    the whole vacancy is what an Idempotency-Key remembers, each answer is restricted."""
    statut, corps = commander("POST", idem, corps_vacance, commande)
    if request is not None:
        note_ids(request, vacance_id=corps.get("vacance_id"))
    return JSONResponse(restreindre_vacance(acteur, corps), status_code=statut)


@router.post("/logements/{logement_id}/vacances", status_code=201,
             response_model=VacanceVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The logement.",
                 409: "VACANCE_EXISTANTE, VACANCE_OUVERTE (one open vacancy per logement).",
                 422: "DATE_FUTURE; DATE_INCOHERENTE when the logement is not described "
                      "on that date."}))
def post_vacance(logement_id: IdChemin, body: VacanceIn, acteur: ActeurDep, app: AppDep,
                 idem: IdemDep, request: Request) -> JSONResponse:
    garde = autoriser(acteur, Action.VACANCE_DECLARER)
    return respond_vacance(acteur, idem, lambda memo: app.declarer_vacance(
        acteur, logement_id, body.date_information, memo, garde=garde), request)


@router.post("/vacances/{vacance_id}/designations", status_code=201,
             response_model=VacanceVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 403: "Also when the caller is not the current `designataire`.",
                 404: "The vacance or the demande.",
                 409: "DELAI_DESIGNATION_EXPIRE, DEMANDE_NON_ACTIVE, DEJA_DESIGNEE, "
                      "VACANCE_CLOTUREE, SEUIL_PREMIER_QUARTILE_ABSENT.",
                 422: "PREMIER_QUARTILE_EXCLU (R-FAILED-QPV-TO-MAIRE), DATE_INCOHERENTE, "
                      "DATE_FUTURE."}))
def post_designation(vacance_id: IdChemin, body: DesignationIn, acteur: ActeurDep, app: AppDep,
                     idem: IdemDep, request: Request) -> JSONResponse:
    note_ids(request, demande_id=body.demande_id)
    garde = autoriser(acteur, Action.VACANCE_DESIGNER)
    return respond_vacance(acteur, idem, lambda memo: app.designer(
        acteur, vacance_id, body.demande_id, body.date, memo, garde=garde))


@router.post("/vacances/{vacance_id}/decisions", status_code=201,
             response_model=VacanceVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The vacance or a demande.",
                 409: "DEMANDE_NON_DESIGNEE, RANG_1_EN_DOUBLE, RANG_EN_DOUBLE, "
                      "VACANCE_CLOTUREE.",
                 422: "VOTES_CONTREDISENT_DECISION, EGALITE_NON_DEPARTAGEE, RANG_REQUIS, "
                      "DATE_INCOHERENTE, DATE_FUTURE."}))
def post_decisions(vacance_id: IdChemin, body: DecisionsIn, acteur: ActeurDep, app: AppDep,
                   idem: IdemDep, request: Request) -> JSONResponse:
    for d in body.decisions:
        note_ids(request, demande_id=d.demande_id)
    garde = autoriser(acteur, Action.VACANCE_DECIDER)
    decisions = [DecisionCommission.depuis(d.model_dump()) for d in body.decisions]
    return respond_vacance(acteur, idem, lambda memo: app.decider(
        acteur, vacance_id, body.date_commission, decisions, memo, garde=garde))


@router.post("/vacances/{vacance_id}/refus", status_code=201, response_model=VacanceVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The vacance or the demande.",
                 409: "AUCUNE_ATTRIBUTION, VACANCE_CLOTUREE.",
                 422: "DATE_INCOHERENTE, DATE_FUTURE."}))
def post_refus(vacance_id: IdChemin, body: RefusIn, acteur: ActeurDep, app: AppDep,
               idem: IdemDep, request: Request) -> JSONResponse:
    note_ids(request, demande_id=body.demande_id)
    garde = autoriser(acteur, Action.VACANCE_DECIDER)
    return respond_vacance(acteur, idem, lambda memo: app.refuser(
        acteur, vacance_id, body.demande_id, body.date, body.motif, memo, garde=garde))


@router.post("/vacances/{vacance_id}/bail", status_code=201, response_model=VacanceVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The vacance or the demande.",
                 409: "ATTRIBUTION_REQUISE, CANDIDAT_A_REFUSE, RANG_NON_PRIORITAIRE, "
                      "DEMANDE_NON_ACTIVE, VACANCE_CLOTUREE.",
                 422: "DATE_INCOHERENTE, DATE_FUTURE."}))
def post_bail(vacance_id: IdChemin, body: BailIn, acteur: ActeurDep, app: AppDep,
              idem: IdemDep, request: Request) -> JSONResponse:
    note_ids(request, demande_id=body.demande_id)
    garde = autoriser(acteur, Action.VACANCE_DECIDER)
    return respond_vacance(acteur, idem, lambda memo: app.signer_bail(
        acteur, vacance_id, body.demande_id, body.date_signature, memo, garde=garde))


@router.get("/vacances/{vacance_id}", response_model=VacanceVue,
            responses=reponses(*LECTURE, 404, precisions={
                404: "Also a vacancy not declared yet on `as_of` as known at `known_at`."},
                succes={200: {"headers": RETARD}}))
def get_vacance(vacance_id: IdChemin, acteur: ActeurDep, app: AppDep, vues: ProjectionsDep,
                as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
    """The cycle on `as_of` (default today), only the acts dated on or before it, as
    recorded by `known_at` (default now), from the bitemporal read model."""
    garde = autoriser(acteur, Action.VACANCE_LIRE)
    jour = as_of or app.today()
    if acteur.role in ("admin", "auditeur"):
        return read_or_404("vacance", vacance_id, jour, known_at, vues.vacance,
                           vues.en_retard)

    def lire(key: str, as_of: date, known_at: datetime | None) -> dict[str, Any] | None:
        # The organisations first, from the vacancy as known now (they never change for a
        # vacancy), then the state asked for: a 403 tells nothing of that state.
        courante = vues.vacance(key, max(jour, app.today()), None)
        if courante is None:
            return None
        garde(cible_de_vacance(courante))
        vue = vues.vacance(key, as_of, known_at)
        return restreindre_vacance(acteur, vue) if vue is not None else None

    return read_or_404("vacance", vacance_id, jour, known_at, lire, vues.en_retard)
