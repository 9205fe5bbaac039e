"""The administration screens: users and roles, the audit trail, the company's settings."""
