"""core.recommend."""
