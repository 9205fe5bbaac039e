"""Maintenance's public face: backup, restore and copying every table to another database."""

from crm.maintenance.service import MaintenanceRefused as MaintenanceRefused
from crm.maintenance.service import TransferReport as TransferReport
from crm.maintenance.service import VerificationFailed as VerificationFailed
from crm.maintenance.service import app_revision as app_revision
from crm.maintenance.service import backup as backup
from crm.maintenance.service import backup_sqlite_file as backup_sqlite_file
from crm.maintenance.service import migrate_data as migrate_data
from crm.maintenance.service import restore as restore
from crm.maintenance.transfer import TableCheck as TableCheck
