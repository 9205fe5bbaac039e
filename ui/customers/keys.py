"""The customer screens' session-state keys shared between modules, named once."""

NOTICE = "customers_notice"  # what the last save did, told once as a toast on the next run
NEW_FORM = "customers_new"
NEW_CANDIDATES = f"{NEW_FORM}__candidates"  # the possible duplicates a new customer's save found
