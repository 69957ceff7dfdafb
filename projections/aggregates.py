"""The state of aggregates as recorded up to a position: the one fold that the views and the
public stream's reader share.

A reader of the log in order (a view, the stream's reader) needs, at each event, aggregates
as they were recorded up to that event's position, never a state recorded later (which would
leak into earlier `known_at` answers, or into bytes of the feed that must not depend on when
they are asked for). Every event the reader sees passes through `after`; an aggregate held
at the previous version is advanced in memory, so `state(id, position)` costs no query in
the common case. What the cache does not hold (evicted, or last changed before the reader
started) is read from the store at the version recorded by then: a view, which folds every
aggregate its events touch, reads it at once; the stream's reader, which needs a state only
for the few public forms that read one, notes the version and reads it when asked."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from domain.application import HlmApplication


class _Shared:
    """Versions read from the store by (id, version), least recently used out, shared by the
    threads of one application: the pull feed reads each page with a new reader, and a
    territoire read for every lease on it would otherwise be rebuilt once per page. A
    recorded version never changes, and these states are only read, never folded."""

    SIZE = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[tuple[UUID, int], Any] = OrderedDict()

    def read(self, app: HlmApplication, key: UUID, version: int) -> Any:
        with self._lock:
            found = self._states.get((key, version))
            if found is not None:
                self._states.move_to_end((key, version))
                return found
        found = app.repository.get(key, version=version)
        with self._lock:
            self._states[(key, version)] = found
            if len(self._states) > self.SIZE:
                self._states.popitem(last=False)
        return found


_SHARED: weakref.WeakKeyDictionary[HlmApplication, _Shared] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def _shared(app: HlmApplication) -> _Shared:
    with _SHARED_LOCK:
        shared = _SHARED.get(app)
        if shared is None:
            shared = _SHARED[app] = _Shared()
        return shared


class AggregateCache:
    """`load`: read an aggregate the cache does not hold as soon as an event of it passes
    (the views, which use nearly every aggregate they see), or only when `state` asks for
    it (the stream's reader). `types`: the event classes to follow, the others pass by
    untouched (None: all).

    Held aggregates are changed in place by the next event; so states read for a reader
    that does not load are shared read-only copies (`_Shared`) and never become held."""

    def __init__(self, app: HlmApplication, size: int = 20_000, load: bool = True,
                 types: Collection[type] | None = None) -> None:
        self.app = app
        self.size = size
        self.load = load
        self.types = types
        # id -> (the last version seen up to the reader's position, the aggregate at that
        # version if held); a version alone saves the query of `state` for it.
        self._held: OrderedDict[UUID, tuple[int, Any | None]] = OrderedDict()
        self._shared = _shared(app)

    def after(self, event: Any) -> Any:
        """Fold `event`, the next one in the log; the aggregate as of it when held (always,
        when loading), else None."""
        if self.types is not None and type(event) not in self.types:
            return None
        key: UUID = event.originator_id
        version: int = event.originator_version
        _, aggregate = self._held.pop(key, (None, None))
        if aggregate is not None and aggregate.version == version - 1:
            aggregate = event.mutate(aggregate)
        elif version == 1:  # the creation event: no need to read the store
            aggregate = event.mutate(None)
        elif self.load:
            aggregate = self.app.repository.get(key, version=version)
        else:
            aggregate = None
        self._remember(key, version, aggregate)
        return aggregate

    def state(self, key: UUID, position: int) -> Any | None:
        """The aggregate as of `position`, the position the fold has reached: from what
        this cache saw, else (after a restart, an eviction, or an aggregate last changed
        before the reader started) the last version the store had recorded by then."""
        version, aggregate = self._held.get(key, (None, None))
        if version is None:
            version = self.app.side.version_a(key, position)
            if version is None:
                return None
        if aggregate is None:
            if not self.load:
                self._remember(key, version, None)
                return self._shared.read(self.app, key, version)
            aggregate = self.app.repository.get(key, version=version)
        self._remember(key, version, aggregate)
        return aggregate

    def held(self, key: UUID) -> Any | None:
        """The aggregate as of the last event folded, if held: no query."""
        return self._held.get(key, (None, None))[1]

    def version(self, key: UUID, version: int) -> Any:
        """The aggregate at `version`, to read only (a fact set once by the first events,
        say): the held one if it is at that version, else a shared copy."""
        held = self.held(key)
        if held is not None and held.version == version:
            return held
        return self._shared.read(self.app, key, version)

    def preload(self, keys: Iterable[UUID], up_to: int) -> None:
        """Fold, in one query, these aggregates as recorded up to `up_to`, the position the
        fold has reached (the stream's reader: the vacancies and demandes of a page's leases,
        instead of two queries per lease); the events after it fold them forward. Held
        aggregates are left as they are."""
        wanted = sorted(k for k in keys if self.held(k) is None)
        if not wanted:
            return
        built: dict[UUID, Any] = {}
        for _, stored in self.app.side.evenements_de(wanted, up_to):
            event: Any = self.app.mapper.to_domain_event(stored)
            built[event.originator_id] = event.mutate(built.get(event.originator_id))
        for key, aggregate in built.items():
            self._remember(key, aggregate.version, aggregate)

    def _remember(self, key: UUID, version: int, aggregate: Any | None) -> None:
        self._held[key] = (version, aggregate)
        self._held.move_to_end(key)
        if len(self._held) > self.size:
            self._held.popitem(last=False)
