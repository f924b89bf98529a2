"""`python -m ce_service` is the same as the `ce-service` command."""

from ce_service.cli import main

raise SystemExit(main())
