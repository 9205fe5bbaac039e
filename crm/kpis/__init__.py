"""The kpis feature's public face: the managers' dashboard figures (issue 17) and the overview's headline counts.

Periods (crm/kpis/periods.py)
  Period(kind, start, end inclusive): Period.month(y, m), .quarter(y, q), .year(y), .last_12_months(today),
  .custom(a, b); .previous(); .months(); .label(lang); Period.parse(text, today=None) / .key():
  "2026-11", "2026-Q4", "2026", "last12", "2026-01-01..2026-03-31" (ValidationError on the field "period").
Definitions (crm/kpis/definitions.py)
  KpiFilters(owner_id, department_id, value_tier, industry, region): .to_query() / .from_query(dict), .key().
  KpiDefinition(code, unit, higher_is_better, drill, label_key, formula_key); KPIS in display order; KPI_BY_CODE.
  KpiValue(code, value (None: "no data"), numerator, denominator, extra).
  compute_kpis(sessions, *, actor, period, filters, codes=None) -> dict[code, KpiValue]
  drill_down(sessions, *, actor, code, period, filters, page, page_size, key=None) -> (rows, total)
"""

from crm.kpis.definitions import CODES as CODES
from crm.kpis.definitions import KPI_BY_CODE as KPI_BY_CODE
from crm.kpis.definitions import KPIS as KPIS
from crm.kpis.definitions import KpiDefinition as KpiDefinition
from crm.kpis.definitions import KpiFilters as KpiFilters
from crm.kpis.definitions import KpiValue as KpiValue
from crm.kpis.definitions import compute_kpis as compute_kpis
from crm.kpis.definitions import drill_down as drill_down
from crm.kpis.overview import Overview as Overview
from crm.kpis.overview import list_scope as list_scope
from crm.kpis.overview import overview as overview
from crm.kpis.periods import Period as Period
