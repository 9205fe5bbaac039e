"""Importing survey responses: CSV and Excel, English and Chinese headers, a reason per bad row, nothing
half-written, re-import adds nothing, the dry run writes nothing, and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.cli import main
from crm.platform import clock
from crm.platform.errors import PermissionDenied
from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from crm.platform.users import create_user
from crm.satisfaction import report_csv, report_rows
from crm.satisfaction.campaigns import CampaignInput, create_campaign, get_campaign, run_campaign
from crm.satisfaction.imports import (
    ImportReport,
    dry_run_import,
    import_fields,
    import_key,
    import_responses,
    preview_file,
    suggest_mapping,
)
from db.engine import Sessions
from db.models import (
    AuditLog,
    Complaint,
    Contact,
    Customer,
    FollowUpTask,
    SurveyCampaignMember,
    SurveyResponse,
    SurveyScore,
    SurveyTemplate,
)

# Monday 7 December 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
FIVE = ["product_quality", "service_attitude", "response_speed", "problem_resolution", "value_for_money"]
_codes = itertools.count(1)


@dataclass(frozen=True)
class Shop:
    manager: Actor
    staff: Actor
    annual_id: int
    check_id: int  # the post-complaint check: two dimensions and one of its own
    campaign_id: int
    contact_id: int  # 王芳, C001's primary contact
    complaint_id: int  # C-2026-000001, C001's, closed


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen_at(NOW):
        yield


def _customer(session: Session, code: str, name: str, owner_id: int) -> int:
    row = Customer(code=code, name=name, name_key=normalise_name(name), owner_id=owner_id)
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def shop(sessions: Sessions) -> Shop:
    def user(name: str, role: str) -> Actor:
        return create_user(
            sessions, actor=SYSTEM, username=name, display_name=name.title(), password="secret-pass-1", role=role
        ).as_actor()

    manager, staff = user("lina", "manager"), user("wei", "staff")
    with transaction(sessions, actor=SYSTEM) as session:
        annual = SurveyTemplate(name="Annual survey", dimensions=FIVE, labels={}, is_active=True)
        check = SurveyTemplate(
            name="投诉回访 Post-complaint check",
            dimensions=["problem_resolution", "service_attitude", "delivery"],
            labels={"delivery": ["Delivery on time", "交付及时性"]},
            is_active=True,
        )
        session.add_all([annual, check])
        session.flush()
        annual.family_id, check.family_id = annual.id, check.id
        c1 = _customer(session, "C001", "北京星辰科技有限公司", staff.id)
        _customer(session, "C002", "上海海风贸易有限公司", staff.id)
        _customer(session, "C003", "Acme Ltd", manager.id)
        contact = Contact(customer_id=c1, name="王芳", is_primary=True)
        complaint = Complaint(
            code="C-2026-000001",
            customer_id=c1,
            channel="phone",
            received_at=NOW - dt.timedelta(days=10),
            description="Late delivery",
            severity="medium",
            status="closed",
            closed_at=NOW - dt.timedelta(days=2),
        )
        session.add_all([contact, complaint])
        session.flush()
        ids = annual.id, check.id, contact.id, complaint.id
    campaign_id = create_campaign(
        sessions,
        actor=manager,
        data=CampaignInput(
            name="Year-end survey", template_id=ids[0], starts_on=dt.date(2026, 12, 1), ends_on=None, due_in_days=7
        ),
    )
    run_campaign(sessions, actor=manager, campaign_id=campaign_id)
    return Shop(manager, staff, ids[0], ids[1], campaign_id, ids[2], ids[3])


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def count(sessions: Sessions, model: type) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def responses(sessions: Sessions) -> list[tuple[object, ...]]:
    with sessions.read() as session:
        r = SurveyResponse
        return [
            tuple(row)
            for row in session.execute(
                select(
                    Customer.code, r.channel, r.template_id, r.overall_score, r.nps, r.comment, r.alert, r.campaign_id
                )
                .join(Customer, Customer.id == r.customer_id)
                .order_by(r.id)
            )
        ]


def errors_by_line(report: ImportReport, lang: str = "en") -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for issue in report.errors:
        found.setdefault(issue.line, []).append((issue.column_label(lang), issue.message(lang)))
    return found


GOOD = [
    [
        "customer_code",
        "date",
        "channel",
        "template",
        "overall",
        "nps",
        "product_quality",
        "service_attitude",
        "comment",
    ],
    ["C001", "2026-11-03", "phone", "Annual survey", "5", "9", "5", "4", "很满意"],
    ["C002", "2026/11/24", "Online", "", "2", "3", "", "1", "Slow answers"],
    ["C003", "2026年11月5日", "", "", "4", "", "4", "", ""],
]


# --- good files ------------------------------------------------------------------------------------------------


def test_a_good_csv_file_imports_every_row_with_its_scores_and_alerts(sessions: Sessions, shop: Shop) -> None:
    report = import_responses(sessions, actor=shop.manager, filename="survey.csv", data=csv_bytes(GOOD))
    assert (report.written, report.total_rows, report.added, report.already_imported, report.bad_rows) == (
        True,
        3,
        3,
        0,
        0,
    )
    assert report.issues == () and len(report.response_ids) == 3
    assert responses(sessions) == [
        ("C001", "phone", shop.annual_id, 5, 9, "很满意", False, None),
        ("C002", "online", shop.annual_id, 2, 3, "Slow answers", True, None),
        ("C003", "questionnaire", shop.annual_id, 4, None, None, False, None),  # the default channel and template
    ]
    with sessions.read() as session:
        scores = session.execute(
            select(SurveyScore.response_id, SurveyScore.dimension, SurveyScore.score).order_by(
                SurveyScore.response_id, SurveyScore.dimension
            )
        ).all()
        keys = list(session.scalars(select(SurveyResponse.import_key).order_by(SurveyResponse.id)))
        days = list(session.scalars(select(SurveyResponse.responded_at).order_by(SurveyResponse.id)))
        alert_tasks = session.scalar(
            select(func.count()).select_from(FollowUpTask).where(FollowUpTask.created_by_rule == "low_survey")
        )
    first, second, third = report.response_ids
    assert [tuple(s) for s in scores] == [
        (first, "product_quality", 5),
        (first, "service_attitude", 4),
        (second, "service_attitude", 1),  # an empty cell is a dimension left unanswered
        (third, "product_quality", 4),
    ]
    assert keys[0] == import_key(
        "C001",
        dt.date(2026, 11, 3),
        "phone",
        shop.annual_id,
        5,
        9,
        {"product_quality": 5, "service_attitude": 4},
        "很满意",
    )
    assert len(set(keys)) == 3 and all(len(k or "") == 64 for k in keys)
    # an earlier day's response is dated at the company's working time, 09:00 Shanghai
    assert days[1] == dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
    assert alert_tasks == 1  # NPS 3 raised an alert: the owner got one callback task


def test_an_excel_file_with_chinese_headers_and_labels_imports(sessions: Sessions, shop: Shop) -> None:
    rows: list[list[object]] = [
        [
            "客户编号",
            "回复日期",
            "调查方式",
            "问卷模板",
            "总体满意度",
            "推荐意愿",
            "问题解决",
            "交付及时性",
            "意见",
            "联系人",
        ],
        ["C001", dt.datetime(2026, 11, 20), "电话", "投诉回访 Post-complaint check", 3, 7, 4, 2, "交付慢", "王芳"],
        ["C002", "2026-11-21", "上门拜访", str(shop.check_id), 4.0, 8, None, 5, None, None],
    ]
    data = xlsx_bytes(rows)
    preview = preview_file(sessions, actor=shop.manager, filename="回访.xlsx", data=data)
    assert preview.mapping == {
        "客户编号": "customer_code",
        "回复日期": "date",
        "调查方式": "channel",
        "问卷模板": "template",
        "总体满意度": "overall",
        "推荐意愿": "nps",
        "问题解决": "score.problem_resolution",
        "交付及时性": "score.delivery",  # a template's own dimension, by its Chinese label
        "意见": "comment",
        "联系人": "contact",
    }
    assert preview.total_rows == 2
    report = import_responses(sessions, actor=shop.manager, filename="回访.xlsx", data=data)
    assert (report.added, report.bad_rows, report.encoding) == (2, 0, None)
    with sessions.read() as session:
        stored = session.execute(
            select(SurveyResponse.channel, SurveyResponse.template_id, SurveyResponse.contact_id).order_by(
                SurveyResponse.id
            )
        ).all()
        delivery = list(session.scalars(select(SurveyScore.score).where(SurveyScore.dimension == "delivery")))
    assert [tuple(s) for s in stored] == [("phone", shop.check_id, shop.contact_id), ("visit", shop.check_id, None)]
    assert sorted(delivery) == [2, 5]


def test_a_gbk_csv_names_the_complaint_and_the_campaign_it_answers(sessions: Sessions, shop: Shop) -> None:
    data = csv_bytes(
        [
            ["客户编号", "日期", "总体满意度", "推荐意愿", "投诉编号", "调查活动"],
            ["C001", "2026-12-06", "4", "9", "c-2026-1", "Year-end survey"],  # the reference as people type it
            ["C003", "2026-12-06", "5", "10", "", str(shop.campaign_id)],
        ],
        encoding="gbk",
    )
    assert get_campaign(sessions, actor=shop.manager, campaign_id=shop.campaign_id).response_rate == 0.0
    report = import_responses(sessions, actor=shop.manager, filename="gbk.csv", data=data)
    assert (report.added, report.bad_rows, report.encoding) == (2, 0, "gb18030")
    with sessions.read() as session:
        complaint_ids = list(session.scalars(select(SurveyResponse.complaint_id).order_by(SurveyResponse.id)))
        answered = session.scalar(
            select(func.count()).select_from(SurveyCampaignMember).where(SurveyCampaignMember.response_id.is_not(None))
        )
    assert complaint_ids == [shop.complaint_id, None]
    assert answered == 2
    view = get_campaign(sessions, actor=shop.manager, campaign_id=shop.campaign_id)
    assert (view.responded, view.response_rate, view.tasks_done) == (2, pytest.approx(2 / 3), 2)


def test_headers_are_recognised_in_either_language_and_a_second_column_for_a_field_maps_to_nothing() -> None:
    assert suggest_mapping(
        ["Customer Code", "Response date", "NPS", "Overall satisfaction", "Product quality", "服务态度", "CSAT", "x"]
    ) == {
        "Customer Code": "customer_code",
        "Response date": "date",
        "NPS": "nps",
        "Overall satisfaction": "overall",
        "Product quality": "score.product_quality",
        "服务态度": "score.service_attitude",
        "CSAT": None,  # overall is taken by the column before
        "x": None,
    }


def test_the_mapping_can_name_columns_the_headers_do_not(sessions: Sessions, shop: Shop) -> None:
    data = csv_bytes([["客户", "when", "score", "how likely"], ["C001", "2026-11-03", "4", "8"]])
    report = import_responses(
        sessions,
        actor=shop.manager,
        filename="odd.csv",
        data=data,
        mapping={"客户": "customer_code", "when": "date", "score": "overall", "how likely": "nps"},
    )
    assert (report.added, report.bad_rows) == (1, 0)
    assert responses(sessions)[0][3:5] == (4, 8)
    names = [f.name for f in import_fields(sessions, actor=shop.manager)]
    assert names[:2] == ["customer_code", "date"] and "score.delivery" in names and "score.value_for_money" in names


# --- bad rows --------------------------------------------------------------------------------------------------


BAD = [
    ["customer_code", "date", "template", "overall", "nps", "product_quality", "comment"],
    ["C001", "2026-11-03", "", "4", "9", "4", "fine"],  # line 2: good
    ["C999", "2026-11-03", "", "4", "9", "", ""],  # line 3: unknown customer
    ["C002", "2026-11-03", "", "4", "9", "6", ""],  # line 4: a score of 6
    ["C002", "2026-11-04", "", "4", "11", "", ""],  # line 5: NPS 11
    ["C002", "2026-13-45", "", "4", "9", "", ""],  # line 6: no such date
    ["C002", "2026-11-06", "Monthly pulse", "4", "9", "", ""],  # line 7: unknown template
    ["C002", "2026-11-07", "", "4", "9", "", "bad\x00byte"],  # line 8: a NUL character
    ["C003", "2026-11-08", "", "five", "9", "", ""],  # line 9: not a number
    ["C003", "2026-12-09", "", "4", "9", "", ""],  # line 10: in the future
    ["C003", "2026-11-10", "", "", "", "", "nothing scored"],  # line 11: nothing answered
]


def test_each_bad_row_is_reported_with_its_line_column_and_reason_and_only_good_rows_are_written(
    sessions: Sessions, shop: Shop
) -> None:
    before = count(sessions, AuditLog)
    report = import_responses(sessions, actor=shop.manager, filename="bad.csv", data=csv_bytes(BAD))
    assert (report.written, report.total_rows, report.added, report.bad_rows) == (True, 10, 1, 9)
    assert errors_by_line(report) == {
        3: [("customer_code", "No customer has the code C999.")],
        4: [("product_quality", "Enter a whole number from 1 to 5.")],
        5: [("nps", "Enter a whole number from 0 to 10.")],
        6: [("date", "Not a valid date (YYYY-MM-DD).")],
        7: [("template", "No survey template is named or numbered “Monthly pulse”.")],
        8: [
            (
                "comment",
                "Contains a NUL character (\\x00), which cannot be saved: remove it (it often comes with text copied "
                "from another program).",
            )
        ],
        9: [("overall", "“five” is not a whole number.")],
        10: [("date", "This date cannot be in the future.")],
        11: [("Answers", "Enter at least one answer: the overall score, the likelihood to recommend or a dimension.")],
    }
    assert errors_by_line(report, "zh")[3] == [("customer_code", "没有编号为 C999 的客户。")]
    assert responses(sessions) == [("C001", "questionnaire", shop.annual_id, 4, 9, "fine", False, None)]
    assert count(sessions, SurveyScore) == 1  # the bad rows' scores are nowhere
    with sessions.read() as session:
        summary = session.scalar(
            select(AuditLog.new_value).where(AuditLog.action == "import", AuditLog.entity_type == "survey_responses")
        )
    assert summary is not None and '"added": 1' in summary and '"bad_rows": 9' in summary
    assert count(sessions, AuditLog) > before


def test_unknown_contacts_complaints_campaigns_and_channels_are_named(sessions: Sessions, shop: Shop) -> None:
    data = csv_bytes(
        [
            ["客户编号", "日期", "推荐意愿", "联系人", "投诉编号", "调查活动", "调查方式"],
            ["C001", "2026-11-03", "9", "李雷", "", "", ""],
            ["C001", "2026-11-03", "9", "", "C-2026-000999", "", ""],
            ["C002", "2026-11-03", "9", "", "C-2026-000001", "", ""],  # C001's complaint
            ["C002", "2026-11-03", "9", "", "", "Spring survey", ""],
            ["C002", "2026-11-03", "9", "", "", "", "fax"],
        ]
    )
    report = dry_run_import(sessions, actor=shop.manager, filename="names.csv", data=data)
    assert errors_by_line(report) == {
        2: [("联系人", "The customer has no contact named “李雷”.")],
        3: [("投诉编号", "No complaint has the reference “C-2026-000999”.")],
        4: [("投诉编号", "This complaint is not the customer's.")],
        5: [("调查活动", "No survey campaign is named or numbered “Spring survey”.")],
        6: [("调查方式", "“fax” is not a survey channel; use one of: Phone, Questionnaire, Online, Visit.")],
    }
    assert errors_by_line(report, "zh")[6] == [
        ("调查方式", "「fax」不是可识别的调查方式；可选：电话、问卷、在线、上门拜访。")
    ]


def test_a_formula_saved_without_its_result_is_an_error_not_an_empty_cell(sessions: Sessions, shop: Shop) -> None:
    data = xlsx_bytes(
        [
            ["customer_code", "date", "overall", "nps"],
            ["C001", "2026-11-03", "=2+2", 9],
            ["C002", "2026-11-03", 4, 9],
        ]
    )
    report = import_responses(sessions, actor=shop.manager, filename="formulas.xlsx", data=data)
    assert [(i.line, i.column, i.key) for i in report.errors] == [(2, "overall", "imports.formula_without_value")]
    assert (report.added, report.bad_rows) == (1, 1)
    assert [r[0] for r in responses(sessions)] == ["C002"]


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(sessions: Sessions, shop: Shop) -> None:
    report = import_responses(
        sessions, actor=shop.manager, filename="bad.csv", data=csv_bytes(BAD), all_or_nothing=True
    )
    assert (report.written, report.added, report.bad_rows) == (False, 1, 9)
    assert count(sessions, SurveyResponse) == 0 and count(sessions, SurveyScore) == 0


def test_a_file_without_a_required_column_writes_nothing(sessions: Sessions, shop: Shop) -> None:
    report = import_responses(
        sessions, actor=shop.manager, filename="nodate.csv", data=csv_bytes([["客户编号", "nps"], ["C001", "9"]])
    )
    assert (report.written, report.bad_rows) == (False, 1)
    assert [(i.line, i.column_label("en"), i.key) for i in report.errors] == [
        (1, "Response date", "imports.missing_column")
    ]
    assert count(sessions, SurveyResponse) == 0


def test_the_report_as_csv_defuses_the_files_own_text(sessions: Sessions, shop: Shop) -> None:
    data = csv_bytes([["customer_code", "date", "=cmd|' /C calc'!A0"], ["C001", "2026-11-03", "12"]])
    report = dry_run_import(
        sessions,
        actor=shop.manager,
        filename="evil.csv",
        data=data,
        mapping={"customer_code": "customer_code", "date": "date", "=cmd|' /C calc'!A0": "nps"},
    )
    lines = report_csv(report, "zh").decode("utf-8-sig").splitlines()
    assert lines[0] == "行号,列,类型,问题"
    assert lines[1] == "2,'=cmd|' /C calc'!A0,错误,请输入 0 到 10 之间的整数。"
    assert report_rows(report, "en")[0]["Column"] == "=cmd|' /C calc'!A0"


# --- no duplicates, the dry run --------------------------------------------------------------------------------


def test_importing_the_same_file_again_adds_nothing(sessions: Sessions, shop: Shop) -> None:
    data = csv_bytes(GOOD)
    first = import_responses(sessions, actor=shop.manager, filename="survey.csv", data=data)
    tasks = count(sessions, FollowUpTask)
    again = import_responses(sessions, actor=shop.manager, filename="survey.csv", data=data)
    assert (first.added, again.added, again.already_imported, again.bad_rows) == (3, 0, 3, 0)
    assert [i.key for i in again.warnings] == ["satisfaction.import.already_imported"] * 3
    assert count(sessions, SurveyResponse) == 3 and count(sessions, FollowUpTask) == tasks
    # the same file as Excel is the same responses
    as_excel = import_responses(sessions, actor=shop.manager, filename="survey.xlsx", data=xlsx_bytes(GOOD))
    assert (as_excel.added, as_excel.already_imported) == (0, 3)
    # a changed score is another response
    changed = [row[:] for row in GOOD]
    changed[1][4] = "4"
    third = import_responses(sessions, actor=shop.manager, filename="survey.csv", data=csv_bytes(changed))
    assert (third.added, third.already_imported) == (1, 2)


def test_two_identical_rows_of_one_file_are_one_response(sessions: Sessions, shop: Shop) -> None:
    data = csv_bytes([GOOD[0], GOOD[1], GOOD[1]])
    report = import_responses(sessions, actor=shop.manager, filename="twice.csv", data=data)
    assert (report.added, report.already_imported) == (1, 1)
    assert [(i.line, i.message("en")) for i in report.warnings] == [
        (
            3,
            "The same response as line 2 (customer, date, channel, template, scores and comment): imported once.",
        )
    ]


def test_the_dry_run_writes_nothing_and_says_what_an_import_would_do(sessions: Sessions, shop: Shop) -> None:
    audit, tasks = count(sessions, AuditLog), count(sessions, FollowUpTask)
    report = dry_run_import(sessions, actor=shop.manager, filename="bad.csv", data=csv_bytes(BAD))
    assert (report.dry_run, report.written, report.added, report.bad_rows) == (True, False, 1, 9)
    assert len(report.errors) == 9
    assert count(sessions, SurveyResponse) == 0
    assert (count(sessions, AuditLog), count(sessions, FollowUpTask)) == (audit, tasks)


def test_only_managers_import(sessions: Sessions, shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        import_responses(sessions, actor=shop.staff, filename="survey.csv", data=csv_bytes(GOOD))
    with pytest.raises(PermissionDenied):
        dry_run_import(sessions, actor=shop.staff, filename="survey.csv", data=csv_bytes(GOOD))


# --- the command line ------------------------------------------------------------------------------------------


@pytest.fixture
def cli_database(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", sessions.engine.url.render_as_string(hide_password=False))


def test_the_command_imports_a_file_and_exits_0_or_1_with_the_bad_rows_on_stderr(
    sessions: Sessions, shop: Shop, cli_database: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes(GOOD))
    bad.write_bytes(csv_bytes(BAD))
    assert main(["satisfaction", "import", str(good), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "good.csv: 3 rows, encoding utf-8-sig; Responses to add 3, Already imported, skipped 0" in out
    assert "Dry run: nothing was written" in out
    assert count(sessions, SurveyResponse) == 0
    assert main(["satisfaction", "import", str(good), "--as", "lina", "--lang", "zh"]) == 0
    assert "已导入 3 条回复；0 条此前已导入；0 行有错误，未导入。" in capsys.readouterr().out
    with sessions.read() as session:
        assert set(session.scalars(select(SurveyResponse.recorded_by_id))) == {shop.manager.id}
    report = tmp_path / "report.csv"
    assert main(["satisfaction", "import", str(bad), "--report", str(report)]) == 1
    captured = capsys.readouterr()
    assert "line 3: customer_code: Error: No customer has the code C999." in captured.err
    assert "1 responses imported; 0 already imported; 9 rows with errors not imported." in captured.out
    assert len(report.read_text(encoding="utf-8-sig").splitlines()) == 10
    assert count(sessions, SurveyResponse) == 4


def test_the_command_maps_columns_and_refuses_unknown_users_and_staff(
    sessions: Sessions, shop: Shop, cli_database: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(csv_bytes([["客户", "when", "overall", "score"], ["C001", "2026-11-03", "1", "4"]]))
    assert main(["satisfaction", "import", str(path), "--as", "nobody"]) == 2
    assert "no active user named 'nobody'" in capsys.readouterr().err
    assert main(["satisfaction", "import", str(path), "--as", "wei"]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["satisfaction", "import", str(path), "--map", "when=date"]) == 1  # no customer code yet
    capsys.readouterr()
    argv = ["satisfaction", "import", str(path), "--map", "客户=customer_code", "--map", "when=date"]
    assert main([*argv, "--map", "score=overall", "--map", "overall=-"]) == 0
    assert responses(sessions)[0][3] == 4


def test_the_campaign_commands_run_and_list(
    sessions: Sessions, shop: Shop, cli_database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(sessions, actor=SYSTEM) as session:
        session.add(Customer(code="C004", name="New Co", name_key="new co", owner_id=shop.staff.id))
    assert main(["satisfaction", "campaign", "run", str(shop.campaign_id), "--as", "lina"]) == 0
    assert (
        "1 customers added, 1 survey tasks created in their owners' queues; 3 were members already, 0 skipped"
        in capsys.readouterr().out
    )
    assert main(["satisfaction", "campaign", "list", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "Year-end survey" in out and "0.0%" in out and "邀请客户数" in out
    assert main(["satisfaction", "campaign", "run", "999"]) == 2
    assert main(["satisfaction", "campaign", "run", str(shop.campaign_id), "--as", "wei"]) == 2
