"""core.ingest."""
