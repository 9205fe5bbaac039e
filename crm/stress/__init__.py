"""The stress feature's public face: concurrent users on the same records, and the checks that nothing was lost.

run(*, url, workers, ops, seed=42, pool_size=40, progress=...) -> Report
    Fills the database at `url` (empty, or filled by an earlier run; never the configured one: StressRefused)
    with the demo data, starts `workers` processes that each do `ops` read-then-save operations on a shared
    pool of customers, their follow-ups, complaints and survey responses, then checks the audit trail and the
    derived counts. The workers are spawned processes, which import the caller's main module: call run() from
    a script only under `if __name__ == "__main__":` (python -m crm stress does).
Report: per-kind KindFigures (operations, accepted, conflicts, refused, errors, retried, read / save p50 and p95
    ms), the checks' counts (conflicts_unnamed, refusals_unexplained, errors, audit_missing, lost_updates,
    calendar_drift, next_follow_up_drift, last_contact_drift, worker_failures), samples of each failure,
    .failed_checks and .passed.
render(report, lang) -> str: the report as printed by `python -m crm stress`; as_json(report) -> dict.
"""

from crm.stress.checks import KindFigures as KindFigures
from crm.stress.checks import Report as Report
from crm.stress.commands import as_json as as_json
from crm.stress.commands import render as render
from crm.stress.runner import StressRefused as StressRefused
from crm.stress.runner import run as run
