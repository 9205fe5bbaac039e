"""The complaints feature's public face: complaints, inquiries, suggestions, departments, time limits, figures.

Every use case takes `sessions` and keyword-only arguments, checks permissions (departments.manage: admins;
complaints.view: all roles; complaints.handle: admin, manager, staff; complaints.manage: admin, manager;
figures: kpi.view), runs in one audited transaction, and returns frozen dataclasses. Writes take the `version`
the page showed and an optional form `token`; `now` is injectable (tests). Errors: ValidationError (fields),
PermissionDenied, NotFound, TransitionNotAllowed (params status, state = its label in the actor's language,
action), StaleCase (a VersionConflict: who, fields, status, state), DuplicateSubmission. Labels: catalog keys
complaint_status.<s>, inquiry_status.<s>, suggestion_status.<s>, complaints.action.<a>, complaints.severity.<s>,
complaints.channel.<c>, complaints.category.<c> (custom ones carry their names), complaints.impact.<i>,
complaints.function.<f>, complaints.event.<kind>, complaints.flag.<breached|at_risk>, complaints.queue.<q>,
complaints.figure.<f>, complaints.field.<f>. Attachments: offer download only (AttachmentFile), never render.

Departments
  list_departments(sessions, *, actor, include_archived=False) -> list[DepartmentView]
      DepartmentView: id, code, name_en, name_zh, function, head_id, head_name, members, archived, version;
      .label(lang). department_label(name_en, name_zh, lang) for the *_name_en / *_name_zh pairs of other views.
  save_department(sessions, *, actor, data: DepartmentInput(code, name_en, name_zh, function, head_id),
                  department_id=None, version=None, token=None) -> DepartmentView    (admins; the head joins it)
  archive_department(sessions, *, actor, department_id, version, token=None)
  set_user_department(sessions, *, actor, user_id, department_id | None, version=None, token=None)

Complaints
  file_complaint(sessions, *, actor, data: ComplaintInput, attachments=(AttachmentInput(filename, content),),
                 token=None, now=None) -> ComplaintView
      ComplaintInput: customer_id, channel, description, severity, category=None, contact_id=None,
      occurred_at=None, impact_scope=None, expected_resolution=None, department_id=None, assignee_id=None,
      received_at=None. Reference C-YYYY-NNNNNN; deadlines from the time limits.
  get_complaint(sessions, *, actor, complaint_id, now=None) -> ComplaintDetail
      ComplaintDetail: complaint (ComplaintView), events (EventView...), attachments (AttachmentView...),
      allowed_actions (offer only these), may_hand_off, may_change_severity, may_attach,
      department_times (DepartmentTime: department, seconds held, waiting excluded), waiting_seconds.
      ComplaintView: the facts, status, department/assignee ids and names, acknowledge_due_at, resolve_due_at,
      next_due_at (the running deadline), flag ("breached" / "at_risk" / None), acknowledged_at,
      first_resolved_at, resolved_at, closed_at, waiting_since, paused_seconds, reopen_count, escalated,
      resolution, rejection_reason, customer_satisfied, confirmed_at / _by, confirmation_channel, inquiry_id,
      version. EventView: kind (transition / handoff / severity / escalation / note / converted), at,
      from_status, to_status, actor_name, department and assignee, note, old_value, new_value, satisfied,
      confirmed_by, channel.
  transition(sessions, *, actor, complaint_id, version, action, note=None, confirmation=None, root_cause=None,
             token=None, now=None) -> ComplaintView
      action in ACTIONS: acknowledge, start, wait_for_customer, resume, resolve (note = the resolution),
      confirm_satisfied / confirm_not_satisfied (confirmation=Confirmation(confirmed_by, channel, satisfied,
      confirmed_at=None); not satisfied reopens, the second reopen escalates), reject (managers; note = reason).
  allowed_transitions(actor, complaint_view, *, actor_department_id, customer_owner_id) -> tuple[str, ...]
  hand_off(sessions, *, actor, complaint_id, version, department_id, assignee_id, note=None, ...) -> ComplaintView
  change_severity(sessions, *, actor, complaint_id, version, severity, note=None, ...) -> ComplaintView
  edit_complaint(sessions, *, actor, complaint_id, version, edits: ComplaintEdits, ...) -> ComplaintView
  add_note(sessions, *, actor, complaint_id, version, note, ...) -> ComplaintView
  add_attachments(sessions, *, actor, complaint_id, version, attachments, ...) -> ComplaintView
  download_attachment(sessions, *, actor, attachment_id) -> AttachmentFile(filename, content_type, content)

Queues
  complaint_queue(sessions, *, actor, flt: QueueFilter, page=0, page_size=25, now=None) -> QueuePage
      QueueFilter: queue in QUEUES (mine, department, all (managers, viewers), breached, waiting_confirmation),
      statuses, severities, categories, department_ids, assignee_ids (tuples), customer_id, received_from,
      received_to (company days). QueuePage: rows (QueueRow: id, code, version, customer, severity, category,
      status, department, assignee, received_at, next_due_at, flag, reopen_count, escalated), total, page, page_size.
  customer_cases(sessions, *, actor, customer_id, limit=50) -> tuple[QueueRow, ...]   (customer 360)

Inquiries
  file_inquiry(sessions, *, actor, data: InquiryInput(customer_id, channel, question, contact_id=None,
               department_id=None, assignee_id=None, received_at=None), token=None, now=None) -> InquiryView
  get_inquiry / list_inquiries(sessions, *, actor, status=None, customer_id=None, page=0, page_size=50)
      -> (list[InquiryView], total). InquiryView: code Q-YYYY-NNNNNN, question, answer, status, deadlines
      (respond_due_at, answer_due_at), flag, complaint_id, allowed_actions (respond, answer, close, convert).
  respond_to_inquiry / answer_inquiry(answer=...) / close_inquiry(sessions, *, actor, inquiry_id, version, ...)
  convert_to_complaint(sessions, *, actor, inquiry_id, version, severity, category=None, description=None,
                       impact_scope=None, expected_resolution=None, ...) -> ComplaintView

Suggestions
  record_suggestion(sessions, *, actor, data: SuggestionInput(customer_id, channel, content, category=None,
                    department_id=None, contact_id=None, received_at=None), ...) -> SuggestionView
  evaluate_suggestion(sessions, *, actor, suggestion_id, version, result (adopt / adopt_partly / not_adopt),
                      reason, action_taken=None, ...) -> SuggestionView
  record_action_taken(..., action_taken) / inform_customer(..., informed_at=None) -> SuggestionView
  get_suggestion / list_suggestions(sessions, *, actor, status=None, department_id=None, category=None,
                   customer_id=None, page=0, page_size=50) -> (list[SuggestionView], total)

Time limits and categories (managers edit)
  read_policy(sessions, *, actor) -> SlaPolicy(mode "calendar" | "working", work_start, work_end,
      targets {severity: Targets(acknowledge_hours, resolve_days)}, inquiry_respond_hours, inquiry_answer_days,
      version); .with_targets(severity, acknowledge_hours=, resolve_days=) for the what-if and the form.
  save_policy(sessions, *, actor, policy, token=None) -> SlaPolicy
  list_categories(sessions, *, actor) -> list[Category(code, name_en, name_zh)]  (None names: catalog labels)
  save_categories(sessions, *, actor, added: list[Category], token=None) -> list[Category]

Figures (complaints received in the period; a rate without a denominator is None: "no data")
  period_figures(sessions, *, actor, start, end) -> PeriodFigures(overall, by_department, by_severity,
      by_department_and_severity: Figures). Figures: received, resolution_rate, on_time_rate, reopen_rate,
      median_acknowledge_seconds, median_resolve_seconds, adoption_rate (and the counts behind them).
  root_causes(sessions, *, actor, start, end, top=20, customers=None) -> RootCauses(by_category,
      by_department: {(month, key): complaints}, repeat_complainers)
  (period_figures and root_causes take customers=, a SELECT of customer ids: only their complaints count.)
  Segments, read from the complaint rollups (crm/complaints/rollups.py, kept in step with every write): the
  live customers of a crm.platform.rollups.SegmentFilter(owner_ids, department_id, value_tier, industry, region)
  period_figures(..., segment=) -> PeriodFigures with overall only (medians exact; by_* empty)
  monthly_figures(sessions, *, actor, start, end, segment=None) -> [(month, Figures)] per company month, counts
      and rates only (no medians), in one pass
  root_causes(..., segment=, departments=True) -> by_category from the rollups; by_department (departments=False:
      empty) and repeat complainers (top=0: none) from the complaints
  what_if_on_time(sessions, *, actor, proposed: SlaPolicy, start, end) -> list[WhatIfRow(department_id,
      severity, resolved, on_time_now, on_time_proposed, rate_now, rate_proposed)]   (managers)
"""

