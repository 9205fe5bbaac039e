"""A save clears the cached reads it makes stale (ui/reads.py's CLEARS), not every cache of every user."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import ui.classification.reads
import ui.follow_ups.reads
import ui.kpis.reads
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.reads import CLEARS, clear_after

MANAGER = Actor(id=2, username="manager", display_name="Manager", role="manager")
FOLLOW_UPS = "pages/follow_ups.py"


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count how often each cached read really computes (a cache hit computes nothing)."""
    counts: Counter[str] = Counter()

    def counting(name: str, module: Any) -> None:
        real = getattr(module, name)

        def read(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, read)

    counting("team_overview", ui.follow_ups.reads)
    counting("overview", ui.kpis.reads)
    counting("distribution", ui.classification.reads)
    yield counts


def _read_everything(actor: Actor) -> None:
    ui.follow_ups.reads.cached_team_overview(actor, "week")
    ui.kpis.reads.cached_overview(actor)
    ui.classification.reads.cached_distribution(actor)


@pytest.mark.parametrize(
    ("kind", "recomputed"),
    [
        ("customer", {"overview", "distribution"}),
        ("follow_up", {"team_overview", "overview", "distribution"}),
        ("team_figures", {"team_overview"}),
    ],
)
def test_each_kind_of_write_recomputes_only_the_reads_it_makes_stale(
    role_accounts: Sessions, computed: Counter[str], kind: str, recomputed: set[str]
) -> None:
    """After a write of each kind, the reads it affects are computed again and the others are served cached."""
    _read_everything(MANAGER)
    _read_everything(MANAGER)
    assert computed == {"team_overview": 1, "overview": 1, "distribution": 1}  # the second round is cached
    clear_after(kind)
    _read_everything(MANAGER)
    assert {name for name, count in computed.items() if count == 2} == recomputed


def test_every_kind_of_write_names_only_features_that_have_cached_reads() -> None:
    from ui.reads import _clear_functions

    assert {feature for features in CLEARS.values() for feature in features} <= set(_clear_functions())


def test_a_customer_save_leaves_the_team_figures_cached_and_refreshes_the_overview(
    signed_in: Callable[[str], AppTest], computed: Counter[str]
) -> None:
    """As a manager I create a customer: the overview counts it at once, while the team figures other managers
    read stay cached (they are a snapshot with its own age and Refresh); planning a follow-up clears them."""
    at = signed_in("manager")  # a manager starts on the dashboard
    at.switch_page("pages/home.py").run()
    assert at.metric[0].value == "0"
    at.switch_page(FOLLOW_UPS).run()
    at.session_state["follow_ups_tab"] = "Team"
    at.run()
    assert not at.exception, at.exception
    assert computed["team_overview"] == 1

    at.switch_page("pages/customers.py").run()
    at.text_input(key="customers_new_name").input("Northwind Traders")
    at.button(key="customers_new_submit").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Northwind Traders"  # created: its 360 view is open

    at.switch_page(FOLLOW_UPS).run()
    at.session_state["follow_ups_tab"] = "Team"
    at.run()
    assert not at.exception, at.exception
    assert computed["team_overview"] == 1  # still the cached figures
    at.switch_page("pages/home.py").run()
    assert at.metric[0].value == "1"  # the overview was cleared by the save
    assert computed["overview"] == 2

    at.switch_page(FOLLOW_UPS).run()
    at.session_state["follow_ups_tab"] = "Planned"
    at.run()
    at.text_input(key="follow_ups_plan_customer_search").input("Northwind").run()
    form = next(b.key for b in at.button if (b.key or "").startswith("follow_ups_plan_")).removesuffix("_submit")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    at.session_state["follow_ups_tab"] = "Team"
    at.run()
    assert not at.exception, at.exception
    assert computed["team_overview"] == 2  # a follow-up write recomputes them
