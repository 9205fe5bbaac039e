"""The satisfaction feature's public face (DOMAIN.md section 5): templates, responses, alerts.

Every use case takes `sessions` and keyword-only arguments, checks permissions (satisfaction.view: all roles;
satisfaction.record: admin, manager, staff, staff for their own customers only; satisfaction.manage: admin,
manager), runs in one audited transaction and returns frozen dataclasses. Errors: ValidationError (fields),
PermissionDenied, NotFound, VersionConflict. Labels: catalog keys satisfaction.channel.<c>,
satisfaction.dimension.<d> (a template's own dimensions: dimension_label), satisfaction.band.<b>,
satisfaction.field.<f>. Pages are 0-based.

Vocabulary (crm/satisfaction/vocab.py)
  CHANNELS, DEFAULT_DIMENSIONS, SCORE_BANDS, ALERT_NPS_MAX, ALERT_OVERALL_MAX (defaults; the configured values are
  the low_survey rule's nps_max / csat_max: alert_thresholds(session))

Templates (managers and admins edit; a template with responses gets a new revision instead of a change)
  TemplateInput(name, dimensions: tuple[str, ...], labels: {code: (English, Chinese)} for own dimensions)
  create_template(sessions, *, actor, data, token=None) -> id
  edit_template(sessions, *, actor, template_id, version, data, token=None) -> id of the revision now in force
  retire_template(sessions, *, actor, template_id, version, token=None)
  reactivate_template (also `reactivate`)(sessions, *, actor, template_id, version, token=None) -> id in force
  list_templates(sessions, *, actor, include_retired=False) -> list[TemplateRow]
      TemplateRow: id, family_id, revision, name, dimensions (DimensionView(code, label_en, label_zh).label(lang)),
      labels, is_active, responses, version, created_at; .dimension_codes
  get_template(sessions, *, actor, template_id) -> TemplateRow
  active_template(sessions, family_id) -> TemplateRow | None
  dimension_label(code, labels, lang) -> str

Responses
  ResponseInput(customer_id, responded_on, channel, template_id, scores {code: 1-5 | None}, overall, nps,
                comment=None, contact_id=None, complaint_id=None, campaign_id=None, task_id=None)
  check_response(session, actor, data, errors)      fields: customer_id, contact_id, template_id, channel,
      scores.<code>, overall, nps, answers (nothing answered), responded_on, complaint_id, campaign_id, task_id,
      comment
  insert_response(session, actor, data, *, import_key=None) -> SurveyResponse   (caller's transaction, checked
      data: scores answered, alert flag, audit, campaign member answered, tasks completed, low_survey rule run)
  record_response(sessions, *, actor, data, token=None) -> id
  archive_response(sessions, *, actor, response_id, version, token=None)        (managers: a mistaken entry)
  response_detail(sessions, *, actor, response_id) -> ResponseDetail (scores: ScoreView per template dimension,
      alert_open, alert_closed_at / _by_name, alert_note, contacted_at, task: TaskRef | None, links and names)
  customer_responses(sessions, *, actor, customer_id, limit=200) -> list[ResponseRow]        (customer 360)
  list_responses(sessions, *, actor, filters: ResponseFilters, page=0, page_size=25) -> (list[ResponseRow], total)
      ResponseFilters(start, end (company days, inclusive), channel, template_family_id, campaign_id, owner_id,
      department_id, value_tier, lifecycle_stage, industry, region, score_band, alert_only, customer_id)
  closed_complaints_to_check(sessions, *, actor, customer_id) -> list[ClosedComplaint(id, code, closed_at)]
  alert_thresholds(session) -> (nps_max, overall_max); may_record_for(actor, owner_id) -> bool

Alerts
  open_alerts(sessions, *, actor, page=0, page_size=25, owner_id=None, department_id=None)
      -> (list[AlertRow], total), longest waiting first; AlertRow: response_id, version, responded_at, customer
      (id, code, name), owner_id / _name, department_id, channel, overall, nps, comment, scores,
      task (TaskRef(id, purpose, status, owner_id, owner_name, due_at, completed_at, version) | None)
  close_alert(sessions, *, actor, response_id, version, note, token=None)   (the customer's or the task's owner,
      managers; the note goes to the audit trail; the callback task is completed)

Campaigns (crm/satisfaction/campaigns.py; create, edit, preview and run: satisfaction.manage)
  CampaignInput(name, template_id, starts_on, ends_on, due_in_days, value_tiers, stages, owner_ids, department_ids,
                complaint_closed_within_days); .of(CampaignView) for the edit form
  create_campaign(sessions, *, actor, data, token=None) -> id; edit_campaign(..., campaign_id, version, data) -> version
  preview_campaign(sessions, *, actor, data, campaign_id=None) -> how many customers a run would ask now
  run_campaign(sessions, *, actor, campaign_id) -> RunResult(added, tasks_created, already_members, skipped_no_owner)
  list_campaigns / get_campaign -> CampaignView (members, responded, response_rate None = no data, tasks_open/_done)
  campaign_members(sessions, *, actor, campaign_id, page=0, page_size=50, answered=None) -> (list[MemberRow], total)

Import (crm/satisfaction/imports.py; satisfaction.manage)
  preview_file(sessions, *, actor, filename, data, mapping=None) -> FilePreview; import_fields(...) -> ImportField...
  import_responses(sessions, *, actor, filename, data, mapping=None, dry_run=False, all_or_nothing=False, token=None)
      -> ImportReport(added, already_imported, bad_rows, issues: ImportIssue(line, column_label(lang), message(lang)))
  dry_run_import(...); suggest_mapping(headers, dimensions=None); report_rows / report_csv(report, lang)

Figures (crm/satisfaction/figures.py, formulas in its docstring; satisfaction.view, staff count their own customers;
None = no data, never 0; start and end are company days, both included)
  SatisfactionFilters(owner_id, department_id (the customer's), value_tier ("none": not rated), lifecycle_stage,
                      industry, region, channel, template_family_id, campaign_id)
  satisfaction_figures(sessions, *, actor, start, end, filters=..., now=None, dimensions=True) -> SatisfactionFigures
      (csat: Csat(responses, mean, satisfied, satisfied_share, score_sum), nps: Nps(responses, promoters, passives,
      detractors, score, low, high, small_sample), responses, dimensions {code: DimensionMean(mean, answered,
      unanswered, score_sum)}, recovery: Recovery(alerted_customers, with_later_response, recovered, rate))
  monthly_trend(...) -> list[MonthFigures(month, csat, nps, responses)]      (every month, empty ones no data)
  breakdown(..., by in BREAKDOWNS, lang="en") -> list[BreakdownRow(key, label, csat, nps, responses)]
  recovery_by(..., by "owner" | "department", lang="en", now=None) -> list[RecoveryRow(key, label, recovery)]
  fallen_scores(..., page=0, page_size=25) -> (list[FallenScore], total); nps_from_counts, csat_from_counts
  The figures without dimensions and the trend read the rollups of crm/satisfaction/rollups.py (satisfaction_months,
  satisfaction_alert_months) for whole months when only the customer's segment is filtered on.
"""

