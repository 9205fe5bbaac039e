"""The import and export commands: dry run, report file, all-or-nothing, create-missing, CSV and Excel output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.cli import main
from db.engine import make_engine, make_session_factory
from db.models import Customer, Order

CUSTOMERS = (
    "客户编号,客户名称,行业,地区,联系人,手机\n"
    "C001,北京星辰科技有限公司,软件与互联网,华北,张三,13812345678\n"
    "C002,上海海风贸易有限公司,零售,华东,李四,13987654321\n"
)
ORDERS = "customer_code,order_date,amount,product\nC001,2024-01-05,100.50,Widget\nC002,2024-01-06,20,Gadget\n"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    return url


def rows(url: str, model: type) -> int:
    engine = make_engine(url)
    try:
        with make_session_factory(engine).read() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_dry_run_writes_nothing_then_the_import_writes_everything(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "customers.csv", CUSTOMERS.encode("gbk"))
    assert main(["import", "customers", path, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing written (counts: what an import would do)" in out and "customers.created 2" in out
    assert rows(database, Customer) == 0
    assert main(["import", "customers", path]) == 0
    out = capsys.readouterr().out
    assert "customers.created 2" in out and "encoding gb18030" in out
    assert rows(database, Customer) == 2
    assert main(["import", "customers", path]) == 0
    assert "customers.unchanged 2" in capsys.readouterr().out


def test_bad_rows_are_listed_with_line_numbers_and_written_to_the_report(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "customers.csv", (CUSTOMERS + "C003,,,,,\n").encode("utf-8-sig"))
    report = tmp_path / "report.csv"
    assert main(["import", "customers", path, "--report", str(report), "--lang", "zh", "--dry-run"]) == 1
    assert "line 4: 客户名称: 错误: 必填。" in capsys.readouterr().err
    assert report.read_bytes().decode("utf-8-sig").splitlines() == ["行号,列,类型,问题", "4,客户名称,错误,必填。"]


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "customers.csv", (CUSTOMERS + "C003,,,,,\n").encode())
    assert main(["import", "customers", path, "--all-or-nothing"]) == 1
    out = capsys.readouterr().out
    assert "NOTHING written (fix the errors above" in out and "what would have been written" in out
    assert rows(database, Customer) == 0
    assert main(["import", "customers", path]) == 1  # without it the two good rows go in
    assert rows(database, Customer) == 2


def test_orders_of_unknown_customers_need_create_missing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "orders.csv", ORDERS.encode())
    assert main(["import", "orders", path]) == 1
    assert "No customer has the code C001" in capsys.readouterr().err
    assert main(["import", "orders", path, "--create-missing"]) == 0
    assert rows(database, Customer) == 2 and rows(database, Order) == 2
    assert main(["import", "orders", path]) == 0
    assert rows(database, Order) == 2


def test_a_missing_file_is_an_error(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "orders", "/nonexistent/orders.csv"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_csv_export_goes_to_stdout_with_a_bom(
    database: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    main(["import", "customers", write(tmp_path, "c.csv", CUSTOMERS.encode())])
    capsysbinary.readouterr()
    assert main(["export", "customers"]) == 0
    output = capsysbinary.readouterr().out
    assert output.startswith(b"\xef\xbb\xbf")
    lines = output.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("code,name,customer_type,industry,region")
    assert "value_tier" in lines[0] and "rfm_score" in lines[0] and "urgency" in lines[0]
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["C001", "C002"]


def test_excel_export_needs_an_output_file_and_writes_a_workbook(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", "orders", write(tmp_path, "o.csv", ORDERS.encode()), "--create-missing"])
    assert main(["export", "orders", "--format", "xlsx"]) == 2
    target = tmp_path / "orders.xlsx"
    assert main(["export", "orders", "--format", "xlsx", "-o", str(target), "--headers", "labels", "--lang", "zh"]) == 0
    sheet = load_workbook(io.BytesIO(target.read_bytes()), read_only=True).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:4] == ("客户编号", "客户名称", "订单号", "订单日期")
    assert [row[0] for row in table[1:]] == ["C001", "C002"]


def test_an_export_as_a_viewer_masks_phones_and_an_unknown_user_is_refused(
    database: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    from crm.platform.permissions import SYSTEM
    from crm.platform.users import create_user

    main(["import", "customers", write(tmp_path, "c.csv", CUSTOMERS.encode())])
    engine = make_engine(database)
    try:
        create_user(
            make_session_factory(engine),
            actor=SYSTEM,
            username="vera",
            display_name="Vera Viewer",
            password="viewer-secret-1",
            role="viewer",
        )
    finally:
        engine.dispose()
    capsysbinary.readouterr()
    assert main(["export", "customers", "--as", "vera"]) == 0
    masked = capsysbinary.readouterr().out.decode("utf-8-sig")
    assert "138****5678" in masked and "13812345678" not in masked
    assert main(["export", "contacts", "--as", "Vera"]) == 0  # user names are case-insensitive
    contacts = capsysbinary.readouterr().out.decode("utf-8-sig")
    assert "139****4321" in contacts and "13987654321" not in contacts
    assert main(["export", "customers"]) == 0  # without --as: everything, unmasked
    assert "13812345678" in capsysbinary.readouterr().out.decode("utf-8-sig")
    assert main(["export", "customers", "--as", "nobody"]) == 2
    assert "no active user named 'nobody'" in capsysbinary.readouterr().err.decode()


def test_a_customer_file_without_codes_skips_likely_duplicates_unless_told_otherwise(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", "customers", write(tmp_path, "c.csv", CUSTOMERS.encode("utf-8"))])
    capsys.readouterr()
    codeless = write(tmp_path, "codeless.csv", "客户名称,手机\n北京星辰科技,\n新客户,\n".encode())
    assert main(["import", "customers", codeless, "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "Likely duplicate of C001 “北京星辰科技有限公司” (same name): skipped." in captured.err
    assert "customers.created 1, customers.skipped 1" in captured.out
    assert main(["import", "customers", codeless]) == 0
    assert main(["import", "customers", codeless]) == 0  # the new one is there now: skipped too
    assert "customers.skipped 2" in capsys.readouterr().out
    assert rows(database, Customer) == 3
    assert main(["import", "customers", codeless, "--on-duplicate", "new"]) == 0
    assert "customers.created 2" in capsys.readouterr().out
    assert rows(database, Customer) == 5


def test_identical_order_rows_are_counted_and_each_imported(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = ORDERS + "C001,2024-01-05,100.50,Widget\n"
    assert main(["import", "orders", write(tmp_path, "o.csv", twice.encode()), "--create-missing"]) == 0
    captured = capsys.readouterr()
    assert "1 row(s) repeat an earlier row of the file" in captured.err
    assert "orders.created 3" in captured.out and rows(database, Order) == 3
