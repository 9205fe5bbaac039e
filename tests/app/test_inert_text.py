"""What users type is shown as text: every Markdown place on the customer pages and the sidebar gets it escaped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer, get_customer, update_customer
from crm.follow_ups.service import log_contact
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import utcnow
from tests.app.conftest import APP, TIMEOUT, sign_in
from ui.inert import inert, preview

PAGE = "pages/customers.py"
HOSTILE = (
    "![x](http://evil.example/x.png) [click](http://evil.example) <img src=x onerror=alert(1)> **bold** "
    "$x$ :red[x] www.evil.example"
)
SHORT = "![x](http://evil.example/n.png) [c](http://evil.example) <img src=x> **bold** $x$ :red[r]"  # <= 120
# What a Markdown renderer would turn into an image, a link, HTML, emphasis, maths or a colour: an unescaped
# opener (not preceded by a backslash).
LIVE = [
    re.compile(p)
    for p in (
        r"(?<!\\)!(?<!\\)\[",
        r"(?<!\\)\]\(",
        r"(?<!\\)<img",
        r"(?<!\\)\*\*bold",
        r"(?<!\\)\$x(?<!\\)\$",
        r"(?<!\\):red(?<!\\)\[",
        r"(?<!\u2060)www(?!\u2060)\\?\.evil",
        r"(?<!\\)<b>",
    )
]
PASSWORD = "hostile-secret-1"


def markdown_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """Every string of the page that Streamlit renders as Markdown, with the element type it came from.

    Bodies of Markdown-rendering elements (markdown, captions, headings, alerts, toasts, metric labels),
    labels of every widget and block (expander, tab, popover), and radio options. Text elements, selectbox
    options and input values are plain text and left out.
    """

    def walk(node: Any) -> Iterator[Any]:
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)

    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or not hasattr(proto, "DESCRIPTOR") or kind in ("text", "arrow_data_frame"):
            continue
        data = MessageToDict(proto, preserving_proto_field_name=True)
        for name in ("body", "label"):
            if isinstance(data.get(name), str):
                yield kind, data[name]
        for block in ("expandable", "tab", "popover"):
            if isinstance(data.get(block), dict) and isinstance(data[block].get("label"), str):
                yield block, data[block]["label"]
        if kind == "radio":
            yield kind, " ".join(data.get("options", []))


def live_markdown(at: AppTest) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in markdown_texts(at) if any(p.search(text) for p in LIVE)]


def shown(at: AppTest) -> str:
    return "\n".join(text for _kind, text in markdown_texts(at))


@pytest.fixture
def hostile(role_accounts: Sessions) -> dict[str, Any]:
    """A manager whose display name, and a customer whose name, address, notes, contact and timeline are hostile."""
    user = create_user(
        role_accounts, actor=SYSTEM, username="hostile", display_name=SHORT, password=PASSWORD, role="manager"
    ).as_actor()
    customer = create_customer(
        role_accounts,
        actor=user,
        confirm_duplicates=True,
        data=CustomerInput(name=HOSTILE, owner_id=user.id, address=HOSTILE, notes=HOSTILE),
        contact=ContactInput(name=SHORT, phone="13812345678", is_primary=True),
    )
    customer = update_customer(
        role_accounts, actor=user, customer_id=customer.id, version=customer.version, changes={"address": SHORT}
    )
    log_contact(
        role_accounts,
        actor=user,
        customer_id=customer.id,
        channel="phone",
        summary=HOSTILE,
        occurred_at=utcnow() - dt.timedelta(minutes=5),
    )
    return {"user": user, "customer": customer.id}


def start(username: str = "hostile", password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, username, password)
    assert not at.exception, at.exception
    return at


def test_inert_escapes_every_markdown_opener_and_keeps_the_text() -> None:
    """A hostile value comes out with no live Markdown in it, on one line, and reads as typed once rendered."""
    escaped = inert(HOSTILE + "\n\n# heading\n- item")
    assert not any(p.search(escaped) for p in LIVE)
    assert "\n" not in escaped
    assert re.sub(r"\\(.)", r"\1", escaped).replace("\u2060", "") == HOSTILE + " # heading - item"
    assert inert(None) == "" and inert("Acme Robotics Ltd") == "Acme Robotics Ltd"


def test_preview_keeps_the_first_lines_of_a_long_text() -> None:
    text = "\n".join(f"line {i}" for i in range(10))
    assert preview(text) == ("line 0\nline 1\nline 2 …", True)
    assert preview("x" * 5000)[0] == "x" * 300 + " …"
    assert preview("short") == ("short", False)


def test_the_sidebar_shows_a_hostile_display_name_as_text(hostile: dict[str, Any]) -> None:
    """As a user whose display name is Markdown, I see it as typed in the sidebar, with no link or image."""
    at = start()
    assert inert(SHORT) in shown(at)
    assert live_markdown(at) == []


def test_the_customer_list_and_its_notices_show_hostile_names_as_text(hostile: dict[str, Any]) -> None:
    """As a manager, the list, the open picker and the bulk panel never render a customer's name as Markdown."""
    at = start()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert HOSTILE in list(at.dataframe[0].value["Name"])  # the grid shows plain text as it is
    assert live_markdown(at) == []