import crm.satisfaction.rollups  # noqa: F401  (registers the satisfaction rollups, kept in step on every flush)
from crm.exchange import report_csv as report_csv
from crm.exchange import report_rows as report_rows
from crm.satisfaction.alerts import AlertRow as AlertRow
from crm.satisfaction.alerts import close_alert as close_alert
from crm.satisfaction.alerts import open_alerts as open_alerts
from crm.satisfaction.campaigns import CampaignInput as CampaignInput
from crm.satisfaction.campaigns import CampaignView as CampaignView
from crm.satisfaction.campaigns import MemberRow as MemberRow
from crm.satisfaction.campaigns import RunResult as RunResult
from crm.satisfaction.campaigns import campaign_members as campaign_members
from crm.satisfaction.campaigns import create_campaign as create_campaign
from crm.satisfaction.campaigns import edit_campaign as edit_campaign
from crm.satisfaction.campaigns import get_campaign as get_campaign
from crm.satisfaction.campaigns import list_campaigns as list_campaigns
from crm.satisfaction.campaigns import preview_campaign as preview_campaign
from crm.satisfaction.campaigns import run_campaign as run_campaign
from crm.satisfaction.figures import BREAKDOWNS as BREAKDOWNS
from crm.satisfaction.figures import BreakdownRow as BreakdownRow
from crm.satisfaction.figures import Csat as Csat
from crm.satisfaction.figures import DimensionMean as DimensionMean
from crm.satisfaction.figures import FallenScore as FallenScore
from crm.satisfaction.figures import MonthFigures as MonthFigures
from crm.satisfaction.figures import Nps as Nps
from crm.satisfaction.figures import Recovery as Recovery
from crm.satisfaction.figures import RecoveryRow as RecoveryRow
from crm.satisfaction.figures import SatisfactionFigures as SatisfactionFigures
from crm.satisfaction.figures import SatisfactionFilters as SatisfactionFilters
from crm.satisfaction.figures import breakdown as breakdown
from crm.satisfaction.figures import csat_from_counts as csat_from_counts
from crm.satisfaction.figures import fallen_scores as fallen_scores
from crm.satisfaction.figures import monthly_trend as monthly_trend
from crm.satisfaction.figures import nps_from_counts as nps_from_counts
from crm.satisfaction.figures import recovery_by as recovery_by
from crm.satisfaction.figures import satisfaction_figures as satisfaction_figures
from crm.satisfaction.imports import ImportField as ImportField
from crm.satisfaction.imports import ImportIssue as ImportIssue
from crm.satisfaction.imports import ImportReport as ImportReport
from crm.satisfaction.imports import dry_run_import as dry_run_import
from crm.satisfaction.imports import import_fields as import_fields
from crm.satisfaction.imports import import_responses as import_responses
from crm.satisfaction.imports import preview_file as preview_file
from crm.satisfaction.imports import suggest_mapping as suggest_mapping
from crm.satisfaction.responses import ClosedComplaint as ClosedComplaint
from crm.satisfaction.responses import ResponseDetail as ResponseDetail
from crm.satisfaction.responses import ResponseFilters as ResponseFilters
from crm.satisfaction.responses import ResponseInput as ResponseInput
from crm.satisfaction.responses import ResponseRow as ResponseRow
from crm.satisfaction.responses import ScoreView as ScoreView
from crm.satisfaction.responses import TaskRef as TaskRef
from crm.satisfaction.responses import alert_thresholds as alert_thresholds
from crm.satisfaction.responses import archive_response as archive_response
from crm.satisfaction.responses import check_response as check_response
from crm.satisfaction.responses import closed_complaints_to_check as closed_complaints_to_check
from crm.satisfaction.responses import customer_responses as customer_responses
from crm.satisfaction.responses import insert_response as insert_response
from crm.satisfaction.responses import list_responses as list_responses
from crm.satisfaction.responses import may_record_for as may_record_for
from crm.satisfaction.responses import record_response as record_response
from crm.satisfaction.responses import response_detail as response_detail
from crm.satisfaction.templates import DimensionView as DimensionView
from crm.satisfaction.templates import TemplateInput as TemplateInput
from crm.satisfaction.templates import TemplateRow as TemplateRow
from crm.satisfaction.templates import active_template as active_template
from crm.satisfaction.templates import create_template as create_template
from crm.satisfaction.templates import dimension_label as dimension_label
from crm.satisfaction.templates import edit_template as edit_template
from crm.satisfaction.templates import get_template as get_template
from crm.satisfaction.templates import list_templates as list_templates
from crm.satisfaction.templates import reactivate as reactivate
from crm.satisfaction.templates import reactivate_template as reactivate_template
from crm.satisfaction.templates import retire_template as retire_template
from crm.satisfaction.vocab import ALERT_NPS_MAX as ALERT_NPS_MAX
from crm.satisfaction.vocab import ALERT_OVERALL_MAX as ALERT_OVERALL_MAX
from crm.satisfaction.vocab import CHANNELS as CHANNELS
from crm.satisfaction.vocab import DEFAULT_DIMENSIONS as DEFAULT_DIMENSIONS
from crm.satisfaction.vocab import SCORE_BANDS as SCORE_BANDS
