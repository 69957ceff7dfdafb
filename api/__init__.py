"""HTTP API v1 (../shared/contract/API.md)."""
