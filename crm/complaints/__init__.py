"""The complaints feature's public face: complaints, inquiries, suggestions, departments, time limits, figures.

(API summary for the page: see the end of this docstring, filled in below.)
"""

from crm.complaints.common import StaleCase as StaleCase
from crm.complaints.common import TransitionNotAllowed as TransitionNotAllowed
from crm.complaints.departments import DepartmentInput as DepartmentInput
from crm.complaints.departments import DepartmentView as DepartmentView
from crm.complaints.departments import archive_department as archive_department
from crm.complaints.departments import department_label as department_label
from crm.complaints.departments import list_departments as list_departments
from crm.complaints.departments import save_department as save_department
from crm.complaints.departments import set_user_department as set_user_department
from crm.complaints.intake import AttachmentInput as AttachmentInput
from crm.complaints.intake import ComplaintInput as ComplaintInput
from crm.complaints.intake import file_complaint as file_complaint
from crm.complaints.states import ACTIONS as ACTIONS
from crm.complaints.views import ComplaintDetail as ComplaintDetail
from crm.complaints.views import ComplaintView as ComplaintView
from crm.complaints.views import EventView as EventView
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
