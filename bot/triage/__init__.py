"""Triage: category and resolver group from trained classifiers, priority from the impact x urgency matrix."""
