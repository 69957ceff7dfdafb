"""The state of aggregates as of the position a view has reached.

Views derive rows from whole aggregate states. Every event a view sees passes through
`after`, so `state(id)` is the aggregate as of the view's position, never a state recorded
later (which would leak into earlier `known_at` answers). Cached aggregates are advanced in
memory when the event is the next one; otherwise the store rebuilds the aggregate at that
version."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from domain.application import HlmApplication


class AggregateCache:
    def __init__(self, app: HlmApplication, size: int = 20_000) -> None:
        self.app = app
        self.size = size
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._versions: dict[Any, int] = {}

    def after(self, event: Any) -> Any:
        key = event.originator_id
        aggregate = self._cache.pop(key, None)
        if aggregate is not None and aggregate.version == event.originator_version - 1:
            aggregate = event.mutate(aggregate)
        elif event.originator_version == 1:  # the creation event: no need to read the store
            aggregate = event.mutate(None)
        else:
            aggregate = self.app.repository.get(key, version=event.originator_version)
        self._versions[key] = event.originator_version
        self._remember(key, aggregate)
        return aggregate

    def state(self, key: Any, position: int) -> Any | None:
        """The aggregate as of `position`, the view's position: from what this cache saw,
        else (after a restart) from the store, up to the last version recorded by then."""
        version = self._versions.get(key)
        if version is None:
            found = self.app.side.version_a(key, position)
            if found is None:
                return None
            version = self._versions[key] = found
        aggregate = self._cache.get(key)
        if aggregate is None or aggregate.version != version:
            aggregate = self.app.repository.get(key, version=version)
            self._remember(key, aggregate)
        else:
            self._cache.move_to_end(key)
        return aggregate

    def _remember(self, key: Any, aggregate: Any) -> None:
        self._cache[key] = aggregate
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
