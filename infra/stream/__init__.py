"""The public event stream: its contract (payloads, schemas, AsyncAPI), the pull feed's
reader, the Kafka relay and `hlm tail`."""
