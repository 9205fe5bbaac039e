"""The exchange feature's public face: what other features may use."""

from crm.exchange.exports import defuse_formula as defuse_formula
from crm.exchange.imports import FilePreview as FilePreview
from crm.exchange.imports import parse_date as parse_date
from crm.exchange.imports import report_csv as report_csv
from crm.exchange.imports import report_rows as report_rows
from crm.exchange.tabular import Table as Table
from crm.exchange.tabular import fold as fold
from crm.exchange.tabular import read_table as read_table
