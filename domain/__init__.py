"""Pure domain model of the social-housing allocation lifecycle (no I/O)."""
