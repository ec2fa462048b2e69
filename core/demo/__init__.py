"""core.demo."""
