"""Importing customers, contacts and orders: encodings, headers, validation, dry run, all-or-nothing, upsert, audit."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select, update

from crm.exchange.imports import import_file, preview_file, preview_import, report_csv, suggest_mapping
from crm.exchange.tabular import read_table
from crm.platform.errors import CrmError, PermissionDenied
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import AuditLog, Contact, Customer, Order, StageChange, utcnow

TODAY = dt.date(2024, 6, 30)

CUSTOMERS_ZH = (
    "客户编号,客户名称,行业,地区,客户来源,负责人,阶段,联系人,手机,邮箱\n"
    "C001,北京星辰科技有限公司,软件与互联网,华北,展会,wang,意向,张三,138 1234 5678,zhang@example.com\n"
    "C002,上海海风贸易有限公司,retail,East China,官网,王经理,potential,李四,+86 139 8765 4321,li@example.com\n"
)


@pytest.fixture
def owner(sessions: Sessions) -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username="wang", display_name="王经理", password="wang-pass-123", role="staff"
    ).as_actor()


def run(sessions: Sessions, actor: Actor, kind: str, text: str | bytes, *, name: str = "file.csv", **options: Any):  # type: ignore[no-untyped-def]
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_file(sessions, actor=actor, kind=kind, filename=name, data=data, today=TODAY, **options)


def count(sessions: Sessions, model: type) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def audit_count(sessions: Sessions) -> int:
    """Audit rows about imported records (creating the test's users is audited too)."""
    with sessions.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity_type.in_(("customers", "contacts", "orders")))
            )
            or 0
        )


def customer(sessions: Sessions, code: str) -> Any:
    """The customer's stored columns (a row, so that it outlives the read session)."""
    with sessions.read() as session:
        return session.execute(select(*Customer.__table__.c).where(Customer.code == code)).one()


def issues_of(report: Any, lang: str = "en") -> list[tuple[int, str, str, str]]:
    return [(i.line, i.column_label(lang), i.severity, i.message(lang)) for i in report.issues]


# --- reading files ----------------------------------------------------------------------------------


def test_gbk_utf8_and_bom_files_are_all_read_as_the_same_table() -> None:
    text = "客户编号,客户名称\nC001,北京星辰科技\n"
    tables = {
        name: read_table("a.csv", data)
        for name, data in {
            "gbk": text.encode("gbk"),
            "utf-8": text.encode("utf-8"),
            "bom": text.encode("utf-8-sig"),
        }.items()
    }
    assert {t.encoding for t in tables.values()} == {"gb18030", "utf-8", "utf-8-sig"}
    assert {t.headers for t in tables.values()} == {("客户编号", "客户名称")}
    assert {tuple(t.rows) for t in tables.values()} == {((2, ("C001", "北京星辰科技")),)}


def test_a_quoted_cell_spanning_lines_keeps_the_next_rows_file_line_numbers() -> None:
    table = read_table("a.csv", b'code,name,notes\nA1,Alpha,"first\nsecond"\n\nA2,Beta,x\n')
    assert [line for line, _cells in table.rows] == [2, 5]


def test_an_unsupported_file_type_is_refused_with_a_message() -> None:
    with pytest.raises(CrmError) as caught:
        read_table("customers.xls", b"\xd0\xcf\x11\xe0")
    assert caught.value.key == "imports.unsupported_format"


def test_chinese_and_english_headers_are_recognised_whatever_the_case_and_spacing() -> None:
    mapping = suggest_mapping(
        "customers",
        [
            "客户编号",
            " Customer Name ",
            "电子邮件",
            "手机",
            "电话",
            "负责人",
            "客户来源",
            "区域",
            "LIFECYCLE_STAGE",
            "金额(元)",
            "whatever",
        ],
    )
    assert mapping == {
        "客户编号": "code",
        " Customer Name ": "name",
        "电子邮件": "email",
        "手机": "phone",
        "电话": None,
        "负责人": "owner",
        "客户来源": "source_channel",
        "区域": "region",
        "LIFECYCLE_STAGE": "lifecycle_stage",
        "金额(元)": None,
        "whatever": None,
    }
    orders = suggest_mapping("orders", ["客户代码", "订单日期", "金额（元）", "产品", "订单号"])
    assert orders == {
        "客户代码": "customer_code",
        "订单日期": "order_date",
        "金额（元）": "amount",
        "产品": "product",
        "订单号": "order_no",
    }
    contacts = suggest_mapping("contacts", ["customer_code", "name", "title", "phone", "email", "wechat", "is_primary"])
    assert list(contacts.values()) == [
        "customer_code",
        "contact_name",
        "contact_title",
        "phone",
        "email",
        "wechat",
        "is_primary",
    ]


