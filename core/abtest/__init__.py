"""core.abtest."""