def test_the_360_view_shows_hostile_values_as_text_in_every_tab(hostile: dict[str, Any]) -> None:
    """As a manager on a hostile customer's 360 view: title, caption, facts, notes, timeline, merge, all text."""
    at = start()
    at.switch_page(PAGE)
    at.query_params["customer"] = str(hostile["customer"])
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == inert(HOSTILE)
    text = shown(at)
    assert inert(SHORT) in text  # the owner in the caption, the address and the timeline's change
    assert inert(SHORT) in list(at.table[0].value.iloc[:, 1])  # the address in the facts table (Markdown cells)
    plain = [t.value for t in at.text]
    assert HOSTILE in plain  # the notes and the follow-up's summary: st.text, never parsed
    assert live_markdown(at) == [], live_markdown(at)


def test_a_saved_name_is_announced_as_text(hostile: dict[str, Any], role_accounts: Sessions) -> None:
    """As a manager who saves a customer, the toast naming it does not render the name as Markdown."""
    at = start()
    at.switch_page(PAGE)
    at.query_params["customer"] = str(hostile["customer"])
    at.run()
    at.text_input(key="customers_edit_name").input(SHORT)
    at.button(key="customers_edit_submit").click().run()
    assert not at.exception, at.exception
    assert get_customer(role_accounts, actor=hostile["user"], customer_id=hostile["customer"]).name == SHORT
    assert any(inert(SHORT) in str(toast.value) for toast in at.toast)
    assert live_markdown(at) == [], live_markdown(at)


def test_a_long_timeline_note_shows_its_first_lines_until_show_more(
    hostile: dict[str, Any], role_accounts: Sessions
) -> None:
    """As a manager, a 5,000-character note in the timeline shows a few wrapped lines; Show more shows it all."""
    user: Actor = hostile["user"]
    note = "\n".join(f"line {i}: " + "long note text " * 30 for i in range(12))
    assert len(note) > 5000
    current = get_customer(role_accounts, actor=user, customer_id=hostile["customer"])
    update_customer(role_accounts, actor=user, customer_id=current.id, version=current.version, changes={"notes": note})
    at = start()
    at.switch_page(PAGE)
    at.query_params["customer"] = str(hostile["customer"])
    at.run()
    entry = next(t.value for t in at.text if t.value.startswith(HOSTILE[:20]) and "line 0" in t.value)
    assert "line 11" not in entry and entry.endswith("…") and len(entry) < 400
    more = next(b for b in at.button if b.key and b.key.startswith("customers_timeline_") and b.label == "Show more")
    more.click().run()
    assert not at.exception, at.exception
    assert any("line 11" in t.value and len(t.value) > 5000 for t in at.text)
