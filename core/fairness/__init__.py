"""core.fairness."""
