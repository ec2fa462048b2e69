"""core.segments."""
