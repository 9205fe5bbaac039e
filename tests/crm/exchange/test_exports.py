"""Exporting customers, contacts and orders: BOM CSV and Excel, class columns, masking, visibility, filters."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

import crm.exchange.exports
from crm.customers.service import CustomerFilter
from crm.exchange.exports import defuse_formula, export_bytes, write_export
from crm.exchange.imports import import_file
from crm.platform.errors import PermissionDenied
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.settings import update_settings
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import Contact, Customer

TODAY = dt.date(2024, 6, 30)


@pytest.fixture
def people(sessions: Sessions) -> dict[str, Actor]:
    """One account per role; staff "wang" owns C001, "lina" owns C002, C003 has no owner."""
    actors = {
        role: create_user(
            sessions, actor=SYSTEM, username=name, display_name=display, password="pass-1234567", role=role
        ).as_actor()
        for role, name, display in (
            ("manager", "boss", "Boss"),
            ("staff", "wang", "王伟"),
            ("viewer", "guest", "Guest"),
        )
    }
    actors["other"] = create_user(
        sessions, actor=SYSTEM, username="lina", display_name="李娜", password="pass-1234567", role="staff"
    ).as_actor()
    customers = (
        "客户编号,客户名称,负责人,阶段,联系人,手机,邮箱,行业\n"
        "C001,北京星辰科技有限公司,wang,签约,张三,13812345678,zhang@example.com,软件与互联网\n"
        "C002,Harbour Trading Ltd,lina,intent,Jane Roe,+44 20 7946 0958,jane@harbour.co.uk,retail\n"
        "C003,无主客户,,potential,,,,\n"
    )
    import_file(sessions, actor=SYSTEM, kind="customers", filename="c.csv", data=customers.encode("gbk"), today=TODAY)
    orders = "customer_code,order_date,amount,product\nC001,2024-01-05,1200.50,Widget\nC002,2024-02-01,99,Gizmo\n"
    import_file(sessions, actor=SYSTEM, kind="orders", filename="o.csv", data=orders.encode(), today=TODAY)
    with sessions.begin() as session:
        session.execute(
            update(Customer)
            .where(Customer.code == "C001")
            .values(
                value_tier="high",
                size_class="key",
                relationship="established",
                credit_risk="low",
                need_type="strategic",
                importance="key",
                rfm_recency_days=12,
                rfm_frequency=5,
                rfm_monetary=Decimal("1200.50"),
                rfm_r=5,
                rfm_f=4,
                rfm_m=3,
                expected_close_date=TODAY + dt.timedelta(days=20),
            )
        )
    return actors


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read Chinese correctly"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_customer_csv_has_a_bom_chinese_text_the_owner_and_every_class_column(
    sessions: Sessions, people: dict[str, Actor]
) -> None:
    rows = csv_rows(
        export_bytes(sessions, actor=people["manager"], kind="customers", fmt="csv", header_style="codes", today=TODAY)
    )
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == {"C001", "C002", "C003"}
    first = by_code["C001"]
    assert first["name"] == "北京星辰科技有限公司" and first["owner"] == "wang" and first["owner_name"] == "王伟"
    assert (first["phone"], first["email"], first["contact_name"]) == ("13812345678", "zhang@example.com", "张三")
    assert {
        k: first[k]
        for k in (
            "value_tier",
            "rfm_recency_days",
            "rfm_frequency",
            "rfm_monetary",
            "rfm_r",
            "rfm_f",
            "rfm_m",
            "rfm_score",
            "size_class",
            "relationship",
            "stage",
            "need_type",
            "importance",
            "urgency",
            "credit_risk",
            "industry",
        )
    } == {
        "value_tier": "high",
        "rfm_recency_days": "12",
        "rfm_frequency": "5",
        "rfm_monetary": "1200.50",
        "rfm_r": "5",
        "rfm_f": "4",
        "rfm_m": "3",
        "rfm_score": "12",
        "size_class": "key",
        "relationship": "established",
        "stage": "signed",
        "need_type": "strategic",
        "importance": "key",
        "urgency": "eager",
        "credit_risk": "low",
        "industry": "software",
    }
    assert by_code["C003"]["rfm_score"] == "" and by_code["C003"]["owner"] == ""


def test_labels_in_chinese_give_chinese_headers_and_values(sessions: Sessions, people: dict[str, Actor]) -> None:
    rows = csv_rows(
        export_bytes(
            sessions,
            actor=people["manager"],
            kind="customers",
            fmt="csv",
            lang="zh",
            header_style="labels",
            today=TODAY,
        )
    )
    first = next(row for row in rows if row["客户编号"] == "C001")
    assert (first["合作阶段"], first["价值等级"], first["行业"], first["成交紧迫性"]) == (
        "签约",
        "高",
        "软件与互联网",
        "渴望（1 个月内）",
    )


def test_viewers_get_phones_and_emails_masked_in_every_export(sessions: Sessions, people: dict[str, Actor]) -> None:
    viewer = people["viewer"]
    customers = {
        r["code"]: r
        for r in csv_rows(export_bytes(sessions, actor=viewer, kind="customers", fmt="csv", header_style="codes"))
    }
    assert (customers["C001"]["phone"], customers["C001"]["email"]) == ("138****5678", "z***@example.com")
    contacts = csv_rows(export_bytes(sessions, actor=viewer, kind="contacts", fmt="csv", header_style="codes"))
    assert {(r["phone"], r["email"]) for r in contacts} == {
        ("138****5678", "z***@example.com"),
        ("+44****0958", "j***@harbour.co.uk"),
    }
    workbook = load_workbook(
        io.BytesIO(export_bytes(sessions, actor=viewer, kind="contacts", fmt="xlsx", header_style="codes")),
        read_only=True,
    )
    values = [cell for row in workbook.worksheets[0].iter_rows(values_only=True) for cell in row]
    assert "13812345678" not in values and "zhang@example.com" not in values and "138****5678" in values


@pytest.mark.parametrize("staff_can_read_all", [True, False])
def test_staff_export_only_their_own_customers_whatever_they_may_read(
    sessions: Sessions, people: dict[str, Actor], staff_can_read_all: bool
) -> None:
    """Reading others' customers on screen is not exporting them: that takes a manager's permission."""
    update_settings(sessions, actor=SYSTEM, changes={"staff_can_read_all": staff_can_read_all})
    staff = people["staff"]

    def codes(kind: str, column: str, customer_filter: CustomerFilter | None = None) -> set[str]:
        return {
            r[column]
            for r in csv_rows(
                export_bytes(
                    sessions, actor=staff, kind=kind, fmt="csv", customer_filter=customer_filter, header_style="codes"
                )
            )
        }

    for customer_filter in (None, CustomerFilter(), CustomerFilter(archived="all")):
        assert codes("customers", "code", customer_filter) == {"C001"}
        assert codes("contacts", "customer_code", customer_filter) == {"C001"}
        assert codes("orders", "customer_code", customer_filter) == {"C001"}
    for role in ("manager", "viewer"):
        assert {
            r["code"]
            for r in csv_rows(
                export_bytes(sessions, actor=people[role], kind="customers", fmt="csv", header_style="codes")
            )
        } == {"C001", "C002", "C003"}


def test_a_viewers_export_masks_every_personal_contact_field(sessions: Sessions, people: dict[str, Actor]) -> None:
    """WeChat IDs and birthdays too, of contacts and of individual customers, in CSV and in Excel."""
    with sessions.begin() as session:
        session.execute(update(Contact).values(wechat="zhang6090_530", birthday=dt.date(1980, 5, 17)))
        session.execute(update(Customer).values(birthday=dt.date(1975, 3, 9)))
    viewer = people["viewer"]
    contacts = csv_rows(export_bytes(sessions, actor=viewer, kind="contacts", fmt="csv", header_style="codes"))
    assert {(r["wechat"], r["birthday"]) for r in contacts} == {("z***", "****")}
    customers = csv_rows(export_bytes(sessions, actor=viewer, kind="customers", fmt="csv", header_style="codes"))
    assert {r["birthday"] for r in customers} == {"****"}
    for kind in ("contacts", "customers"):
        workbook = load_workbook(
            io.BytesIO(export_bytes(sessions, actor=viewer, kind=kind, fmt="xlsx", header_style="codes")),
            read_only=True,
        )
        values = {cell for row in workbook.worksheets[0].iter_rows(values_only=True) for cell in row}
        assert not values & {
            "zhang6090_530",
            dt.datetime(1980, 5, 17),
            dt.datetime(1975, 3, 9),
            "13812345678",
            "zhang@example.com",
        }, kind
    # Staff and managers see them as they are.
    contacts = csv_rows(
        export_bytes(sessions, actor=people["manager"], kind="contacts", fmt="csv", header_style="codes")
    )
    assert {(r["wechat"], r["birthday"]) for r in contacts} == {("zhang6090_530", "1980-05-17")}


def test_the_filtered_list_is_exported_with_its_contacts_and_orders(
    sessions: Sessions, people: dict[str, Actor]
) -> None:
    signed = CustomerFilter(stages=("signed",))
    for kind, column in (("customers", "code"), ("contacts", "customer_code"), ("orders", "customer_code")):
        rows = csv_rows(
            export_bytes(
                sessions, actor=people["manager"], kind=kind, fmt="csv", customer_filter=signed, header_style="codes"
            )
        )
        assert {r[column] for r in rows} == {"C001"}, kind


def test_archived_customers_in_the_filtered_list_are_exported_and_marked_archived(
    sessions: Sessions, people: dict[str, Actor]
) -> None:
    archived_at = dt.datetime(2024, 6, 1, 4, 0, tzinfo=dt.UTC)
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.code == "C002").values(archived_at=archived_at))
    archived = CustomerFilter(archived="archived")
    rows = csv_rows(
        export_bytes(
            sessions,
            actor=people["manager"],
            kind="customers",
            fmt="csv",
            customer_filter=archived,
            header_style="codes",
        )
    )
    assert [(r["code"], r["archived_at"]) for r in rows] == [("C002", "2024-06-01 12:00:00")]
    for kind in ("contacts", "orders"):
        rows = csv_rows(
            export_bytes(
                sessions, actor=people["manager"], kind=kind, fmt="csv", customer_filter=archived, header_style="codes"
            )
        )
        assert {r["customer_code"] for r in rows} == {"C002"}, kind
    everyone = csv_rows(
        export_bytes(
            sessions,
            actor=people["manager"],
            kind="customers",
            fmt="csv",
            customer_filter=CustomerFilter(archived="all"),
            lang="zh",
        )
    )
    assert {r["客户编号"]: r["归档时间"] for r in everyone} == {"C001": "", "C002": "2024-06-01 12:00:00", "C003": ""}
    # Without a filter ("everything"), the live customers and their contacts and orders, as before.
    assert {
        r["code"]
        for r in csv_rows(
            export_bytes(sessions, actor=people["manager"], kind="customers", fmt="csv", header_style="codes")
        )
    } == {"C001", "C003"}


def test_excel_export_keeps_dates_and_amounts_as_excel_values(sessions: Sessions, people: dict[str, Actor]) -> None:
    buffer = io.BytesIO()
    count = write_export(sessions, actor=people["manager"], kind="orders", fmt="xlsx", out=buffer, header_style="codes")
    assert count == 2
    sheet = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "customer_code",
        "customer_name",
        "order_no",
        "order_date",
        "product",
        "amount",
        "currency",
        "notes",
    )
    assert rows[1][:2] == ("C001", "北京星辰科技有限公司")
    assert rows[1][3] == dt.datetime(2024, 1, 5) and rows[1][5] == pytest.approx(1200.5)


def test_exports_stream_in_chunks_and_lose_no_row(
    sessions: Sessions, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crm.exchange.exports, "EXPORT_CHUNK", 1)
    rows = csv_rows(export_bytes(sessions, actor=people["manager"], kind="customers", fmt="csv", header_style="codes"))
    assert len(rows) == 3


def test_an_exported_file_imports_back_without_changing_anything(sessions: Sessions, people: dict[str, Actor]) -> None:
    for kind in ("customers", "contacts", "orders"):
        for fmt, style, lang in (("csv", "codes", "en"), ("xlsx", "labels", "zh")):
            data = export_bytes(sessions, actor=people["manager"], kind=kind, fmt=fmt, header_style=style, lang=lang)
            report = import_file(
                sessions,
                actor=people["manager"],
                kind=kind,
                filename=f"back.{fmt}",
                data=data,
                dry_run=True,
                today=TODAY,
            )
            assert not report.errors, (kind, fmt, [(i.line, i.field, i.message()) for i in report.errors])
            assert not report.created and not report.updated, (kind, fmt, report.counts)


def test_exports_need_a_role_that_may_see_customers(sessions: Sessions) -> None:
    nobody = Actor(id=None, username="x", display_name="X", role="nobody")
    with pytest.raises(PermissionDenied):
        export_bytes(sessions, actor=nobody, kind="customers", fmt="csv")


def test_formula_like_texts_are_defused_in_csv_and_come_back_unchanged_on_import(
    sessions: Sessions, people: dict[str, Actor]
) -> None:
    """A name Excel would run as a formula gets an apostrophe in the CSV; phones stay as typed; re-import drops it."""
    with sessions.begin() as session:
        session.execute(
            update(Customer)
            .where(Customer.code == "C003")
            .values(name='=HYPERLINK("http://x.example")', notes="@SUM(A1:A9)")
        )
    data = export_bytes(
        sessions, actor=people["manager"], kind="customers", fmt="csv", header_style="codes", today=TODAY
    )
    by_code = {row["code"]: row for row in csv_rows(data)}
    assert by_code["C003"]["name"] == '\'=HYPERLINK("http://x.example")'
    assert by_code["C003"]["notes"] == "'@SUM(A1:A9)"
    assert by_code["C002"]["phone"].startswith("+44")  # a phone is not a formula: no apostrophe
    report = import_file(sessions, actor=SYSTEM, kind="customers", filename="again.csv", data=data, today=TODAY)
    assert not report.errors
    with sessions.read() as session:
        name, notes = session.execute(select(Customer.name, Customer.notes).where(Customer.code == "C003")).one()
    assert (name, notes) == ('=HYPERLINK("http://x.example")', "@SUM(A1:A9)")


@pytest.mark.parametrize(
    "text",
    [
        "-1-1",
        "-(1)*3",
        "+1+1",
        "=1+1",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "-A1",
        "+86-138-1234-5678",
        "-12.5.1",
        "--1",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
        '=HYPERLINK("http://evil","x")',
        "-",
        "+",
    ],
)
def test_every_text_a_spreadsheet_would_evaluate_gets_an_apostrophe(text: str) -> None:
    assert defuse_formula(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    [
        "-12.5",
        "+3",
        "-1e5",
        "12",
        "-.5",
        "+86 138 1234 5678",
        "+8613812345678",
        "+86 138****5678",
        "+44****0958",
        "+86 10 ****4321",
        "+44 20 7946 0958",
        "13812345678",
        "010-12345678",
        "plain text",
        "a=b",
        "",
        "1-1",
    ],
)
def test_plain_numbers_the_apps_phones_and_ordinary_text_stay_as_they_are(text: str) -> None:
    assert defuse_formula(text) == text


def test_arithmetic_is_defused_in_csv_kept_a_string_in_excel_and_reimports_unchanged(
    sessions: Sessions, people: dict[str, Actor]
) -> None:
    """-1-1 and -(1)*3 would open as -2 and -3; the file keeps them text, the import gets them back."""
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.code == "C003").values(name="-1-1", notes="-(1)*3"))
        session.execute(update(Customer).where(Customer.code == "C002").values(notes="＝1+1"))
    data = export_bytes(
        sessions, actor=people["manager"], kind="customers", fmt="csv", header_style="codes", today=TODAY
    )
    by_code = {row["code"]: row for row in csv_rows(data)}
    assert (by_code["C003"]["name"], by_code["C003"]["notes"]) == ("'-1-1", "'-(1)*3")
    assert by_code["C002"]["notes"] == "'＝1+1"
    assert by_code["C002"]["phone"] == "+442079460958"  # a phone is not a formula: no apostrophe
    report = import_file(sessions, actor=SYSTEM, kind="customers", filename="again.csv", data=data, today=TODAY)
    assert not report.errors
    with sessions.read() as session:
        stored = dict(session.execute(select(Customer.code, Customer.notes)).all())
        name = session.scalar(select(Customer.name).where(Customer.code == "C003"))
    assert (name, stored["C003"], stored["C002"]) == ("-1-1", "-(1)*3", "＝1+1")
    workbook = load_workbook(
        io.BytesIO(export_bytes(sessions, actor=people["manager"], kind="customers", fmt="xlsx", header_style="codes"))
    )
    cells = [cell for row in workbook.worksheets[0].iter_rows() for cell in row if cell.value in ("-1-1", "-(1)*3")]
    assert len(cells) == 2 and all(cell.data_type == "s" for cell in cells)
