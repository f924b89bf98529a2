"""Certificate files (evidence): stored once by content hash, served only to the owner and reviewers in scope."""
