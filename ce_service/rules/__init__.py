"""Yearly CE requirements as data (files, loader, store) and the pure evaluation of a person's years."""
