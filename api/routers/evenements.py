"""The pull feed of public events (API.md, Event feed): the same events, order and ids as
the Kafka relay, without personal data (infra.stream.public_events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import ActeurDep
from api.deps import AppDep
from api.permissions import Action, autoriser
from api.responses import LECTURE, PageEvenements, reponses
from infra.stream.public_events import page

router = APIRouter(prefix="/v1", tags=["événements"])

LIMITE_DEFAUT = 100
LIMITE_MAX = 1000
# `apres + 1` must still be a bigint position (PostgreSQL and SQLite integers).
POSITION_MAX = 2**63 - 2


@router.get("/evenements", response_model=PageEvenements, responses=reponses(*LECTURE))
def get_evenements(
    acteur: ActeurDep,
    app: AppDep,
    apres: Annotated[int, Query(ge=0, le=POSITION_MAX,
                                description="global position already seen")] = 0,
    limite: Annotated[int, Query(ge=0, description=f"at most this many events; above "
                                                   f"{LIMITE_MAX}, {LIMITE_MAX}")
                      ] = LIMITE_DEFAUT,
) -> JSONResponse:
    autoriser(acteur, Action.EVENEMENTS_LIRE)
    effective = min(limite, LIMITE_MAX)
    events, suivant = page(app, apres, effective)
    return JSONResponse({"evenements": [e.as_feed_item() for e in events],
                         "suivant": suivant, "limite": effective})
