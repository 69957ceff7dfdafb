"""Dependencies shared by the routers: the application, idempotency keys, read dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api.auth import ActeurDep
from api.errors import ApiError
from domain.application import CleIdempotence, HlmApplication
from projections.service import Projections


async def get_application(request: Request) -> HlmApplication:
    return request.app.state.application


AppDep = Annotated[HlmApplication, Depends(get_application)]


async def get_projections(request: Request) -> Projections:
    return request.app.state.projections


ProjectionsDep = Annotated[Projections, Depends(get_projections)]


async def idempotency_key(
    request: Request,
    acteur: ActeurDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> CleIdempotence | None:
    if key is None:
        return None
    if not key.strip():
        raise ApiError(400, "BAD_REQUEST", "An empty Idempotency-Key is not a key.")
    body = await request.body()
    # Scoped to who acts and for which organisation: a replay must never hand one
    # organisation's response to another token that merely shares the same `sub`.
    scope = f"{acteur.role}/{acteur.org or ''}/{acteur.sub}"
    return CleIdempotence.de(scope, key, request.method, request.url.path, body)


IdemDep = Annotated[CleIdempotence | None, Depends(idempotency_key)]
AsOf = Annotated[date | None, Query(description="Business date (default: today)")]
KnownAt = Annotated[datetime | None, Query(description="Record time bound (default: now)")]
