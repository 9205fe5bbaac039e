"""The administration page's session-state keys, named once: the open tab, forms and one-click actions."""

TAB = "admin_tab"

NEW_USER_FORM = "admin_new_user"
PICK_USER = "admin_pick_user"
ROLE_FORM = "admin_role"
PASSWORD_FORM = "admin_password"
ACTIVE_ACTION = "admin_active"
UNLOCK_ACTION = "admin_unlock"
USERS_FLASH = "admin_flash"  # what the last one-click action on a user did, told after its rerun

AUDIT_FROM = "admin_audit_from"
AUDIT_TO = "admin_audit_to"
AUDIT_PAGE = "admin_audit_page"

SETTINGS_FORM = "admin_settings"

DEPARTMENTS_FLASH = "admin_departments_flash"
DEPARTMENT_PICK = "admin_department_pick"
DEPARTMENT_FORM = "admin_department"
DEPARTMENT_ARCHIVE = "admin_department_archive"
MEMBER_FORM = "admin_department_member"