def test_preview_shows_the_suggested_mapping_and_the_first_rows() -> None:
    preview = preview_file("customers", "a.csv", CUSTOMERS_ZH.encode("gbk"), limit=1)
    assert preview.encoding == "gb18030"
    assert preview.total_rows == 2
    assert preview.mapping["客户编号"] == "code"
    assert preview.rows == ((2, tuple(CUSTOMERS_ZH.splitlines()[1].split(","))),)


# --- customers ----------------------------------------------------------------------------------------


def test_a_gbk_customer_file_with_chinese_headers_and_labels_is_imported(
    sessions: Sessions, manager: Actor, owner: Actor
) -> None:
    report = run(sessions, manager, "customers", CUSTOMERS_ZH.encode("gbk"))
    assert report.written and not report.issues
    assert report.counts == {"contacts.created": 2, "customers.created": 2}
    first = customer(sessions, "C001")
    assert (first.name, first.industry, first.region, first.source_channel, first.lifecycle_stage) == (
        "北京星辰科技有限公司",
        "software",
        "north",
        "exhibition",
        "intent",
    )
    assert first.owner_id == owner.id and first.version == 1 and first.name_key == "北京星辰科技"
    second = customer(sessions, "C002")
    assert (second.industry, second.region, second.source_channel, second.owner_id) == (
        "retail",
        "east",
        "website",
        owner.id,
    )  # the owner given by display name
    with sessions.read() as session:
        contacts = session.execute(
            select(Contact.name, Contact.phone, Contact.email, Contact.is_primary).order_by(Contact.name)
        ).all()
        stages = session.execute(
            select(StageChange.from_stage, StageChange.to_stage).order_by(StageChange.to_stage)
        ).all()
        audit = session.execute(
            select(AuditLog.action, AuditLog.entity_type, AuditLog.field, AuditLog.username).where(
                AuditLog.username == "boss"
            )
        ).all()
    assert [tuple(c) for c in contacts] == [
        ("张三", "13812345678", "zhang@example.com", True),
        ("李四", "13987654321", "li@example.com", True),
    ]
    assert [tuple(s) for s in stages] == [(None, "intent"), (None, "potential")]
    assert sorted((a.action, a.entity_type) for a in audit) == [
        ("create", "contacts"),
        ("create", "contacts"),
        ("create", "customers"),
        ("create", "customers"),
        ("import", "customers"),
        ("recompute", "classification"),
    ]


def test_an_excel_workbook_is_imported_with_numbers_and_dates_as_typed(sessions: Sessions, manager: Actor) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Customer Code", "Customer Name", "Mobile", "First contact date"])
    sheet.append(["X1", "Excel Co", 13812345678, dt.datetime(2024, 3, 5)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(sessions, manager, "customers", buffer.getvalue(), name="list.xlsx")
    assert report.written and not report.issues and report.encoding is None
    imported = customer(sessions, "X1")
    assert imported.first_contact_date == dt.date(2024, 3, 5)
    with sessions.read() as session:
        assert session.scalar(select(Contact.phone)) == "13812345678"


def test_the_dry_run_reports_every_bad_row_with_line_column_and_reason_and_writes_nothing(
    sessions: Sessions, manager: Actor, owner: Actor
) -> None:
    text = (
        "code,name,email,phone,industry,owner,first_contact_date\n"
        "A1,Good One,a@example.com,13812345678,software,wang,2024-01-01\n"
        'A2,,not-an-email,123,"magic",nobody,2099-01-01\n'
        "bad code!,Bad Code,,,,,\n"
        "A1,Again,,,,,\n"
        f"A5,{'x' * 201},,,,,20240230\n"
    )
    report = preview_import(
        sessions, actor=manager, kind="customers", filename="c.csv", data=text.encode(), today=TODAY
    )
    assert report.dry_run and not report.written
    assert report.total_rows == 5 and report.bad_rows == 4 and report.valid_rows == 1
    found = issues_of(report)
    assert (3, "name", "error", "Required.") in found
    assert (3, "email", "error", "Not a valid email address.") in found
    assert any(line == 3 and column == "phone" for line, column, _s, _m in found)
    assert any(line == 3 and column == "industry" and "magic" in message for line, column, _s, message in found)
    assert any(line == 3 and column == "owner" and "nobody" in message for line, column, _s, message in found)
    assert (3, "first_contact_date", "error", "This date cannot be in the future.") in found
    assert any(line == 4 and column == "code" for line, column, _s, _m in found)
    assert (5, "code", "error", "Repeats line 2 of the file; only the first one is imported.") in found
    assert (6, "name", "error", "At most 200 characters.") in found
    assert (6, "first_contact_date", "error", "Not a valid date (YYYY-MM-DD).") in found
    assert ("必填。") in [i.message("zh") for i in report.issues]
    assert count(sessions, Customer) == 0 and audit_count(sessions) == 0


def test_the_report_downloads_as_a_csv_in_the_users_language(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "customers", "code,name\nA1,\n", dry_run=True)
    data = report_csv(report, "zh")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["行号,列,类型,问题", "2,name,错误,必填。"]


def test_the_reports_cells_that_quote_the_file_cannot_run_as_formulas(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "customers", "code,name\nA1,\n", dry_run=True)
    # The column is named by the file's own header, which the file's author chose.
    hostile = [dataclasses.replace(issue, column='=HYPERLINK("http://evil","x")') for issue in report.issues]
    data = report_csv(dataclasses.replace(report, issues=tuple(hostile)), "en").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))[1:]
    assert rows and not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert [row[1] for row in rows] == ['\'=HYPERLINK("http://evil","x")']


