"""Health: each view's position and lag behind the store."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ProjectionsDep
from api.responses import Erreur, Ping, Sante

router = APIRouter(prefix="/v1", tags=["santé"])


@router.get("/ping", response_model=Ping)
def get_ping() -> JSONResponse:
    """Liveness for health checks (no token, no store access): the process answers."""
    return JSONResponse({"statut": "ok"})


@router.get("/sante", response_model=Sante, responses={
    503: {"description": "A view stopped on an event (`statut: degrade`, this body), or "
                         "STORE_UNAVAILABLE (the error shape) while the database cannot "
                         "be reached",
          "model": Sante | Erreur,
          "headers": {"Retry-After": {"description": "with STORE_UNAVAILABLE: seconds to "
                                                    "wait before retrying",
                                     "schema": {"type": "integer"}}}}})
def get_sante(vues: ProjectionsDep) -> JSONResponse:
    head = vues.app.recorder.max_notification_id() or 0
    statuses = vues.runner.statuses()
    # degrade: a view stopped on an event (503); transitoire: the projector is retrying
    # after a database failure, the views catch up by themselves once it succeeds.
    statut = ("degrade" if any(s.erreur for s in statuses.values())
              else "transitoire" if any(s.erreur_transitoire for s in statuses.values())
              else "ok")
    body = {
        "statut": statut,
        "position_magasin": head,
        "vues": [{"nom": s.nom, "position": s.position, "retard": head - s.position,
                  "erreur": s.erreur, "erreur_transitoire": s.erreur_transitoire,
                  "mis_a_jour": s.mis_a_jour}
                 for s in statuses.values()],
    }
    return JSONResponse(body, status_code=503 if statut == "degrade" else 200)
