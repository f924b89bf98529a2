"""Server-rendered pages for people (the PWA); the JSON API lives in the domain packages."""
