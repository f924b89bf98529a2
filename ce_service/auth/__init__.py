"""Machine clients (bearer tokens), users (passwords, sessions, CSRF) and the guards by role."""