def test_good_rows_are_imported_and_bad_rows_reported(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "customers", "code,name\nA1,Alpha\nA2,\nA3,Gamma\n")
    assert report.written and report.created == 2 and report.bad_rows == 1
    assert [(i.line, i.field) for i in report.errors] == [(3, "name")]
    assert count(sessions, Customer) == 2


def test_all_or_nothing_writes_nothing_when_any_row_is_bad(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "customers", "code,name\nA1,Alpha\nA2,\n", all_or_nothing=True)
    assert not report.written and not report.dry_run and report.bad_rows == 1
    assert count(sessions, Customer) == 0 and audit_count(sessions) == 0 and count(sessions, Contact) == 0
    assert run(sessions, manager, "customers", "code,name\nA1,Alpha\n", all_or_nothing=True).written
    assert count(sessions, Customer) == 1


def test_a_missing_required_column_is_reported_on_line_1_and_nothing_is_imported(
    sessions: Sessions, manager: Actor
) -> None:
    report = run(sessions, manager, "customers", "code,city\nA1,Beijing\n")
    assert not report.written and report.bad_rows == 1
    assert issues_of(report) == [
        (1, "Customer name", "error", "Required column missing: map a column of the file to it.")
    ]
    assert count(sessions, Customer) == 0


def test_a_column_mapping_chosen_by_the_user_replaces_the_suggestion(sessions: Sessions, manager: Actor) -> None:
    report = run(
        sessions,
        manager,
        "customers",
        "Kundennummer,Firma,Ort\nK1,Müller GmbH,Berlin\n",
        mapping={"Kundennummer": "code", "Firma": "name", "Ort": "address"},
    )
    assert report.written and report.created == 1
    assert customer(sessions, "K1").address == "Berlin"


def test_reimporting_the_same_file_changes_nothing(sessions: Sessions, manager: Actor, owner: Actor) -> None:
    run(sessions, manager, "customers", CUSTOMERS_ZH)
    audit_rows = audit_count(sessions)
    again = run(sessions, manager, "customers", CUSTOMERS_ZH)
    assert again.written and again.counts == {"contacts.unchanged": 2, "customers.unchanged": 2}
    assert count(sessions, Customer) == 2 and count(sessions, Contact) == 2
    assert customer(sessions, "C001").version == 1
    assert audit_count(sessions) == audit_rows + 1  # only the import's summary row


def test_reimporting_changed_rows_updates_fields_audits_them_and_records_the_stage_change(
    sessions: Sessions, manager: Actor, owner: Actor
) -> None:
    run(sessions, manager, "customers", CUSTOMERS_ZH)
    changed = CUSTOMERS_ZH.replace("意向", "签约").replace("软件与互联网", "金融")
    report = run(sessions, manager, "customers", changed)
    assert report.counts == {"contacts.unchanged": 2, "customers.unchanged": 1, "customers.updated": 1}
    first = customer(sessions, "C001")
    assert (first.industry, first.lifecycle_stage, first.version) == ("finance", "signed", 2)
    assert first.stage_changed_at is not None
    with sessions.read() as session:
        updates = session.execute(
            select(AuditLog.field, AuditLog.old_value, AuditLog.new_value, AuditLog.entity_version)
            .where(AuditLog.action == "update", AuditLog.entity_type == "customers")
            .order_by(AuditLog.field)
        ).all()
        moves = session.execute(
            select(StageChange.from_stage, StageChange.to_stage, StageChange.changed_by_id).where(
                StageChange.from_stage.is_not(None)
            )
        ).all()
    assert [tuple(u) for u in updates] == [
        ("industry", "software", "finance", 2),
        ("lifecycle_stage", "intent", "signed", 2),
    ]
    assert [tuple(m) for m in moves] == [("intent", "signed", manager.id)]


