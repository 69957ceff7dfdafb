"""JWT bearer tokens (HS256): claims sub, role, org, exp (API.md, Authentication and roles),
checked here; minted by infra.tokens."""

from __future__ import annotations

import time
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from domain.acces import ROLES, ROLES_WITH_ORG
from domain.vacance import Acteur

bearer = HTTPBearer(auto_error=False, description="JWT signed with HLM_JWT_SECRET")


def decode_token(secret: str, token: str, *, audience: str | None = None,
                 issuer: str | None = None, max_ttl: int | None = None) -> Acteur:
    """The actor of a valid token; `aud` and `iss` are required when configured, and no
    token may live longer than `max_ttl` seconds (from `iat`, else from now)."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=audience,
                            issuer=issuer,
                            options={"require": ["exp", "sub", "role"],
                                     "verify_aud": audience is not None})
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "TOKEN_EXPIRED", "The token has expired.") from None
    except jwt.InvalidTokenError as exc:
        raise ApiError(401, "UNAUTHENTICATED", f"Invalid token: {exc}") from None
    if max_ttl is not None:
        depuis = claims.get("iat") if isinstance(claims.get("iat"), int | float) \
            else time.time()
        if claims["exp"] - depuis > max_ttl:
            raise ApiError(401, "UNAUTHENTICATED",
                           f"The token lives longer than the {max_ttl} s allowed.")
    role = claims.get("role")
    if role not in ROLES:
        raise ApiError(401, "UNAUTHENTICATED", "The token's role is unknown.")
    org = claims.get("org")
    if role in ROLES_WITH_ORG and not isinstance(org, str):
        raise ApiError(401, "UNAUTHENTICATED", f"A {role} token needs an org claim.")
    return Acteur(role=role, org=org, sub=str(claims["sub"]))


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Acteur:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "UNAUTHENTICATED", "A bearer token is required.")
    settings = request.app.state.settings
    acteur = decode_token(settings.secret, credentials.credentials,
                          audience=settings.jwt_audience, issuer=settings.jwt_issuer,
                          max_ttl=settings.jwt_max_ttl)
    # The access log's request id (api/access_log.py sets it) goes with every act recorded.
    acteur.request_id = getattr(request.state, "request_id", None)
    request.state.acteur = acteur
    return acteur


ActeurDep = Annotated[Acteur, Depends(current_actor)]
