"""The import panel and the export buttons, rendered by a small script as pages/customers.py will mount them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Customer
from tests.app.conftest import TIMEOUT

GOOD_AND_BAD = (
    "客户编号,客户名称,邮箱,阶段\n"
    "C001,北京星辰科技有限公司,zhang@example.com,意向\n"
    "C002,,li@example,签约\n"
    "C003,深圳海风贸易,,未知阶段\n"
)


def _panel_script() -> None:
    import streamlit as st

    from ui.customers.import_panel import render_export_buttons, render_import_panel

    actor = st.session_state["crm_actor"]
    render_import_panel(actor)
    render_export_buttons(actor)


def start(sessions: Sessions, role: str, lang: str = "en") -> AppTest:
    user = get_user(sessions, username=role)
    assert user is not None
    at = AppTest.from_function(_panel_script, default_timeout=TIMEOUT)
    at.session_state["crm_actor"] = user.as_actor()
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="customers_import_file").set_value((name, data, "text/csv"))
    at.run()
    assert not at.exception, at.exception
    return at


def customers(sessions: Sessions) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


def test_a_manager_dry_runs_a_gbk_file_and_sees_every_bad_row_with_its_line(role_accounts: Sessions) -> None:
    """As a manager I upload a GBK file, dry-run it, and see each bad row's line, column and reason in Chinese."""
    at = upload(start(role_accounts, "manager", "zh"), "客户.csv", GOOD_AND_BAD.encode("gbk"))
    assert at.selectbox(key="customers_import_kind").value == "customers"
    assert any("gb18030" in caption.value for caption in at.caption)
    mapped = {
        int(box.key.rsplit("_", 1)[1]): box.value
        for box in at.selectbox
        if box.key and box.key.startswith("customers_import_map_")
    }
    assert [mapped[i] for i in sorted(mapped)] == ["code", "name", "email", "lifecycle_stage"]
    at.button(key="customers_import_dry_run").click().run()
    assert not at.exception, at.exception
    assert at.info[0].value == "试运行：未保存任何内容。"
    problems = at.dataframe[-1].value
    assert list(problems["行号"]) == [3, 3, 4]
    assert list(problems["列"]) == ["客户名称", "邮箱", "阶段"]
    assert problems["问题"].iloc[0] == "必填。"
    assert customers(role_accounts) == 0


def test_a_manager_imports_the_good_rows_of_a_file(role_accounts: Sessions) -> None:
    """As a manager I import a file: the good rows are saved and the bad ones listed."""
    at = upload(start(role_accounts, "manager"), "customers.csv", GOOD_AND_BAD.encode("utf-8-sig"))
    at.button(key="customers_import_run").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Import finished."
    assert [m.value for m in at.metric][:2] == ["3", "1"]
    assert customers(role_accounts) == 1


def test_all_or_nothing_in_the_panel_saves_nothing_when_a_row_is_bad(role_accounts: Sessions) -> None:
    """As a manager I tick "all or nothing": a file with a bad row saves nothing and says so."""
    at = upload(start(role_accounts, "manager"), "customers.csv", GOOD_AND_BAD.encode())
    at.checkbox(key="customers_import_all_or_nothing").check()
    at.button(key="customers_import_run").click().run()
    assert not at.exception, at.exception
    assert "Nothing was imported" in at.error[0].value
    assert customers(role_accounts) == 0


def test_a_file_that_cannot_be_read_gives_a_message_not_a_traceback(role_accounts: Sessions) -> None:
    """As a manager who uploads an empty file I get a plain explanation."""
    at = upload(start(role_accounts, "manager"), "empty.csv", b"")
    assert "The file is empty" in at.error[0].value


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewers_see_no_import_but_can_export(role_accounts: Sessions, role: str) -> None:
    """As staff or a viewer I am told that only managers import, and I still get the export buttons."""
    at = start(role_accounts, role)
    assert at.info[0].value == "Only managers and administrators may import."
    assert len(at.get("download_button")) == 2
    masked_note = "Phones and emails are masked in your exports."
    assert (masked_note in [c.value for c in at.caption]) == (role == "viewer")


def test_the_export_offers_the_filtered_list_or_everything(role_accounts: Sessions) -> None:
    """As a manager on a filtered list I choose between exporting the filtered list and everything."""
    script = """
import streamlit as st
from crm.customers.service import CustomerFilter
from ui.customers.import_panel import render_export_buttons
render_export_buttons(st.session_state["crm_actor"], CustomerFilter(stages=("signed",)))
"""
    at = AppTest.from_string(script, default_timeout=TIMEOUT)
    user = get_user(role_accounts, username="manager")
    assert user is not None
    at.session_state["crm_actor"] = Actor(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role
    )
    at.run()
    assert not at.exception, at.exception
    assert at.radio(key="customers_export_scope").value == "filtered"
    at.radio(key="customers_export_scope").set_value("all").run()
    assert not at.exception, at.exception


def test_a_column_set_to_ignore_is_left_out_of_the_import(role_accounts: Sessions) -> None:
    """As a manager I set a badly filled column to "ignore" and the dry run no longer complains about it."""
    at = upload(start(role_accounts, "manager"), "customers.csv", GOOD_AND_BAD.encode())
    email_box = next(
        box
        for box in at.selectbox
        if box.key and box.key.endswith("_2") and box.key.startswith("customers_import_map_")
    )
    email_box.set_value("ignore")
    at.button(key="customers_import_dry_run").click().run()
    assert not at.exception, at.exception
    problems = at.dataframe[-1].value
    assert list(problems["Column"]) == ["客户名称", "阶段"]


CODELESS = "客户名称,邮箱\n北京星辰科技有限公司,\n上海海风贸易,sh@example.com\n深圳新客户,\n"


def test_a_manager_chooses_per_row_what_a_likely_duplicate_of_a_file_without_codes_does(
    role_accounts: Sessions,
) -> None:
    """As a manager I import a list without codes: the dry run shows each likely duplicate with its match, and I
    import one as new while the other one is skipped."""
    at = upload(
        start(role_accounts, "manager"),
        "existing.csv",
        "客户编号,客户名称\nK1,北京星辰科技\nK2,上海海风贸易\n".encode(),
    )
    at.button(key="customers_import_run").click().run()
    assert not at.exception, at.exception
    assert customers(role_accounts) == 2
    at = upload(at, "list.csv", CODELESS.encode())
    assert at.radio(key="customers_import_on_duplicate").value == "skip"
    at.button(key="customers_import_dry_run").click().run()
    assert not at.exception, at.exception
    rows = [box for box in at.selectbox if box.key and box.key.startswith("customers_import_dup_")]
    assert [box.label for box in rows] == [
        "Line 2: “北京星辰科技有限公司” looks like K1 “北京星辰科技” (same name)",
        "Line 3: “上海海风贸易” looks like K2 “上海海风贸易” (same name)",
    ]
    assert [box.value for box in rows] == ["skip", "skip"]
    rows[1].set_value("new")
    at.button(key="customers_import_run").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Import finished."
    assert "Likely duplicates skipped: 1" in [c.value for c in at.caption]
    assert customers(role_accounts) == 4  # 上海海风贸易 as new, 深圳新客户; 北京星辰科技有限公司 skipped
