"""The kpis feature's public face: the managers' dashboard figures (issue 17) and the overview's headline counts.

Every read takes `sessions` and keyword-only arguments; staff get their own customers' figures (no complaint
figures: those need kpi.view), other roles the company's. A rate without a denominator is None ("no data").
Labels: catalog keys kpis.kpi.<code> (name), kpis.formula.<code> (tooltip), kpis.unit.<unit>, kpis.period.*,
kpis.status.<green|amber|red>, kpis.stage.<s>, kpis.tier.none, kpis.col.<column>.

Periods (crm/kpis/periods.py)
  Period(kind, start, end inclusive): Period.month(y, m), .quarter(y, q), .year(y), .last_12_months(today) (today's
  month and the 11 before it, up to today), .custom(a, b), .containing_month(day); .previous() (same kind and
  length just before; the last 12 months: a year earlier); .months(); .label(lang);
  Period.parse(text, today=None) / .key(): "2026-11", "2026-Q4", "2026", "last12", "2026-01-01..2026-03-31"
  (ValidationError on the field "period", message kpis.error.period).
Definitions (crm/kpis/definitions.py; computed in compute.py and drill.py)
  KpiFilters(owner_id, department_id, value_tier ("none": not rated), industry, region): the customers counted
      (their columns now); .to_query() / .from_query(dict) for the URL (owner, department, tier, industry, region);
      .key() / .from_key() ("all", "owner=3,tier=high"); NO_FILTERS.
  KpiDefinition(code, unit (count, rate, money, days, hours, score, nps), higher_is_better, drill (customers,
      complaints, responses, tasks, None), label_key, formula_key); KPIS in display order; KPI_BY_CODE; CODES;
      KPI_GROUPS: the codes in groups that share their reads (compute_kpis(codes=group) reads that group's only).
  KpiValue(code, value (None: "no data"), numerator, denominator, extra); .as_json() / .from_json().
  compute_kpis(sessions, *, actor, period, filters=NO_FILTERS, codes=None) -> dict[code, KpiValue]
  drill_down(sessions, *, actor, code, period, filters=NO_FILTERS, page=0, page_size=50, key=None)
      -> (rows: list[dict], total). key: comma-separated "YYYY-MM" (that month) and "dimension:value" (stage,
      value_tier, size_class, importance, region, industry, owner, department, category, severity; "none"
      for an empty one); a plain stage name for a funnel stage. Rows: id, customer_id, code, name, owner and
      the figure's columns. ValidationError on "code" (kpis.error.drill) for a KPI without a list.
Charts (crm/kpis/charts_data.py; each (sessions, *, actor, period, filters) -> plain rows)
  funnel, by_class, concentration_curve, new_vs_churned_by_month, complaints_by_month_and_category
  (-> ComplaintsByMonth(bars, line)), satisfaction_trend, cadence_by_owner, by_region_and_industry.
Targets (crm/kpis/targets.py)
  set_target(sessions, *, actor, kpi, period_key ("YYYY-MM" | "YYYY-Qn"), value, version=None, token=None)
      -> TargetView(kpi, period, target, version)   (kpi.targets: managers, admins; audited, versioned)
  list_targets(sessions, *, actor, period_key=None); targets_for(sessions, period) -> {code: Decimal} (a month
  falls back to its quarter, a third of it for sums); status(value, target, higher_is_better) -> green |
  amber (missed by at most 10% of the target) | red | None.
Snapshots (crm/kpis/snapshots.py)
  snapshot_month(sessions, *, actor, month) -> views stored; snapshot_pending(sessions, *, actor) -> months
  (the daily run); frozen_kpis(sessions, month, filters=NO_FILTERS) -> dict | None;
  kpi_series(sessions, *, actor, code, months, filters=NO_FILTERS, frozen=True) -> [(month, value, frozen)].
"""

from crm.kpis import charts_data as charts_data
from crm.kpis.definitions import CODES as CODES
from crm.kpis.definitions import KPI_BY_CODE as KPI_BY_CODE
from crm.kpis.definitions import KPI_GROUPS as KPI_GROUPS
from crm.kpis.definitions import KPIS as KPIS
from crm.kpis.definitions import NO_FILTERS as NO_FILTERS
from crm.kpis.definitions import KpiDefinition as KpiDefinition
from crm.kpis.definitions import KpiFilters as KpiFilters
from crm.kpis.definitions import KpiValue as KpiValue
from crm.kpis.definitions import compute_kpis as compute_kpis
from crm.kpis.definitions import drill_down as drill_down
from crm.kpis.overview import Overview as Overview
from crm.kpis.overview import list_scope as list_scope
from crm.kpis.overview import overview as overview
from crm.kpis.periods import Period as Period
from crm.kpis.snapshots import frozen_kpis as frozen_kpis
from crm.kpis.snapshots import kpi_series as kpi_series
from crm.kpis.snapshots import snapshot_month as snapshot_month
from crm.kpis.snapshots import snapshot_pending as snapshot_pending
from crm.kpis.targets import TargetView as TargetView
from crm.kpis.targets import list_targets as list_targets
from crm.kpis.targets import set_target as set_target
from crm.kpis.targets import status as status
from crm.kpis.targets import targets_for as targets_for
