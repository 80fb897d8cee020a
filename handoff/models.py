"""Offers, routing, SLA timers, touches and dispositions (issue 4)."""
