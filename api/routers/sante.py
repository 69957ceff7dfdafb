"""Health: each view's position and lag behind the store."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ProjectionsDep

router = APIRouter(prefix="/v1", tags=["santé"])


@router.get("/ping")
def get_ping() -> JSONResponse:
    """Liveness for health checks (no token, no store access): the process answers."""
    return JSONResponse({"statut": "ok"})


@router.get("/sante")
def get_sante(vues: ProjectionsDep) -> JSONResponse:
    head = vues.app.recorder.max_notification_id() or 0
    statuses = vues.runner.statuses()
    body = {
        "statut": "ok" if all(s.erreur is None for s in statuses.values()) else "degrade",
        "position_magasin": head,
        "vues": [{"nom": s.nom, "position": s.position, "retard": head - s.position,
                  "erreur": s.erreur, "mis_a_jour": s.mis_a_jour}
                 for s in statuses.values()],
    }
    return JSONResponse(body, status_code=200 if body["statut"] == "ok" else 503)
