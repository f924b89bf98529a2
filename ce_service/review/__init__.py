"""Verification: reviewers' queues and decisions (unit, then HR or health department), by routing data."""
