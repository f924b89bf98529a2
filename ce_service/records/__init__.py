"""A record's lifecycle and its events, and the professional's own records API."""
