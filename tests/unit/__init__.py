"""Unit tier: aggregates and rules in memory, no store (milliseconds)."""
