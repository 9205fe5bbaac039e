"""Entry point for `python -m crm`."""

from crm.cli import main

raise SystemExit(main())
