"""Persistence adapters: the event store and its side tables, locks, maintenance."""
