"""The attribution cycle of a vacancy."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import ActeurDep
from api.deps import AppDep, AsOf, IdemDep, KnownAt, ProjectionsDep
from api.routers.common import read_or_404, respond
from api.schemas import BailIn, DecisionsIn, DesignationIn, RefusIn, VacanceIn
from domain.application import READERS, exiger

router = APIRouter(prefix="/v1", tags=["vacances"])


@router.post("/logements/{logement_id}/vacances", status_code=201)
def post_vacance(logement_id: str, body: VacanceIn, acteur: ActeurDep, app: AppDep,
                 idem: IdemDep) -> JSONResponse:
    return respond(app.declarer_vacance(acteur, logement_id, body.date_information, idem))


@router.post("/vacances/{vacance_id}/designations", status_code=201)
def post_designation(vacance_id: str, body: DesignationIn, acteur: ActeurDep, app: AppDep,
                     idem: IdemDep) -> JSONResponse:
    return respond(app.designer(acteur, vacance_id, body.demande_id, body.date, idem))


@router.post("/vacances/{vacance_id}/decisions", status_code=201)
def post_decisions(vacance_id: str, body: DecisionsIn, acteur: ActeurDep, app: AppDep,
                   idem: IdemDep) -> JSONResponse:
    decisions = [d.model_dump() for d in body.decisions]
    return respond(app.decider(acteur, vacance_id, body.date_commission, decisions, idem))


@router.post("/vacances/{vacance_id}/refus", status_code=201)
def post_refus(vacance_id: str, body: RefusIn, acteur: ActeurDep, app: AppDep,
               idem: IdemDep) -> JSONResponse:
    return respond(app.refuser(acteur, vacance_id, body.demande_id, body.date, body.motif,
                               idem))


@router.post("/vacances/{vacance_id}/bail", status_code=201)
def post_bail(vacance_id: str, body: BailIn, acteur: ActeurDep, app: AppDep,
              idem: IdemDep) -> JSONResponse:
    return respond(app.signer_bail(acteur, vacance_id, body.demande_id, body.date_signature,
                                   idem))


@router.get("/vacances/{vacance_id}")
def get_vacance(vacance_id: str, acteur: ActeurDep, app: AppDep, vues: ProjectionsDep,
                as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
    """The cycle on `as_of` (default today), only the acts dated on or before it, as
    recorded by `known_at` (default now), from the bitemporal read model."""
    exiger(acteur, READERS)
    return read_or_404("vacance", vacance_id, as_of or app.today(), known_at, vues.vacance)
