"""The customer screens' session-state and widget keys, named once (tests find the widgets by these keys)."""

NOTICE = "customers_notice"  # what the last save did, told once as a toast on the next run

# --- the list's filters (sidebar) -------------------------------------------------------------------------
F_MINE = "customers_f_mine"
F_OWNER = "customers_f_owner"
F_DEPARTMENT = "customers_f_department"
F_STAGE = "customers_f_stage"
F_TIER = "customers_f_tier"
F_INDUSTRY = "customers_f_industry"
F_REGION = "customers_f_region"
F_SOURCE = "customers_f_source"
F_TAG = "customers_f_tag"
F_STATE = "customers_f_state"
F_ARCHIVED = "customers_f_archived"
FILTERS = (F_MINE, F_OWNER, F_DEPARTMENT, F_STAGE, F_TIER, F_INDUSTRY, F_REGION, F_SOURCE, F_TAG, F_STATE, F_ARCHIVED)
PRESET_NOTHING_PLANNED = "customers_preset_nothing_planned"
RESET = "customers_reset"

# --- the list: search, sort, columns, table, paging -------------------------------------------------------
SEARCH = "customers_search"
SORT = "customers_sort"
DESCENDING = "customers_desc"
PAGE_SIZE = "customers_page_size"
COLUMNS = "customers_columns"
COLUMNS_USER = f"{COLUMNS}__user"  # whose saved columns the picker holds
COLUMNS_SAVED = f"{COLUMNS}__saved"
COLUMNS_RESET = f"{COLUMNS}_reset"
TABLE = "customers_table"
PAGE_IDS = "customers_page_ids"  # the ids of the rows the table shows, in its order
LABELS = "customers_labels"  # {id: label} of every customer the list has shown, for the bulk selection
OPEN = "customers_open"
PAGE = "customers_page"
FILTER_SIGNATURE = "customers_filter_signature"  # a new filter goes back to the first page

# --- bulk actions -------------------------------------------------------------------------------------------
BULK_FORM = "customers_bulk"
BULK_ENABLED = "customers_bulk_enabled"  # the table's selection picks customers for the bulk panel
BULK_IDS = "customers_bulk_ids"
BULK_OPEN = "customers_bulk_open"
BULK_ACTION = "customers_bulk_action"
BULK_OWNER = "customers_bulk_owner"
BULK_TAG = "customers_bulk_tag"
BULK_APPLY = "customers_bulk_apply"

# --- new customer -------------------------------------------------------------------------------------------
NEW_FORM = "customers_new"  # the form's key (and the prefix of its widgets)
NEW_CANDIDATES = f"{NEW_FORM}__candidates"  # the possible duplicates a new customer's save found

# --- the 360 view ----------------------------------------------------------------------------------------
BACK = "customers_back"
PROFILE_FORM = "customers_edit"
ARCHIVE = "customers_archive"
RESTORE = "customers_restore"
CONTACTS = "customers_contact"  # the prefix of the contacts panel's picker, form and archive button
ORDERS = "customers_order"
CONTRACTS = "customers_contract"
PAYMENT_CONTRACT = "customers_payment_contract"
TIMELINE_MORE = "customers_timeline_more"
LOG_CONTACT = "customers_log"  # the prefix of the follow-ups tab's log-a-contact form
MERGE_FORM = "customers_merge"
MERGE_SEARCH = "customers_merge_search"


def profile_text(customer_id: int, name: str) -> str:
    """A long profile text (needs, notes...) shown first lines only until 'Show more'."""
    return f"customers_profile_{customer_id}_{name}"


def payments(contract_id: int) -> str:
    """The prefix of a contract's payments panel."""
    return f"customers_payment_{contract_id}"


def timeline_entry(customer_id: int, entry: str) -> str:
    """A timeline entry's long text; `entry` names the entry so the key stays with it as the timeline grows."""
    return f"customers_timeline_{customer_id}_{entry}"


def timeline_limit(customer_id: int) -> str:
    """How many timeline entries a customer's 360 view shows ('Show more' raises it)."""
    return f"customers_timeline_limit_{customer_id}"


# --- import and export ----------------------------------------------------------------------------------
IMPORT_FORM = "customers_import"
IMPORT_REPORT = "customers_import_report"  # (file fingerprint, the last dry run's or run's report)
IMPORT_REPORT_DOWNLOAD = "customers_import_report_download"
IMPORT_KIND = "customers_import_kind"
IMPORT_FILE = "customers_import_file"
IMPORT_ALL_OR_NOTHING = "customers_import_all_or_nothing"
IMPORT_CREATE_MISSING = "customers_import_create_missing"
IMPORT_ON_DUPLICATE = "customers_import_on_duplicate"
IMPORT_DRY_RUN = "customers_import_dry_run"
IMPORT_RUN = "customers_import_run"
EXPORT_KIND = "customers_export_kind"
EXPORT_SCOPE = "customers_export_scope"


def import_mapping(fingerprint: str, column: int) -> str:
    """The field a file's column goes to; the file's fingerprint gives another file its own suggested mapping."""
    return f"customers_import_map_{fingerprint}_{column}"


def import_duplicate(fingerprint: str, on_duplicate: str, line: int) -> str:
    """What to do with one possible duplicate; the file-wide choice in the key starts every row from it."""
    return f"customers_import_dup_{fingerprint}_{on_duplicate}_{line}"


def export(fmt: str) -> str:
    return f"customers_export_{fmt}"
