"""Service tier: the rule specs through the application and the HTTP API, on a store."""
