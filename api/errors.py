"""Every error in the contract's shape: {"error": {code, message, rule, details}}."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import eventsourcing.persistence as es
import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import Conflit, DomainError, Interdit, Introuvable, Invalide

log = logging.getLogger("hlm.api")

RETRY_AFTER_S = 5
# What the drivers and the library raise when the database is down, restarting, or out of
# connections: never the request's fault.
StoreUnavailable = (es.OperationalError, es.InterfaceError, psycopg.OperationalError,
                    psycopg.InterfaceError, PoolTimeout, sqlite3.OperationalError)

HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
              405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 415: "UNSUPPORTED_MEDIA_TYPE",
              422: "VALIDATION"}


# The HTTP status of each kind of domain error (the first class of its MRO listed here).
STATUTS: dict[type[DomainError], int] = {Introuvable: 404, Invalide: 422, Interdit: 403,
                                         Conflit: 409, DomainError: 409}


def statut_http(exc: DomainError) -> int:
    return next(STATUTS[cls] for cls in type(exc).__mro__ if cls in STATUTS)


def error_body(code: str, message: str, rule: str | None = None,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "rule": rule,
                      "details": jsonable_encoder(details or {})}}


class ApiError(Exception):
    """An error raised by the HTTP layer itself (authentication, headers)."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.rule, exc.details),
                            status_code=statut_http(exc))

    @app.exception_handler(ApiError)
    def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, None, exc.details),
                            status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                  for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"])
        message = f"Invalid input at {where}: {first['msg']}" if where else str(first["msg"])
        return JSONResponse(error_body("VALIDATION", message, None, {"errors": errors}),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework's 400 is a body it could not parse (e.g. nested past the JSON
            # parser's depth): malformed input, VALIDATION like invalid JSON.
            return JSONResponse(error_body("VALIDATION", f"Malformed body: {exc.detail}"),
                                status_code=422)
        code = HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    def store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # The one 5xx of the contract: the database cannot be reached (or is locked past
        # its timeout). A command failed here recorded nothing: it is one transaction.
        log.warning("store unavailable: %s", type(exc).__name__)
        return JSONResponse(error_body("STORE_UNAVAILABLE",
                                       "The store cannot be reached; retry later."),
                            status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})

    for cls in StoreUnavailable:
        app.add_exception_handler(cls, store_unavailable)

    @app.exception_handler(Exception)
    def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(error_body("INTERNAL", "Internal error: this is a bug."),
                            status_code=500)
