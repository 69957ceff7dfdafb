"""Idempotency-Key (API.md, Idempotency): the request's fingerprint, and the HTTP answer a
command's outcome is, the one stored with its events and replayed byte for byte."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from eventsourcing.domain import Aggregate

from api.corps import Corps
from domain.issue import Issue, Rejoue

A = TypeVar("A", bound=Aggregate)

Methode = Literal["PUT", "POST"]


def statut(methode: str, issue: Issue[Any]) -> int:
    """A PUT states the reference data: 200. A POST records an act: 201, or 200 when it
    recorded nothing new (the same demande filed again)."""
    return 201 if methode == "POST" and issue.nouveau else 200


def reponse(methode: Methode, resultat: Issue[A] | Rejoue,
            corps: Corps[A]) -> tuple[int, dict[str, Any]]:
    """The status and body of a command's answer; a replay, as it was first answered."""
    if isinstance(resultat, Rejoue):
        return resultat.statut, resultat.corps
    return statut(methode, resultat), corps(resultat)


@dataclass(frozen=True)
class CleIdempotence:
    """An Idempotency-Key, scoped to the caller, with the fingerprint of the request."""

    cle: str
    empreinte: str
    methode: str

    @classmethod
    def de(cls, sub: str, key: str, methode: str, chemin: str, corps: bytes) -> CleIdempotence:
        # The same JSON written with another key order or spacing is the same request.
        # Not JSON, or nested past the parser's depth: the bytes themselves are the request.
        with contextlib.suppress(ValueError, RecursionError):
            corps = json.dumps(json.loads(corps), sort_keys=True,
                               separators=(",", ":")).encode()
        digest = hashlib.sha256(methode.encode() + b" " + chemin.encode() + b"\n" + corps)
        return cls(cle=f"{sub}:{key}", empreinte=digest.hexdigest(), methode=methode)


@dataclass(frozen=True)
class Memoire(Generic[A]):
    """The application's `Memo`: a key, and the body its command answers with."""

    idem: CleIdempotence
    corps: Corps[A]

    @property
    def cle(self) -> str:
        return self.idem.cle

    @property
    def empreinte(self) -> str:
        return self.idem.empreinte

    def memoriser(self, issue: Issue[A]) -> tuple[int, str]:
        """What `hlm_idempotence` keeps: the HTTP status and the body's JSON."""
        return statut(self.idem.methode, issue), json.dumps(self.corps(issue))
