"""Demandes: filing, changes of situation, separation, radiation, reads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.access_log import note_ids
from api.auth import ActeurDep
from api.corps import corps_demande
from api.deps import AppDep, AsOf, IdChemin, IdemDep, KnownAt, ProjectionsDep
from api.permissions import Action, autoriser
from api.responses import (
    ECRITURE,
    LECTURE,
    RETARD,
    DemandeVue,
    HistoriqueDemande,
    reponses,
)
from api.routers.common import commander, read_or_404, respond
from api.schemas import DemandeIn, RadiationIn, SeparationIn, SituationIn
from domain.commandes import CHAMPS_OPTIONNELS, ChangementSituation, DepotDemande, Separation
from projections.historique import historique

router = APIRouter(prefix="/v1/demandes", tags=["demandes"])


@router.post("", status_code=201, response_model=DemandeVue,
             response_description="The demande filed",
             responses=reponses(*ECRITURE, precisions={
                 409: "NUMERO_UNIQUE_CONFLICT: another payload for this numero_unique.",
                 422: "DATE_FUTURE for a `date_depot` (or `date_justificatif`, "
                      "`date_naissance`) after today; VALIDATION with the rule's id for an "
                      "unknown ground or evidence code (R-RESOURCES-REQUERANT-ONLY) or "
                      "JEUNE_EX_ASE without its facts (R-PRIORITY-CATEGORIES)."},
                 succes={200: {"model": DemandeVue,
                               "description": "The same payload again for this "
                                              "numero_unique: the existing demande, "
                                              "nothing recorded (API.md, Idempotency)"}}))
def post_demande(body: DemandeIn, acteur: ActeurDep, app: AppDep,
                 idem: IdemDep, request: Request) -> JSONResponse:
    autoriser(acteur, Action.DEMANDE_DEPOSER)
    depot = DepotDemande.depuis(body.model_dump())
    statut, corps = commander("POST", idem, corps_demande,
                              lambda memo: app.deposer_demande(acteur, depot, memo))
    note_ids(request, demande_id=corps.get("demande_id"))
    return JSONResponse(corps, status_code=statut)


@router.post("/{demande_id}/situation", status_code=201, response_model=DemandeVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 409: "DEMANDE_NON_ACTIVE for a change after the demande's end.",
                 422: "VALIDATION with rule R-RESOURCES-REQUERANT-ONLY (unknown ground or "
                      "evidence code, ground without its evidence or the requérant's "
                      "resources) or R-PRIORITY-CATEGORIES (JEUNE_EX_ASE without its facts); "
                      "DATE_FUTURE for a `date`, `date_justificatif` or `date_naissance` "
                      "after today."}))
def post_situation(demande_id: IdChemin, body: SituationIn, acteur: ActeurDep, app: AppDep,
                   idem: IdemDep) -> JSONResponse:
    garde = autoriser(acteur, Action.DEMANDE_MODIFIER)
    valeurs = body.model_dump(exclude={"date"}, exclude_none=True)
    # An optional part given as null withdraws it (absent: unchanged, as every other field).
    valeurs.update({k: None for k in CHAMPS_OPTIONNELS
                    if k in body.model_fields_set and getattr(body, k) is None})
    changes = ChangementSituation.depuis(valeurs)
    return respond("POST", idem, corps_demande,
                   lambda memo: app.modifier_situation(acteur, demande_id, body.date, changes,
                                                       memo, garde=garde))


@router.post("/{demande_id}/separation", status_code=201, response_model=DemandeVue,
             response_description="The resulting demande (for `nouvelle_demande`, the new "
                                  "one)",
             responses=reponses(*ECRITURE, 404, precisions={
                 409: "DEMANDE_NON_ACTIVE; NUMERO_UNIQUE_CONFLICT for the new demande."}))
def post_separation(demande_id: IdChemin, body: SeparationIn, acteur: ActeurDep, app: AppDep,
                    idem: IdemDep, request: Request) -> JSONResponse:
    garde = autoriser(acteur, Action.DEMANDE_MODIFIER)
    separation = Separation.depuis(body.model_dump())
    statut, corps = commander("POST", idem, corps_demande,
                              lambda memo: app.separer(acteur, demande_id, separation, memo,
                                                       garde=garde))
    note_ids(request, demande_id=corps.get("demande_id"))  # the new one, if any
    return JSONResponse(corps, status_code=statut)


@router.post("/{demande_id}/radiation", status_code=201, response_model=DemandeVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 409: "DEMANDE_NON_ACTIVE: already radiée or attributed."}))
def post_radiation(demande_id: IdChemin, body: RadiationIn, acteur: ActeurDep, app: AppDep,
                   idem: IdemDep) -> JSONResponse:
    garde = autoriser(acteur, Action.DEMANDE_MODIFIER)
    return respond("POST", idem, corps_demande,
                   lambda memo: app.radier(acteur, demande_id, body.date, body.motif, memo,
                                           garde=garde))


@router.get("/{demande_id}", response_model=DemandeVue,
            responses=reponses(*LECTURE, 404, precisions={
                404: "Also a demande not filed yet on `as_of` as known at `known_at`."},
                succes={200: {"headers": RETARD}}))
def get_demande(demande_id: IdChemin, acteur: ActeurDep, app: AppDep, vues: ProjectionsDep,
                as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
    """The demande on `as_of` (default today) as recorded by `known_at` (default now),
    from the bitemporal read model."""
    autoriser(acteur, Action.DEMANDE_LIRE)
    return read_or_404("demande", demande_id, as_of or app.today(), known_at, vues.demande,
                       vues.en_retard)


@router.get("/{demande_id}/historique", response_model=HistoriqueDemande,
            responses=reponses(*LECTURE, 404))
def get_historique(demande_id: IdChemin, acteur: ActeurDep, app: AppDep) -> JSONResponse:
    """The demande's events with their actor: admin, auditeur and the registering
    organisation only."""
    garde = autoriser(acteur, Action.DEMANDE_HISTORIQUE)
    return JSONResponse({"demande_id": demande_id,
                         "evenements": historique(app, demande_id, garde)})
