"""The customer-management services: crm.platform and one package per feature (see README, Architecture)."""

# Session listeners that keep derived tables in step must be registered before any session writes.
import crm.follow_ups.calendar_counts  # noqa: F401,E402  (keeps follow_up_day_counts in step on every flush)
import crm.kpis.cadence  # noqa: F401,E402  (and the cadence compliance rollups)
import crm.kpis.rollups  # noqa: F401,E402  (keeps the dashboard's kpi_* rollups in step on every flush)
