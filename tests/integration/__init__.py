"""Integration tier: the store matrix (SQLite and PostgreSQL) under concurrency, faults,
rebuilds and replays."""
