"""The state of an aggregate right after one of its events, for views that derive rows
from whole aggregate states. Cached aggregates are advanced in memory when the event is the
next one; otherwise the store rebuilds the aggregate at that version."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from eventsourcing.application import Application


class AggregateCache:
    def __init__(self, app: Application[Any], size: int = 20_000) -> None:
        self.app = app
        self.size = size
        self._cache: OrderedDict[Any, Any] = OrderedDict()

    def after(self, event: Any) -> Any:
        key = event.originator_id
        aggregate = self._cache.pop(key, None)
        if aggregate is not None and aggregate.version == event.originator_version - 1:
            aggregate = event.mutate(aggregate)
        else:
            aggregate = self.app.repository.get(key, version=event.originator_version)
        self._cache[key] = aggregate
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return aggregate
