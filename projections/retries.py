"""Errors caused by the database rather than by an event, and the wait before trying again.

A view that fails on an event stays stopped there until its code is fixed (the error names
the event). A failure of the database itself (connection lost, server restarting, a lock or
serialization conflict, SQLite busy) says nothing about the event: the same batch is tried
again after a growing, jittered wait, and succeeds once the database is back.
"""

from __future__ import annotations

import random
import sqlite3

import psycopg
import psycopg.errors

# SQLSTATE classes of PostgreSQL that are the server's state, not the statement's fault:
# 08 connection, 40 transaction rollback (serialization, deadlock), 53 insufficient
# resources, 57 operator intervention (shutdown, query canceled), 58 system error.
_CLASSES = ("08", "40", "53", "57", "58")
_STATES = ("55P03",)  # lock_not_available (lock_timeout, NOWAIT)
_SQLITE = ("locked", "busy", "unable to open", "disk i/o")


def is_transient(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from (the library and the runner wrap
    them), is the database's failure rather than the event's."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_itself(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_itself(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.errors.PipelineAborted):
        return False  # the consequence of an earlier statement's error
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        state = exc.sqlstate
        # No SQLSTATE: the connection broke or the pool had none to give.
        return state is None or state[:2] in _CLASSES or state in _STATES
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc).lower() for word in _SQLITE)
    return False


def resume(exc: BaseException) -> str:
    """What `/v1/sante` (unauthenticated) may show of a failure: the error's class and
    SQLSTATE, or SQLite's message (generic: "database is locked"); never a server's text,
    which names hosts and users and may quote row values."""
    state = getattr(exc, "sqlstate", None)
    if isinstance(exc, psycopg.Error):
        return f"{type(exc).__name__} (SQLSTATE {state})" if state else type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        return f"{type(exc).__name__}: {exc}"[:200]
    return type(exc).__name__


class Backoff:
    """Exponential waits from `first` to `cap` seconds, each drawn in its upper half so
    that processes retrying together spread out."""

    def __init__(self, first: float = 0.1, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self.failures = 0

    def next(self) -> float:
        bound = min(self.cap, self.first * 2 ** self.failures)
        self.failures += 1
        return random.uniform(bound / 2, bound)

    def reset(self) -> None:
        self.failures = 0
