"""What a user can take away: a viewer's 360 view masks every personal contact field; every table's toolbar
download is off (the export, which quotes formulas and masks, is the one way out)."""

from __future__ import annotations

import ast
import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crm.customers.records import ContactInput, add_contact
from db.engine import Sessions
from tests.app.test_customers_page import actor_of, customers, open_page  # noqa: F401 - fixtures

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_a_viewer_sees_no_wechat_id_or_birthday_in_the_360_contacts_tab(
    customers: dict[str, int],  # noqa: F811 - the fixture imported above
    open_page: Callable[..., AppTest],  # noqa: F811
    role_accounts: Sessions,
) -> None:
    """As a viewer at a demo I see the contacts of a customer, but none of their personal details."""
    add_contact(
        role_accounts,
        actor=actor_of(role_accounts, "manager"),
        customer_id=customers["acme"],
        data=ContactInput(
            name="张六",
            phone="13912345678",
            email="zhang@zhihang.cn",
            wechat="zhang6090_530",
            birthday=dt.date(1980, 5, 17),
        ),
    )
    at = open_page("viewer", customers["acme"])
    contacts = next(df.value for df in at.dataframe if "WeChat" in df.value.columns)
    row = contacts[contacts["WeChat"] != ""].iloc[0]
    assert (row["Phone"], row["Email"], row["WeChat"], row["Birthday"]) == (
        "139****5678",
        "z***@zhihang.cn",
        "z***",
        "",
    )
    shown = " ".join(df.value.to_csv() for df in at.dataframe) + " ".join(m.value for m in at.markdown)
    assert "zhang6090_530" not in shown and "1980" not in shown
    at = open_page("manager", customers["acme"])
    contacts = next(df.value for df in at.dataframe if "WeChat" in df.value.columns)
    assert "zhang6090_530" in set(contacts["WeChat"])


def test_the_table_toolbars_download_is_switched_off_for_every_table() -> None:
    """st.dataframe's "Download as CSV" would write =HYPERLINK(...) raw and skip a viewer's masking."""
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True


def test_every_table_is_drawn_through_the_shared_wrapper() -> None:
    """No screen calls st.dataframe or st.data_editor itself, so none can forget the protection."""
    direct = []
    for path in [
        PROJECT_ROOT / "app.py",
        *sorted((PROJECT_ROOT / "ui").rglob("*.py")),
        *sorted((PROJECT_ROOT / "pages").rglob("*.py")),
    ]:
        if path.name == "widgets.py" and path.parent.name == "ui":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("dataframe", "data_editor")
                and isinstance(node.value, ast.Name)
                and node.value.id == "st"
            ):
                direct.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert not direct, f"use ui.widgets.data_table / data_editor: {direct}"


def test_were_the_download_switched_on_a_tables_text_cells_would_be_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from ui import widgets

    drawn: list[Any] = []
    monkeypatch.setattr(st, "dataframe", lambda data, **kwargs: drawn.append(data))
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("http://evil","x")', "-1-1", "Acme", "+86 138 1234 5678"], "n": [1, 2, 3, 4]}
    )
    monkeypatch.setattr(st, "get_option", lambda key: False)
    widgets.data_table(frame, hide_index=True)
    assert list(drawn[-1]["name"]) == ['\'=HYPERLINK("http://evil","x")', "'-1-1", "Acme", "+86 138 1234 5678"]
    assert list(drawn[-1]["n"]) == [1, 2, 3, 4]
    monkeypatch.setattr(st, "get_option", lambda key: True)
    widgets.data_table(frame)
    assert drawn[-1] is frame  # shown as it is while the download is off
