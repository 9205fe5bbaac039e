"""The page registry: which screens exist, their titles, icons, and the permission each needs."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from crm.platform.permissions import Actor
from db.engine import PROJECT_ROOT
from ui.i18n import t


@dataclass(frozen=True)
class PageSpec:
    path: str
    title_key: str
    icon: str
    url_path: str
    permission: str
    section: str = "nav.section.work"


# URL paths equal the file names: a fresh server's very first request is routed by file name.
# Every screen is registered here; the page itself re-checks the same permission at its top.
PAGES: tuple[PageSpec, ...] = (
    # First: the managers' and viewers' start page (staff, who may not see it, start on their follow-ups).
    PageSpec("pages/dashboard.py", "nav.dashboard", ":material/monitoring:", "dashboard", "kpi.view"),
    PageSpec("pages/home.py", "nav.home", ":material/home:", "home", "customers.view"),
    PageSpec("pages/follow_ups.py", "nav.follow_ups", ":material/event_upcoming:", "follow_ups", "customers.view"),
    PageSpec("pages/customers.py", "nav.customers", ":material/groups:", "customers", "customers.view"),
    PageSpec("pages/complaints.py", "nav.complaints", ":material/support_agent:", "complaints", "complaints.view"),
    PageSpec(
        "pages/satisfaction.py",
        "nav.satisfaction",
        ":material/sentiment_satisfied:",
        "satisfaction",
        "satisfaction.view",
    ),
    PageSpec(
        "pages/classification.py",
        "nav.classification",
        ":material/category:",
        "classification",
        "customers.view",
        "nav.section.manage",
    ),
    PageSpec(
        "pages/admin.py", "nav.admin", ":material/admin_panel_settings:", "admin", "audit.view", "nav.section.manage"
    ),
)


def allowed_pages(actor: Actor) -> list[PageSpec]:
    """Return the pages the actor's role may open whose script exists."""
    return [spec for spec in PAGES if actor.can(spec.permission) and (PROJECT_ROOT / spec.path).exists()]


# The page a role lands on after signing in (others start on the first page they may see).
HOME_BY_ROLE: dict[str, str] = {"staff": "pages/follow_ups.py"}


def _sections(actor: Actor) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    allowed = allowed_pages(actor)
    home = HOME_BY_ROLE.get(actor.role)
    if home not in {spec.path for spec in allowed}:
        home = allowed[0].path if allowed else None
    for spec in allowed:
        page = st.Page(
            spec.path, title=t(spec.title_key), icon=spec.icon, url_path=spec.url_path, default=spec.path == home
        )
        sections.setdefault(t(spec.section), []).append(page)
    return sections


def build_navigation(actor: Actor) -> st.navigation:  # type: ignore[valid-type]
    """Build st.navigation from the pages the actor's role may see; the sidebar menu is navigation_links.

    Streamlit's own menu is hidden: clicking the page one is on keeps the URL's query string, so "Customers"
    in the menu did not leave a customer's 360 view (?customer=ID). A page link opens the page without one.
    """
    return st.navigation(_sections(actor), position="hidden")


def navigation_links(actor: Actor) -> None:
    """Draw the menu (call after build_navigation): each page the role may see, grouped by section."""
    for section, pages in _sections(actor).items():
        st.caption(section)
        for page in pages:
            st.page_link(page, width="stretch")
