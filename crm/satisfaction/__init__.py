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
"""

from crm.satisfaction.alerts import AlertRow as AlertRow
from crm.satisfaction.alerts import close_alert as close_alert
from crm.satisfaction.alerts import open_alerts as open_alerts
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
