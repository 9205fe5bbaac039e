"""Per-feature CLI commands: each module defines `register(subparsers)`; crm.cli loads them all."""
