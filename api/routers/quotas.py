"""Quota read models, as of a business date and as known at a record time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import ActeurDep
from api.deps import AppDep, AsOf, IdChemin, IdRequete, KnownAt, ProjectionsDep
from api.permissions import Action, autoriser
from api.responses import (
    LECTURE,
    RETARD,
    QuotasBailleur,
    QuotasReservataire,
    StatistiquesTerritoire,
    reponses,
)
from domain.acces import Cible

router = APIRouter(prefix="/v1/quotas", tags=["quotas"])
Annee = Annotated[int, Query(ge=1996, le=2100)]
# An unknown id is not an error here: its figures are those of no lease.
LECTURE_QUOTAS = reponses(*LECTURE, succes={200: {"headers": RETARD}})


@router.get("/bailleurs/{bailleur_id}", response_model=QuotasBailleur,
            responses=LECTURE_QUOTAS)
def get_quotas_bailleur(bailleur_id: IdChemin, acteur: ActeurDep, app: AppDep,
                        vues: ProjectionsDep, territoire_id: IdRequete,
                        annee: Annee, as_of: AsOf = None,
                        known_at: KnownAt = None) -> JSONResponse:
    autoriser(acteur, Action.QUOTAS_BAILLEUR)(Cible(bailleur_id=bailleur_id))
    jour = as_of or app.today()
    body = vues.quotas_bailleur(bailleur_id, territoire_id, annee, jour, known_at)
    return JSONResponse(body, headers=vues.en_retard())


@router.get("/reservataires/{reservataire_id}", response_model=QuotasReservataire,
            responses=LECTURE_QUOTAS)
def get_quotas_reservataire(reservataire_id: IdChemin, acteur: ActeurDep, app: AppDep,
                            vues: ProjectionsDep, annee: Annee, as_of: AsOf = None,
                            known_at: KnownAt = None) -> JSONResponse:
    autoriser(acteur, Action.QUOTAS_RESERVATAIRE)(Cible(reservataire_id=reservataire_id))
    jour = as_of or app.today()
    body = vues.quotas_reservataire(reservataire_id, annee, jour, known_at)
    return JSONResponse(body, headers=vues.en_retard())


statistiques = APIRouter(prefix="/v1/statistiques", tags=["quotas"])


@statistiques.get("/territoires/{territoire_id}", response_model=StatistiquesTerritoire,
                  responses=LECTURE_QUOTAS)
def get_statistiques_territoire(territoire_id: IdChemin, acteur: ActeurDep, app: AppDep,
                                vues: ProjectionsDep, annee: Annee, as_of: AsOf = None,
                                known_at: KnownAt = None) -> JSONResponse:
    """R-GOV-STATISTICS: the territory's yearly figures of the 25 % hors-QPV and the 50 %
    QPV rules, every bailleur together (admin, auditeur)."""
    autoriser(acteur, Action.STATISTIQUES_LIRE)(Cible())
    jour = as_of or app.today()
    body = vues.statistiques_territoire(territoire_id, annee, jour, known_at)
    return JSONResponse(body, headers=vues.en_retard())
