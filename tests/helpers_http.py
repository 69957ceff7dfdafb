"""The HTTP side of the tests: the one token minter (any claims, for the security tests'
bad tokens too) and the one check of the contract's error shape."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

# The tests' signing secret (conftest's settings use it).
SECRET = "test-secret-" + "x" * 32
ANY_RULE = object()  # assert_error: the rule, if any, is not checked


def token(role: str, org: str | None = None, *, secret: str = SECRET, ttl: int = 3600,
          sub: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"sub": sub or (f"{role}:{org}" if org else role), "role": role,
                            "iat": now, "exp": now + ttl}
    if org is not None:
        body["org"] = org
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret,
                      algorithm="HS256")


def bearer(role: str, org: str | None = None, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, org, **kw)}"}


def assert_error(resp: httpx.Response, status: int, code: str | None = None,
                 rule: object = ANY_RULE) -> dict[str, Any]:
    """The contract's error shape: {"error": {"code", "message", "rule", "details"}}, with
    this status, and this code and rule id (None: no rule) when given."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "rule", "details"}, err
    assert isinstance(err["code"], str) and err["code"], err
    assert err["code"] == err["code"].upper() and " " not in err["code"], err
    assert isinstance(err["message"], str) and err["message"], err
    assert err["rule"] is None or (isinstance(err["rule"], str) and err["rule"].startswith("R-"))
    assert isinstance(err["details"], dict), err
    if code is not None:
        assert err["code"] == code, err
    if rule is not ANY_RULE:
        assert err["rule"] == rule, err
    return err
