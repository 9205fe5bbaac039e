"""Per-feature translation catalogs; crm.i18n merges every module's MESSAGES into one catalog."""
