"""End-to-end tier: the public contract as clients see it: the feed, the stream to Kafka,
the OpenAPI document, real processes, the compose file."""
