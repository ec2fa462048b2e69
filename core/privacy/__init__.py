"""core.privacy."""
