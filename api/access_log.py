"""The access log: one JSON line per request on the logger `hlm.access`, the register of
who consulted or changed which household's file (docs/ARCHITECTURE.md, Access log).

A line holds the request id, the actor (sub, role, organisation), the method, the route's
path template, the demande / vacancy / logement ids read or written, the status and the
duration; never a body, a query value or any other personal value.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hlm.access")

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is kept only when it is a short token: it is written to logs and events.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
IDS = ("demande_id", "vacance_id", "logement_id")


def note_ids(request: Request, **ids: str | None) -> None:
    """Ids a route reads or writes that are not in its path (a designation's demande)."""
    noted: dict[str, list[str]] = request.scope.setdefault("state", {}).setdefault("_ids", {})
    for key, value in ids.items():
        if value:
            noted.setdefault(key, []).append(str(value))


def _ids(scope: Scope) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (scope.get("path_params") or {}).items():
        if key in IDS:
            out.setdefault(key, []).append(str(value))
    state = scope.get("state") or {}
    for key, values in (state.get("_ids") or {}).items():
        out.setdefault(key, []).extend(v for v in values if v not in out.get(key, []))
    return out


def ensure_handler() -> None:
    """The access log goes to stderr unless the deployment configured `hlm.access`."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


class AccessLog:
    """Pure ASGI middleware: sets the request id (taken from `X-Request-ID` when safe, else
    generated; sent back in the response), and logs the line once the response started,
    whatever the outcome (401s, errors, a crash inside the app)."""

    def __init__(self, app: ASGIApp, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                         if k == REQUEST_ID_HEADER.encode()), "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != REQUEST_ID_HEADER.encode()]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.enabled:
                log.info(json.dumps(self._line(scope, request_id, status, started),
                                    ensure_ascii=False, separators=(",", ":")))

    @staticmethod
    def _line(scope: Scope, request_id: str, status: int, started: float) -> dict[str, Any]:
        state = scope.get("state") or {}
        acteur = state.get("acteur")
        route = scope.get("route")
        return {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "sub": getattr(acteur, "sub", None),
            "role": getattr(acteur, "role", None),
            "org": getattr(acteur, "org", None),
            "method": scope.get("method"),
            "path": getattr(route, "path", None),
            "ids": _ids(scope),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
