from __future__ import annotations

from fastapi.responses import JSONResponse

from domain.application import Resultat


def respond(resultat: Resultat) -> JSONResponse:
    return JSONResponse(resultat.body, status_code=resultat.status)
