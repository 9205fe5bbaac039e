"""Benchmark section `pages`: every page's server-side render through Streamlit's AppTest (which runs app.py as
the server does, without a browser), signed in as the demo's manager and its staff member, each page cold
(Streamlit's cached reads cleared) and warm (the median of reruns); the manager's dashboard once more from a link
with three filters in its URL.

This is the one module under crm/ that imports Streamlit: it drives the app from outside, like tests/app, and
renders nothing itself (tests/test_architecture.py names it as the exception).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from crm.bench.runner import Context, Measurement
from crm.demo import DEMO_ACCOUNTS
from db.engine import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"
ROLES = ("manager", "staff")
DASHBOARD = "pages/dashboard.py"
TIMEOUT = 900  # seconds for one run of a page: generous, a million customers on a busy machine


@contextlib.contextmanager
def _app_on(url: str) -> Iterator[None]:
    """Point app.py at the benchmark database and run it as the server would, for the length of the block."""
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    saved_url = os.environ.get("CRM_DATABASE_URL")
    os.environ["CRM_DATABASE_URL"] = url
    # AppTest resets PagesManager.uses_pages_directory before each run; with a pages/ folder Streamlit would then
    # run the page script alone, skipping app.py. The real server clears the flag on its first st.navigation call
    # (the same patch as tests/app/conftest.py).
    original_init = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]
    # Outside a server Streamlit warns on every run (no runtime, no script context), and each run sets its loggers'
    # levels again from its config: silence warnings for the block, the table is what matters.
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        # The sign-in component prints to stdout; keep the benchmark's output to its table.
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()  # the benchmark database's engine
        PagesManager.__init__ = original_init  # type: ignore[method-assign]
        logging.disable(disabled)
        if saved_url is None:
            os.environ.pop("CRM_DATABASE_URL", None)
        else:
            os.environ["CRM_DATABASE_URL"] = saved_url


def _failure(at: object) -> str | None:
    exceptions = getattr(at, "exception", None)
    if exceptions:
        return str(exceptions[0].message).splitlines()[0][:200]
    return None


def _timed_run(at: object, call: str = "run") -> float:
    started = time.perf_counter()
    getattr(at, call)(timeout=TIMEOUT)
    return (time.perf_counter() - started) * 1000


def _menu(at: object) -> list[str]:
    """The page scripts the signed-in user's menu links to, in the menu's order."""
    from streamlit.util import calc_hash

    # st.Page's script hash is its url_path's, and the app's url paths are the file names.
    by_hash = {calc_hash(path.stem): f"pages/{path.name}" for path in sorted((PROJECT_ROOT / "pages").glob("*.py"))}
    links = at.get("page_link")  # type: ignore[attr-defined]
    return [by_hash[link.proto.page_script_hash] for link in links if link.proto.page_script_hash in by_hash]


def _page(at: object, role: str, path: str, warm_runs: int, label: str = "") -> Measurement:
    import streamlit as st

    name = f"{role}: {path.removeprefix('pages/').removesuffix('.py')}{label}"
    try:
        st.cache_data.clear()
        started = time.perf_counter()
        at.switch_page(path).run(timeout=TIMEOUT)  # type: ignore[attr-defined]
        cold = (time.perf_counter() - started) * 1000
        if failure := _failure(at):
            return Measurement("pages", name, round(cold, 1), None, error=failure)
        runs = [_timed_run(at) for _ in range(warm_runs)]
        if failure := _failure(at):
            return Measurement("pages", name, round(cold, 1), None, error=failure)
    except Exception as error:  # noqa: BLE001 - one page's failure is reported in its row, the others still run
        return Measurement("pages", name, None, None, error=f"{type(error).__name__}: {error}"[:200])
    boxes = len(at.error)  # type: ignore[attr-defined]
    note = f"{boxes} error box(es) on the page" if boxes else ""
    return Measurement("pages", name, round(cold, 1), round(statistics.median(runs), 1) if runs else None, note)


def measure(ctx: Context) -> list[Measurement]:
    """Sign in as each role and time every page of its menu, cold then warm."""
    from streamlit.testing.v1 import AppTest

    rows = []
    with _app_on(ctx.url):
        for role in ROLES:
            account = next(a for a in DEMO_ACCOUNTS if a.role == role)
            at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
            screen = _timed_run(at)
            # English, whatever the account's language, so that runs compare with each other. Picking a language
            # on the sign-in screen wins over the account's.
            for language in ("zh", "en"):
                at.selectbox(key="public_language").set_value(language).run(timeout=TIMEOUT)
            at.text_input[0].input(account.username)
            at.text_input[1].input(account.password)
            started = time.perf_counter()
            at.button[0].click().run(timeout=TIMEOUT)
            at.run(timeout=TIMEOUT)  # as the cookie component reruns the app after signing in
            signed_in = (time.perf_counter() - started) * 1000
            pages = _menu(at)
            rows.append(Measurement("pages", f"{role}: sign-in screen", round(screen, 1)))
            if not pages:
                rows.append(
                    Measurement(
                        "pages", f"{role}: sign in", round(signed_in, 1), error=_failure(at) or "not signed in: no menu"
                    )
                )
                continue
            rows.append(
                Measurement("pages", f"{role}: sign in", round(signed_in, 1), None, f"{len(pages)} pages in the menu")
            )
            rows.extend(_page(at, role, path, ctx.warm_runs) for path in pages)
            if DASHBOARD in pages:
                rows.append(_filtered_dashboard(at, role, ctx))
    return rows


def _filtered_dashboard(at: Any, role: str, ctx: Context) -> Measurement:
    """The dashboard opened from a link with three filters in its URL (the dashboard section's: the biggest
    department and region, the medium tier), cold and warm; the filters are taken out of the URL afterwards."""
    from crm.bench.dashboard import three_filters

    query = three_filters(ctx.sessions).to_query()
    for name, value in query.items():
        at.query_params[name] = value
    try:
        measured = _page(at, role, DASHBOARD, ctx.warm_runs, label=", 3 filters in the URL")
        kept = {name: at.query_params.get(name) for name in query}
        if measured.error is not None:
            return measured
        if kept != query:  # the page drops the filters it cannot read from its URL
            return replace(measured, error=f"the page did not keep the filters {query}: {kept}")
        return replace(measured, note=" ".join(filter(None, (measured.note, urlencode(query)))))
    finally:
        for name in query:
            at.query_params.pop(name, None)
