"""A record's statuses and the names of its actions: pure, no I/O (the moves are in transitions.py)."""

from __future__ import annotations

STATUSES = ("draft", "submitted", "unit_approved", "registered", "returned", "withdrawn", "revoked", "superseded")

# Statuses whose hours are waiting for a decision (shown as pending, never counted).
PENDING = frozenset({"submitted", "unit_approved"})

# Statuses in which the owner may still change the content.
EDITABLE = frozenset({"draft", "returned"})
