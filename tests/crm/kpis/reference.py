"""The KPIs' second computation for the tests: pandas over the raw rows (crm/bench/naive_kpis.py, also the dashboard
benchmark's baseline), independent of crm/kpis."""

from crm.bench.naive_kpis import Raw as Raw
from crm.bench.naive_kpis import load as load
from crm.bench.naive_kpis import reference as reference