def test_an_empty_cell_leaves_the_stored_value_alone(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name,address\nA1,Alpha,Road 1\n")
    run(sessions, manager, "customers", "code,name,address\nA1,Alpha,\n")
    assert customer(sessions, "A1").address == "Road 1"


def test_a_stage_move_the_forms_refuse_is_refused_for_that_row(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name,stage\nA1,Alpha,signed\n")
    report = run(sessions, manager, "customers", "code,name,stage\nA1,Alpha,潜在\n")
    assert [(i.line, i.field) for i in report.errors] == [(2, "lifecycle_stage")]
    assert report.errors[0].message("en") == "A customer cannot move from Signed to Potential."
    assert customer(sessions, "A1").lifecycle_stage == "signed"


def test_churned_needs_a_churn_reason(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "customers", "code,name,stage,churn reason\nA1,Alpha,流失,\nA2,Beta,churned,价格\n")
    assert [(i.line, i.field) for i in report.errors] == [(2, "churn_reason")]
    assert customer(sessions, "A2").churn_reason == "price"


def test_an_unknown_owner_is_an_error_for_that_row_only(sessions: Sessions, manager: Actor, owner: Actor) -> None:
    report = run(sessions, manager, "customers", "code,name,负责人\nA1,Alpha,wang\nA2,Beta,zhao\n")
    assert [(i.line, i.column, i.key) for i in report.errors] == [(3, "负责人", "imports.unknown_owner")]
    assert customer(sessions, "A1").owner_id == owner.id


def test_possible_duplicates_of_other_existing_customers_are_warnings_not_errors(
    sessions: Sessions, manager: Actor
) -> None:
    run(sessions, manager, "customers", "code,name,phone,email\nOLD,星辰科技有限公司,+86 138 1234 5678,A@X.com\n")
    text = (
        "code,name,phone,email\n"
        "NEW1,星辰科技,,\n"
        "NEW2,Other,13812345678,\n"
        "NEW3,Third,,a@x.com\n"
        "OLD,星辰科技有限公司,13812345678,a@x.com\n"
    )
    report = run(sessions, manager, "customers", text, dry_run=True)
    assert not report.errors
    assert [(i.line, i.field, i.key) for i in report.warnings] == [
        (2, "name", "imports.possible_duplicate_name"),
        (3, "phone", "imports.possible_duplicate_phone"),
        (4, "email", "imports.possible_duplicate_email"),
        (5, "name", "imports.same_name_in_file"),
    ]
    assert "OLD" in report.warnings[0].message("en")


def test_staff_and_viewers_may_not_import(sessions: Sessions, owner: Actor) -> None:
    viewer = create_user(
        sessions, actor=SYSTEM, username="viewer", display_name="V", password="viewer-pass-1", role="viewer"
    ).as_actor()
    for actor in (owner, viewer):
        with pytest.raises(PermissionDenied):
            run(sessions, actor, "customers", "code,name\nA1,Alpha\n", dry_run=True)


# --- contacts ---------------------------------------------------------------------------------------------


def test_contacts_are_upserted_by_customer_and_name_with_one_primary_per_customer(
    sessions: Sessions, manager: Actor
) -> None:
    run(sessions, manager, "customers", "code,name,contact,phone\nA1,Alpha,Ann,13812345678\n")
    text = (
        "customer_code,name,title,phone,email,wechat,is_primary\n"
        "A1,ann,CTO,+86 138-1234-5678,ann@alpha.com,,\n"
        "A1,Bob,CEO,,bob@alpha.com,bobwx,是\n"
        "A1,Cid,,,,,1\n"
        "ZZ,Dan,,,,,\n"
    )
    report = run(sessions, manager, "contacts", text)
    assert [(i.line, i.key) for i in report.errors] == [(4, "imports.second_primary"), (5, "imports.unknown_customer")]
    assert report.counts == {"contacts.created": 1, "contacts.updated": 1}
    with sessions.read() as session:
        rows = session.execute(
            select(Contact.name, Contact.title, Contact.phone, Contact.is_primary, Contact.version).order_by(
                Contact.name
            )
        ).all()
    # Ann keeps the phone as stored (same number), gets her title, and stops being the primary contact.
    assert [tuple(r) for r in rows] == [("Ann", "CTO", "13812345678", False, 2), ("Bob", "CEO", None, True, 1)]
    assert run(sessions, manager, "contacts", text).counts == {"contacts.unchanged": 2}


def test_contacts_for_missing_customers_can_create_them(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "contacts", "客户编号,客户名称,联系人\nN1,新客户,赵六\n", create_missing=True)
    assert report.counts == {"contacts.created": 1, "customers.created": 1}
    assert customer(sessions, "N1").name == "新客户"


# --- orders ---------------------------------------------------------------------------------------------------


ORDERS = (
    "customer_code,order_date,amount,product\n"
    "A1,2024-01-05,100.50,Widget\n"
    'A1,2024/1/6,"1,000",Gadget\n'
    "A1,2024-01-05,100.50,Widget\n"
)


def test_orders_are_imported_once_however_often_the_file_is_imported(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    first = run(sessions, manager, "orders", ORDERS)
    assert first.counts == {"orders.created": 3, "orders.identical_rows": 1}
    second = run(sessions, manager, "orders", ORDERS)
    assert second.counts == {"orders.unchanged": 3, "orders.identical_rows": 1}
    with sessions.read() as session:
        orders = session.execute(
            select(Order.order_date, Order.amount, Order.product, Order.currency, Order.version).order_by(
                Order.order_date, Order.id
            )
        ).all()
        created = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity_type == "orders", AuditLog.action == "create")
        )
    assert [tuple(o) for o in orders] == [
        (dt.date(2024, 1, 5), Decimal("100.50"), "Widget", "CNY", 1),
        (dt.date(2024, 1, 5), Decimal("100.50"), "Widget", "CNY", 1),
        (dt.date(2024, 1, 6), Decimal("1000.00"), "Gadget", "CNY", 1),
    ]
    assert created == 3


def test_identical_order_rows_are_orders_of_their_own_matched_by_multiplicity(
    sessions: Sessions, manager: Actor
) -> None:
    """A customer who bought the same thing twice a day: two orders; one more identical row adds exactly one."""
    run(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    twice = "customer_code,order_date,amount,product\n" + "A1,2024-01-05,10,W\n" * 2
    dry = run(sessions, manager, "orders", twice, dry_run=True)
    assert (dry.created, dry.identical_rows) == (2, 1)
    assert run(sessions, manager, "orders", twice).counts == {"orders.created": 2, "orders.identical_rows": 1}
    assert count(sessions, Order) == 2
    assert run(sessions, manager, "orders", twice).counts == {"orders.unchanged": 2, "orders.identical_rows": 1}
    thrice = twice + "A1,2024-01-05,10,W\n"
    assert run(sessions, manager, "orders", thrice).counts == {
        "orders.created": 1,
        "orders.unchanged": 2,
        "orders.identical_rows": 2,
    }
    assert run(sessions, manager, "orders", thrice).counts == {"orders.unchanged": 3, "orders.identical_rows": 2}
    assert count(sessions, Order) == 3
    # A numbered row takes over one numberless order; the numberless rows still match the others.
    numbered = "order_no,customer_code,order_date,amount,product\nSO-9,A1,2024-01-05,10,W\n"
    assert run(sessions, manager, "orders", numbered).counts == {"orders.updated": 1}
    assert run(sessions, manager, "orders", thrice).counts == {"orders.unchanged": 3, "orders.identical_rows": 2}
    assert count(sessions, Order) == 3


def test_orders_with_an_order_number_are_matched_by_it_and_updated(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    run(sessions, manager, "orders", "订单号,客户编号,订单日期,金额\nSO-1,A1,2024-01-05,100\n")
    report = run(
        sessions, manager, "orders", "订单号,客户编号,订单日期,金额\nSO-1,A1,2024-01-05,120\nSO-1,A1,2024-01-06,1\n"
    )
    assert report.counts == {"orders.updated": 1}
    assert [(i.line, i.key) for i in report.errors] == [(3, "imports.duplicate_in_file")]
    with sessions.read() as session:
        assert session.execute(select(Order.amount, Order.version)).one() == (Decimal("120.00"), 2)


def test_order_rows_are_validated_like_the_forms(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    text = (
        "customer_code,order_date,amount,product\n"
        "A1,2024-07-01,10,X\n"
        "A1,2024-01-01,-5,X\n"
        "A1,2024-01-01,1.005,X\n"
        "A1,yesterday,1,X\n"
        "A1,2024-01-01,,X\n"
        "NOPE,2024-01-01,1,X\n"
    )
    report = run(sessions, manager, "orders", text, dry_run=True)
    assert [(i.line, i.field, i.key) for i in report.errors] == [
        (2, "order_date", "validation.future_date"),
        (3, "amount", "validation.amount"),
        (4, "amount", "validation.amount"),
        (5, "order_date", "validation.date"),
        (6, "amount", "validation.required"),
        (7, "customer_code", "imports.unknown_customer"),
    ]


def test_unknown_customers_of_orders_are_created_when_asked(sessions: Sessions, manager: Actor) -> None:
    report = run(sessions, manager, "orders", ORDERS.replace("A1", "NEW"), create_missing=True)
    assert report.counts == {"customers.created": 1, "orders.created": 3, "orders.identical_rows": 1}
    created = customer(sessions, "NEW")
    assert (created.name, created.lifecycle_stage, created.version, created.name_key) == ("NEW", "potential", 1, "new")


def test_orders_keep_bad_rows_out_and_all_or_nothing_keeps_everything_out(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    text = ORDERS + "A1,2024-01-07,abc,X\n"
    assert not run(sessions, manager, "orders", text, all_or_nothing=True).written
    assert count(sessions, Order) == 0
    assert run(sessions, manager, "orders", text).counts["orders.created"] == 3
    assert count(sessions, Order) == 3


def test_a_row_for_an_archived_customer_is_imported_with_a_warning(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.code == "A1").values(archived_at=utcnow()))
    report = run(sessions, manager, "orders", "customer_code,order_date,amount\nA1,2024-01-05,10\n")
    assert report.created == 1 and [(i.line, i.key) for i in report.warnings] == [(2, "imports.customer_archived")]


def test_an_import_issues_the_same_statements_for_ten_rows_as_for_nine_hundred(
    sqlite_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bulk statements, not one per row: the statement count does not grow with the file."""
    import crm.exchange.imports

    monkeypatch.setattr(crm.exchange.imports, "CLASSIFIED_KINDS", frozenset())  # count the import alone
    manager = create_user(
        sqlite_sessions, actor=SYSTEM, username="boss", display_name="Boss", password="boss-pass-123", role="manager"
    ).as_actor()
    customers = "code,name,phone\n" + "".join(f"K{i},Name {i},1380000{i:04d}\n" for i in range(900))
    run(sqlite_sessions, manager, "customers", customers)

    def statements(rows: int, offset: int) -> int:
        text = "customer_code,order_date,amount,product\n" + "".join(
            f"K{i},2024-01-{1 + i % 28:02d},{offset + i}.50,P\n" for i in range(rows)
        )
        seen: list[str] = []

        def count_statement(*args: Any) -> None:
            seen.append(args[2])

        event.listen(sqlite_sessions.engine, "before_cursor_execute", count_statement)
        try:
            assert run(sqlite_sessions, manager, "orders", text).created == rows
        finally:
            event.remove(sqlite_sessions.engine, "before_cursor_execute", count_statement)
        return len(seen)

    assert statements(10, 0) == statements(900, 10_000)


def test_leaving_churned_clears_the_churn_reason(sessions: Sessions, manager: Actor) -> None:
    run(sessions, manager, "customers", "code,name,stage,churn reason\nA1,Alpha,churned,price\nA2,Beta,signed,price\n")
    assert customer(sessions, "A2").churn_reason is None
    run(sessions, manager, "customers", "code,name,stage\nA1,Alpha,intent\n")
    again = customer(sessions, "A1")
    assert (again.lifecycle_stage, again.churn_reason) == ("intent", None)


def test_an_orders_import_refreshes_the_computed_classes(sessions: Sessions) -> None:
    manager = create_user(
        sessions, actor=SYSTEM, username="boss", display_name="Boss", password="boss-pass-123", role="manager"
    ).as_actor()
    run(sessions, manager, "customers", "code,name\nK1,Big Buyer\n")
    recent = TODAY - dt.timedelta(days=3)
    orders = "customer_code,order_date,amount\n" + "".join(
        f"K1,{recent - dt.timedelta(days=i)},200000.00\n" for i in range(20)
    )
    run(sessions, manager, "orders", orders)
    with sessions.read() as session:
        tier, frequency = session.execute(select(Customer.value_tier, Customer.rfm_frequency)).one()
    assert (tier, frequency) == ("high", 20)


# --- customer files without a code column ---------------------------------------------------------------------

CODELESS = (
    "客户名称,手机,邮箱\n北京星辰科技有限公司,,\nBeta Trading,139 1234 5678,\nGamma,,Gamma@Example.com\nDelta,,\n"
)


def existing_lookalikes(sessions: Sessions, manager: Actor) -> None:
    """Three existing customers: one with the same (folded) name, one with the phone, one with the email."""
    run(
        sessions,
        manager,
        "customers",
        "code,name,phone,email\nK1,北京星辰科技,,\nK2,Other Name,+86 139-1234-5678,\nK3,Someone,,gamma@example.com\n",
    )


def test_a_customer_file_without_codes_is_imported_with_codes_drawn_as_the_form_draws_them(
    sessions: Sessions, manager: Actor
) -> None:
    from crm.customers.service import CustomerInput, create_customer

    create_customer(sessions, actor=manager, data=CustomerInput(name="Made in the form"), today=TODAY)
    report = run(sessions, manager, "customers", "客户名称,行业\nAlpha,软件\nBeta,制造\n")
    assert (report.created, report.errors) == (2, ())
    assert customer(sessions, "C000002").name == "Alpha" and customer(sessions, "C000003").name == "Beta"
    after = create_customer(sessions, actor=manager, data=CustomerInput(name="Next in the form"), today=TODAY)
    assert after.code == "C000004"


def test_the_dry_run_lists_each_likely_duplicate_with_its_candidate_and_skips_them_by_default(
    sessions: Sessions, manager: Actor
) -> None:
    existing_lookalikes(sessions, manager)
    dry = run(sessions, manager, "customers", CODELESS, dry_run=True)
    assert [(d.line, d.candidate.code, d.candidate.matched_on, d.action) for d in dry.duplicates] == [
        (2, "K1", ("name",), "skip"),
        (3, "K2", ("phone",), "skip"),
        (4, "K3", ("email",), "skip"),
    ]
    assert dry.duplicates[0].message("zh") == "疑似与 K1「北京星辰科技」重复（名称相同）：跳过。"
    assert [(i.line, i.key) for i in dry.warnings] == [
        (2, "imports.likely_duplicate.skip"),
        (3, "imports.likely_duplicate.skip"),
        (4, "imports.likely_duplicate.skip"),
    ]
    assert dry.counts == {"customers.created": 1, "customers.skipped": 3}
    before = count(sessions, Customer)
    assert run(sessions, manager, "customers", CODELESS).counts == {"customers.created": 1, "customers.skipped": 3}
    assert count(sessions, Customer) == before + 1
    again = run(sessions, manager, "customers", CODELESS)  # Delta now exists too: nothing is created twice
    assert again.counts == {"customers.skipped": 4} and count(sessions, Customer) == before + 1


def test_likely_duplicates_update_their_match_or_are_imported_as_new_as_chosen_per_file_and_per_row(
    sessions: Sessions, manager: Actor
) -> None:
    existing_lookalikes(sessions, manager)
    before = count(sessions, Customer)
    report = run(
        sessions,
        manager,
        "customers",
        CODELESS.replace("Delta,,", "Delta,,d@example.com"),
        on_duplicate="update",
        row_choices={3: "new", 4: "skip"},
    )
    assert [(d.line, d.action) for d in report.duplicates] == [(2, "update"), (3, "new"), (4, "skip")]
    assert report.counts == {
        "contacts.created": 2,
        "customers.created": 2,
        "customers.skipped": 1,
        "customers.updated": 1,
    }
    assert customer(sessions, "K1").name == "北京星辰科技有限公司"  # updated from the file
    assert count(sessions, Customer) == before + 2  # Beta Trading (as new) and Delta
    with pytest.raises(CrmError):
        run(sessions, manager, "customers", CODELESS, on_duplicate="merge")


def test_two_rows_of_a_file_without_codes_with_one_name_are_refused_not_guessed(
    sessions: Sessions, manager: Actor
) -> None:
    report = run(sessions, manager, "customers", "name\nAlpha Ltd\nALPHA\n")
    assert report.created == 1
    assert [(i.line, i.key) for i in report.errors] == [(3, "imports.same_name_without_code")]


def test_the_duplicate_lookup_of_a_file_without_codes_is_batched(
    sqlite_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duplicate lookup reads keys by the thousand (a phone has a few spellings), never a query per row."""
    manager = create_user(
        sqlite_sessions, actor=SYSTEM, username="boss", display_name="Boss", password="boss-pass-123", role="manager"
    ).as_actor()
    run(
        sqlite_sessions,
        manager,
        "customers",
        "code,name,phone\n" + "".join(f"K{i},Name {i},1380000{i:04d}\n" for i in range(0, 900, 2)),
    )

    def statements(rows: int) -> int:
        text = "name,phone,email\n" + "".join(f"Name {i},1380000{i:04d},n{i}@example.com\n" for i in range(rows))
        seen: list[str] = []

        def count_statement(*args: Any) -> None:
            seen.append(args[2])

        event.listen(sqlite_sessions.engine, "before_cursor_execute", count_statement)
        try:
            report = run(sqlite_sessions, manager, "customers", text, dry_run=True)
        finally:
            event.remove(sqlite_sessions.engine, "before_cursor_execute", count_statement)
        assert len(report.duplicates) == (rows + 1) // 2
        return len(seen)

    assert statements(900) - statements(10) <= 10


# --- what the forms refuse, the import refuses --------------------------------------------------------------


def test_a_nul_character_in_any_cell_is_refused_with_a_reason_and_nothing_of_the_row_is_written(
    sessions: Sessions, manager: Actor
) -> None:
    report = run(
        sessions,
        manager,
        "customers",
        "code,name,notes,contact,wechat\n"
        "A1,Alpha,fine,Li,w1\n"
        "A2,Be\x00ta,,,\n"
        "A3,Gamma,a\x00b,,\n"
        "A\x004,Delta,,,\n"
        "A5,Eps,,Wang,w\x00\n",
    )
    assert [(i.line, i.field, i.key) for i in report.errors] == [
        (3, "name", "validation.nul"),
        (4, "notes", "validation.nul"),
        (5, "code", "validation.nul"),
        (6, "wechat", "validation.nul"),
    ]
    assert "NUL" in report.errors[0].message("en") and "空字符" in report.errors[0].message("zh")
    assert (report.created, count(sessions, Customer), count(sessions, Contact)) == (1, 1, 1)
    contacts = run(sessions, manager, "contacts", "customer_code,name,notes\nA1,Zhao,n\x00\n")
    orders = run(sessions, manager, "orders", "customer_code,order_date,amount,product\nA1,2024-01-05,1,P\x00\n")
    assert [i.key for i in contacts.errors + orders.errors] == ["validation.nul", "validation.nul"]
    assert (count(sessions, Contact), count(sessions, Order)) == (1, 0)


@pytest.mark.parametrize("length", [50_000, 70_000])
def test_texts_longer_than_the_forms_allow_are_refused_per_row_on_every_kind(
    sessions: Sessions, manager: Actor, length: int
) -> None:
    long = "备" * length
    report = run(sessions, manager, "customers", f"code,name,notes,needs\nA1,Alpha,ok,ok\nA2,Beta,{long},ok\n")
    assert [(i.line, i.field, i.key, i.params) for i in report.errors] == [
        (3, "notes", "validation.too_long", {"max": 10_000})
    ]
    contacts = run(sessions, manager, "contacts", f"customer_code,name,notes\nA1,Li,{long}\n")
    orders = run(sessions, manager, "orders", f"customer_code,order_date,amount,notes\nA1,2024-01-05,1,{long}\n")
    assert [i.key for i in contacts.errors + orders.errors] == ["validation.too_long"] * 2
    assert (count(sessions, Customer), count(sessions, Contact), count(sessions, Order)) == (1, 0, 0)


# --- Excel formulas saved without their result -----------------------------------------------------------------


def _with_cached_values(data: bytes, values: dict[str, str]) -> bytes:
    """Rewrite an openpyxl workbook as Excel saves it: each formula cell given its calculated value."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for ref, value in values.items():
                    text = re.sub(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v ?/>',
                        lambda m, v=value: (
                            f'<c r="{m.group(0)[6:].split(chr(34))[0]}" t="str"><f>{m.group(2)}</f><v>{v}</v>'
                        ),
                        text,
                    )
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def formula_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "notes"])
    sheet.append(["A1", '=UPPER("alpha")', "plain"])
    sheet.append(["A2", "Beta", '="note "&A3'])
    sheet.append(["A3", "Gamma", "fine"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_excel_formula_saved_without_its_result_is_an_error_that_says_what_to_do(
    sessions: Sessions, manager: Actor
) -> None:
    report = run(sessions, manager, "customers", formula_workbook(), name="f.xlsx")
    assert [(i.line, i.field, i.key) for i in report.errors] == [
        (2, "name", "imports.formula_without_value"),
        (3, "notes", "imports.formula_without_value"),
    ]
    assert "save it" in report.errors[0].message("en") and "粘贴为数值" in report.errors[0].message("zh")
    assert report.created == 1 and customer(sessions, "A3").name == "Gamma"


def test_an_excel_formula_saved_with_its_result_is_read_as_that_result(sessions: Sessions, manager: Actor) -> None:
    data = _with_cached_values(formula_workbook(), {"B2": "ALPHA", "C3": ""})
    table = read_table("f.xlsx", data)
    assert table.formula_cells == frozenset()
    report = run(sessions, manager, "customers", data, name="f.xlsx")
    assert (report.errors, report.created) == ((), 3)
    assert customer(sessions, "A1").name == "ALPHA" and customer(sessions, "A2").notes is None
