"""Adapters at the edge: settings, stores, CLI (and later the Kafka relay)."""
