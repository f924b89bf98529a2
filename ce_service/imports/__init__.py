"""Bulk imports of records and people from CSV or XLSX files, run as background jobs with progress."""