import crm.complaints.rollups  # noqa: F401  (registers the complaint rollups: kept in step from every flush on)
from crm.complaints.common import StaleCase as StaleCase
from crm.complaints.common import TransitionNotAllowed as TransitionNotAllowed
from crm.complaints.departments import DepartmentInput as DepartmentInput
from crm.complaints.departments import DepartmentView as DepartmentView
from crm.complaints.departments import archive_department as archive_department
from crm.complaints.departments import department_label as department_label
from crm.complaints.departments import list_departments as list_departments
from crm.complaints.departments import save_department as save_department
from crm.complaints.departments import set_user_department as set_user_department
from crm.complaints.figures import Figures as Figures
from crm.complaints.figures import PeriodFigures as PeriodFigures
from crm.complaints.figures import WhatIfRow as WhatIfRow
from crm.complaints.figures import monthly_figures as monthly_figures
from crm.complaints.figures import period_figures as period_figures
from crm.complaints.figures import root_causes as root_causes
from crm.complaints.figures import what_if_on_time as what_if_on_time
from crm.complaints.inquiries import InquiryInput as InquiryInput
from crm.complaints.inquiries import InquiryStep as InquiryStep
from crm.complaints.inquiries import InquiryView as InquiryView
from crm.complaints.inquiries import answer_inquiry as answer_inquiry
from crm.complaints.inquiries import close_inquiry as close_inquiry
from crm.complaints.inquiries import convert_to_complaint as convert_to_complaint
from crm.complaints.inquiries import file_inquiry as file_inquiry
from crm.complaints.inquiries import get_inquiry as get_inquiry
from crm.complaints.inquiries import list_inquiries as list_inquiries
from crm.complaints.inquiries import respond_to_inquiry as respond_to_inquiry
from crm.complaints.intake import AttachmentInput as AttachmentInput
from crm.complaints.intake import ComplaintInput as ComplaintInput
from crm.complaints.intake import file_complaint as file_complaint
from crm.complaints.limits import Category as Category
from crm.complaints.limits import list_categories as list_categories
from crm.complaints.limits import read_policy as read_policy
from crm.complaints.limits import save_categories as save_categories
from crm.complaints.limits import save_policy as save_policy
from crm.complaints.queues import QUEUES as QUEUES
from crm.complaints.queues import QueueFilter as QueueFilter
from crm.complaints.queues import QueuePage as QueuePage
from crm.complaints.queues import QueueRow as QueueRow
from crm.complaints.queues import complaint_queue as complaint_queue
from crm.complaints.queues import customer_cases as customer_cases
from crm.complaints.sla import SlaPolicy as SlaPolicy
from crm.complaints.sla import Targets as Targets
from crm.complaints.states import ACTIONS as ACTIONS
from crm.complaints.suggestions import SuggestionInput as SuggestionInput
from crm.complaints.suggestions import SuggestionView as SuggestionView
from crm.complaints.suggestions import evaluate_suggestion as evaluate_suggestion
from crm.complaints.suggestions import get_suggestion as get_suggestion
from crm.complaints.suggestions import inform_customer as inform_customer
from crm.complaints.suggestions import list_suggestions as list_suggestions
from crm.complaints.suggestions import record_action_taken as record_action_taken
from crm.complaints.suggestions import record_suggestion as record_suggestion
from crm.complaints.views import AttachmentView as AttachmentView
from crm.complaints.views import ComplaintDetail as ComplaintDetail
from crm.complaints.views import ComplaintView as ComplaintView
from crm.complaints.views import DepartmentTime as DepartmentTime
from crm.complaints.views import EventView as EventView
from crm.complaints.vocab import OPEN_STATUSES as OPEN_STATUSES
from crm.complaints.workflow import AttachmentFile as AttachmentFile
from crm.complaints.workflow import ComplaintEdits as ComplaintEdits
from crm.complaints.workflow import Confirmation as Confirmation
from crm.complaints.workflow import add_attachments as add_attachments
from crm.complaints.workflow import add_note as add_note
from crm.complaints.workflow import allowed_transitions as allowed_transitions
from crm.complaints.workflow import change_severity as change_severity
from crm.complaints.workflow import download_attachment as download_attachment
from crm.complaints.workflow import edit_complaint as edit_complaint
from crm.complaints.workflow import get_complaint as get_complaint
from crm.complaints.workflow import hand_off as hand_off
from crm.complaints.workflow import transition as transition
