"""Closed-loop reports (issue 6)."""
