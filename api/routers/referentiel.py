"""Reference data (admin): bailleurs, réservataires, territoires, thresholds, objectives,
logements."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import ActeurDep
from api.corps import (
    corps_bailleur,
    corps_cia,
    corps_logement,
    corps_objectifs,
    corps_orientations,
    corps_reservataire,
    corps_seuil,
    corps_seuil_regional,
    corps_territoire,
)
from api.deps import AppDep, IdChemin, IdemDep
from api.permissions import Action, autoriser
from api.responses import (
    ECRITURE,
    LECTURE,
    BailleurVue,
    CiaConclueVue,
    LogementVue,
    ObjectifsFixesVue,
    OrientationsAdopteesVue,
    ReservataireVue,
    SeuilPublie,
    SeuilRegionalPublie,
    SeuilsRegionaux,
    TerritoireVue,
    reponses,
)
from api.routers.common import respond
from api.schemas import (
    BailleurIn,
    CiaIn,
    LogementIn,
    ObjectifsIn,
    OrientationsIn,
    ReservataireIn,
    SeuilIn,
    TerritoireIn,
)
from domain.commandes import Cia, EtatLogement, OrientationsCil
from domain.serialisation import jsonable
from projections.presentation import vue_logement, vue_region, vue_territoire

router = APIRouter(prefix="/v1", tags=["référentiel"])


@router.put("/bailleurs/{bailleur_id}", response_model=BailleurVue,
            responses=reponses(*ECRITURE))
def put_bailleur(bailleur_id: IdChemin, body: BailleurIn, acteur: ActeurDep, app: AppDep,
                 idem: IdemDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    return respond("PUT", idem, corps_bailleur,
                   lambda memo: app.definir_bailleur(acteur, bailleur_id, body.nom, memo))


@router.put("/reservataires/{reservataire_id}", response_model=ReservataireVue,
            responses=reponses(*ECRITURE))
def put_reservataire(reservataire_id: IdChemin, body: ReservataireIn, acteur: ActeurDep,
                     app: AppDep, idem: IdemDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    return respond("PUT", idem, corps_reservataire,
                   lambda memo: app.definir_reservataire(acteur, reservataire_id, body.nom,
                                                         body.type, memo))


@router.put("/territoires/{territoire_id}", response_model=TerritoireVue,
            responses=reponses(*ECRITURE, 404, precisions={
                404: "The réservataire named to act for the préfet.",
                422: "RESERVATAIRE_NON_ETAT (R-6-MONTH-FLUX-INJUNCTION): it is not the "
                     "State's."}))
def put_territoire(territoire_id: IdChemin, body: TerritoireIn, acteur: ActeurDep, app: AppDep,
                   idem: IdemDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    return respond("PUT", idem, corps_territoire,
                   lambda memo: app.definir_territoire(acteur, territoire_id, body.nom,
                                                       body.soumis_mixite_depuis,
                                                       body.ile_de_france, memo,
                                                       body.prefet_reservataire_id))


@router.get("/territoires/{territoire_id}", response_model=TerritoireVue,
            responses=reponses(*LECTURE, 404))
def get_territoire(territoire_id: IdChemin, acteur: ActeurDep, app: AppDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_LIRE)
    return JSONResponse(jsonable(vue_territoire(app.territoire(territoire_id))))


@router.post("/territoires/{territoire_id}/seuils", status_code=201,
             response_model=SeuilPublie,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The territoire.",
                 422: "SEUIL_REGIONAL (R-Q1-THRESHOLD) on an Île-de-France territoire: its "
                      "threshold is the region's (POST /v1/seuils/ile-de-france)."}))
def post_seuil(territoire_id: IdChemin, body: SeuilIn, acteur: ActeurDep, app: AppDep,
               idem: IdemDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    return respond("POST", idem, corps_seuil(body.annee),
                   lambda memo: app.publier_seuil(acteur, territoire_id, body.annee,
                                                  body.montant_par_uc, body.acte, memo))


@router.post("/territoires/{territoire_id}/objectifs", status_code=201,
             response_model=ObjectifsFixesVue,
             responses=reponses(*ECRITURE, 404,
                                precisions={404: "The territoire or the bailleur."}))
def post_objectifs(territoire_id: IdChemin, body: ObjectifsIn, acteur: ActeurDep, app: AppDep,
                   idem: IdemDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    return respond("POST", idem, corps_objectifs(body.bailleur_id, body.annee),
                   lambda memo: app.fixer_objectifs(acteur, territoire_id, body.bailleur_id,
                                                    body.annee,
                                                    body.taux_hors_qpv_premier_quartile,
                                                    body.taux_qpv_autres_quartiles, memo))


@router.post("/territoires/{territoire_id}/cia", status_code=201,
             response_model=CiaConclueVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The territoire or a bailleur.",
                 422: "R-CIA-BAILLEUR-DISTRIBUTION when the objectives weighted by the "
                      "expected leases are below the territory's rate; "
                      "R-ESSENTIAL-WORKERS-OBJECTIVE, R-SAPEUR-POMPIER-OBJECTIVE for an "
                      "objective the law did not have on `date_effet`."}))
def post_cia(territoire_id: IdChemin, body: CiaIn, acteur: ActeurDep, app: AppDep,
             idem: IdemDep) -> JSONResponse:
    """A CIA from `date_effet` (R-CIA-BAILLEUR-DISTRIBUTION): it replaces, from that day, the
    objectives fixed to the bailleurs before it."""
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    cia = Cia.depuis(body.model_dump())
    return respond("POST", idem, corps_cia(cia.date_effet),
                   lambda memo: app.conclure_cia(acteur, territoire_id, cia, memo))


@router.post("/territoires/{territoire_id}/orientations", status_code=201,
             response_model=OrientationsAdopteesVue,
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The territoire.",
                 422: "R-QUOTA-RATE-ADAPTATION for a rate below the statutory one (only a "
                      "higher rate, except a hors-QPV rate adapted under v15)."}))
def post_orientations(territoire_id: IdChemin, body: OrientationsIn, acteur: ActeurDep,
                      app: AppDep, idem: IdemDep) -> JSONResponse:
    """The CIL's rates from `date_effet` (R-QUOTA-RATE-ADAPTATION, L441-1-5 1° bis and
    1° ter)."""
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    orientations = OrientationsCil.depuis(body.model_dump())
    return respond("POST", idem, corps_orientations(orientations.date_effet),
                   lambda memo: app.adopter_orientations(acteur, territoire_id, orientations,
                                                         memo))


@router.post("/seuils/ile-de-france", status_code=201, response_model=SeuilRegionalPublie,
             responses=reponses(*ECRITURE))
def post_seuil_regional(body: SeuilIn, acteur: ActeurDep, app: AppDep,
                        idem: IdemDep) -> JSONResponse:
    """R-Q1-THRESHOLD: Île-de-France's yearly threshold, for every territoire
    `ile_de_france` (a territoire's own is refused there)."""
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    return respond("POST", idem, corps_seuil_regional(body.annee),
                   lambda memo: app.publier_seuil_regional(acteur, body.annee,
                                                           body.montant_par_uc, body.acte,
                                                           memo))


@router.get("/seuils/ile-de-france", response_model=SeuilsRegionaux,
            responses=reponses(*LECTURE))
def get_seuils_regionaux(acteur: ActeurDep, app: AppDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_LIRE)
    return JSONResponse(jsonable(vue_region(app.ile_de_france())))


@router.put("/logements/{logement_id}", response_model=LogementVue,
            responses=reponses(*ECRITURE, 404, precisions={
                404: "The bailleur, territoire or réservataire.",
                422: "DATE_FUTURE for a `date_effet` after today."}))
def put_logement(logement_id: IdChemin, body: LogementIn, acteur: ActeurDep, app: AppDep,
                 idem: IdemDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_ECRIRE)
    etat = EtatLogement.depuis(body.model_dump())
    return respond("PUT", idem, corps_logement,
                   lambda memo: app.definir_logement(acteur, logement_id, etat, memo))


@router.get("/logements/{logement_id}", response_model=LogementVue,
            responses=reponses(*LECTURE, 404))
def get_logement(logement_id: IdChemin, acteur: ActeurDep, app: AppDep) -> JSONResponse:
    autoriser(acteur, Action.REFERENTIEL_LIRE)
    return JSONResponse(jsonable(vue_logement(app.logement(logement_id))))
