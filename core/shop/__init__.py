"""core.shop."""
