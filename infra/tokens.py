"""Minting the API's bearer tokens (HS256; checked by api.auth): `hlm token`, the demo,
the tests."""

from __future__ import annotations

import time

import jwt

from domain.acces import ROLES, ROLES_WITH_ORG


def make_token(secret: str, role: str, org: str | None = None, ttl: int = 3600,
               sub: str | None = None, audience: str | None = None,
               issuer: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role in ROLES_WITH_ORG and not org:
        raise ValueError(f"role {role} needs --org")
    now = int(time.time())
    claims = {"sub": sub or (f"{role}:{org}" if org else role), "role": role,
              "iat": now, "exp": now + ttl}
    if org:
        claims["org"] = org
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")
