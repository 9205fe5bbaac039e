"""Responses: the list with its filters, paged in SQL, its CSV, and one response's detail (managers may archive a
mistaken one)."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import streamlit as st

from crm.exchange.exports import defuse_formula
from crm.platform.i18n import t as translate
from crm.platform.permissions import Actor
from crm.satisfaction import (
    CHANNELS,
    SCORE_BANDS,
    ResponseDetail,
    ResponseFilters,
    ResponseRow,
    archive_response,
    list_responses,
    response_detail,
)
from db.engine import Sessions
from ui.complaints.reads import cached_assignees
from ui.complaints.widgets import open_on_detail
from ui.i18n import lang, number, set_widget_value, t, when
from ui.inert import inert, inert_t, long_text, preview
from ui.reads import clear_after
from ui.satisfaction import keys
from ui.satisfaction.downloads import MIME, csv_download, file_name
from ui.satisfaction.reads import cached_campaigns, cached_templates
from ui.satisfaction.widgets import channel_label, choice, flash, int_or_dash, run_write, show_flash
from ui.state import get_sessions
from ui.widgets import action_errors, data_table, error_boundary, form_token, pager

log = logging.getLogger("crm.ui")

PAGE_SIZE = 25
CSV_CHUNK = 500
CSV_MAX_ROWS = 50_000
BEHIND_FIELDS = ("department_id", "value_tier", "lifecycle_stage", "industry", "region")


# --- opening the tab from elsewhere ------------------------------------------------------------------------


def open_in_responses(flt: ResponseFilters) -> None:
    """Show the Responses tab filtered as given (a callback: the tab is chosen before the page draws it)."""
    state = st.session_state
    state[keys.R_FROM], state[keys.R_TO] = flt.start, flt.end
    for key in (keys.R_CHANNEL, keys.R_TEMPLATE, keys.R_CAMPAIGN, keys.R_BAND):
        set_widget_value(key, None)
    set_widget_value(keys.R_OWNER, flt.owner_id)
    state[keys.R_ALERTS] = flt.alert_only
    state[keys.R_BEHIND] = {name: getattr(flt, name) for name in BEHIND_FIELDS if getattr(flt, name) is not None}
    state.pop(keys.R_PAGE, None)
    state.pop(keys.R_OPEN, None)
    state[keys.TAB] = t("satisfaction.tab.responses")


def open_response(response_id: int) -> None:
    """Show one response's detail on the Responses tab."""
    st.session_state[keys.R_OPEN] = int(response_id)
    st.session_state[keys.TAB] = t("satisfaction.tab.responses")


# --- the section ------------------------------------------------------------------------------------------


def responses_section(sessions: Sessions, actor: Actor) -> None:
    """The filters, one page of responses (newest first), its CSV, and the detail of the response picked."""
    show_flash()
    flt = _filters(actor)
    if flt is None:
        return
    responses_list(actor, flt, page_key=keys.R_PAGE, name="responses", pick=True)
    opened = st.session_state.get(keys.R_OPEN)
    if opened is not None:
        with error_boundary("satisfaction response detail"):
            detail_panel(sessions, actor, int(opened))


def _filters(actor: Actor) -> ResponseFilters | None:
    behind = dict(st.session_state.get(keys.R_BEHIND) or {})
    with st.expander(t("satisfaction.page.filters"), icon=":material/filter_list:", expanded=bool(behind)):
        top = st.columns([1, 1, 2, 2])
        start = top[0].date_input(t("common.from"), value=None, format="YYYY-MM-DD", key=keys.R_FROM)
        end = top[1].date_input(t("common.to"), value=None, format="YYYY-MM-DD", key=keys.R_TO)
        channel = choice(
            top[2], "satisfaction.page.filter.channel", {c: channel_label(c) for c in CHANNELS}, keys.R_CHANNEL
        )
        families = {
            tpl.family_id: tpl.name for tpl in sorted(cached_templates(actor, True), key=lambda tpl: tpl.revision)
        }
        family = choice(top[3], "satisfaction.page.filter.template", families, keys.R_TEMPLATE)
        bottom = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
        campaign = choice(
            bottom[0],
            "satisfaction.page.filter.campaign",
            {c.id: c.name for c in cached_campaigns(actor)},
            keys.R_CAMPAIGN,
        )
        owner = None
        if actor.can("customers.view_all"):
            owner = choice(
                bottom[1],
                "satisfaction.page.filter.owner",
                {c.id: c.label for c in cached_assignees(actor)},
                keys.R_OWNER,
            )
        band = choice(
            bottom[2],
            "satisfaction.page.filter.band",
            {b: t(f"satisfaction.band.{b}") for b in SCORE_BANDS},
            keys.R_BAND,
        )
        alerts_only = bottom[3].toggle(t("satisfaction.page.filter.alerts_only"), key=keys.R_ALERTS)
    if behind:
        row = st.columns([6, 1], vertical_alignment="center")
        row[0].info(t("satisfaction.page.behind_filter", what=_behind_text(actor, behind)), icon=":material/bar_chart:")
        row[1].button(
            t("satisfaction.page.behind_clear"),
            key=f"{keys.R_BEHIND}_clear",
            icon=":material/close:",
            on_click=lambda: st.session_state.pop(keys.R_BEHIND, None),
        )
    if start and end and start > end:
        st.error(t("satisfaction.page.period_error"), icon=":material/error:")
        return None
    return ResponseFilters(
        start=start,
        end=end,
        channel=channel,
        template_family_id=family,
        campaign_id=campaign,
        owner_id=owner,
        score_band=band,
        alert_only=bool(alerts_only),
        **behind,
    )


def _behind_text(actor: Actor, behind: dict[str, Any]) -> str:
    from ui.complaints.widgets import departments

    parts = []
    for name, value in behind.items():
        if name == "department_id":
            parts.append(departments(actor).get(value, str(value)))
        else:
            prefix = {"value_tier": "tier", "lifecycle_stage": "stage"}.get(name, name)
            parts.append(t(f"{prefix}.{value}"))
    return " · ".join(parts)


# --- the list ---------------------------------------------------------------------------------------------


def _columns() -> dict[str, str]:
    return {
        "date": t("satisfaction.page.col.date"),
        "customer": t("satisfaction.page.col.customer"),
        "channel": t("satisfaction.page.col.channel"),
        "overall": t("satisfaction.page.col.overall"),
        "nps": t("satisfaction.page.col.nps"),
        "alert": t("satisfaction.page.col.alert"),
        "owner": t("satisfaction.page.col.owner"),
        "template": t("satisfaction.page.col.template"),
        "complaint": t("satisfaction.page.col.complaint"),
        "comment": t("satisfaction.page.col.comment"),
    }


def alert_text(row: ResponseRow | ResponseDetail) -> str:
    if not row.alert:
        return ""
    return t("satisfaction.page.alert_open") if row.alert_open else t("satisfaction.page.alert_closed")


def _row_values(row: ResponseRow) -> dict[str, Any]:
    template = template_text(row.template_name, row.template_revision)
    return {
        "date": when(row.responded_at),
        "customer": row.customer_name,
        "channel": channel_label(row.channel),
        "overall": int_or_dash(row.overall),
        "nps": int_or_dash(row.nps),
        "alert": alert_text(row),
        "owner": row.owner_name or "—",
        "template": template,
        "complaint": row.complaint_code or "",
        "comment": preview(row.comment, lines=1, chars=80)[0],
    }


def response_frame(rows: list[ResponseRow], *, customer: bool = True) -> pd.DataFrame:
    """The responses as the table shows them (without the customer's column in that customer's own view)."""
    names = {k: v for k, v in _columns().items() if customer or k != "customer"}
    return pd.DataFrame(
        [{names[k]: v for k, v in _row_values(row).items() if k in names} for row in rows],
        columns=list(names.values()),
    )


def responses_list(actor: Actor, flt: ResponseFilters, *, page_key: str, name: str, pick: bool) -> None:
    """One page of the responses matching the filters, its pager and the CSV of all of them; with pick, a click on
    a row opens its detail."""
    page_index = int(st.session_state.get(page_key, 1) or 1) - 1
    rows, total = list_responses(get_sessions(), actor=actor, filters=flt, page=page_index, page_size=PAGE_SIZE)
    head = st.columns([1, 4], vertical_alignment="bottom")
    head[0].metric(t("satisfaction.page.in_list"), number(total))
    if not rows:
        st.info(t("satisfaction.page.list_empty"), icon=":material/inbox:")
        return
    ids = [row.id for row in rows]
    table_key = keys.R_TABLE if pick else f"{keys.R_TABLE}_{name}"
    options: dict[str, Any] = {}
    if pick:
        options = {"key": table_key, "on_select": lambda: _row_picked(table_key, ids), "selection_mode": "single-row"}
    data_table(response_frame(rows), hide_index=True, width="stretch", **options)
    if pick:
        st.caption(t("satisfaction.page.click_row"))
        _row_opener(rows)
    if total > PAGE_SIZE:
        pager(page_key, total, PAGE_SIZE)
    _csv_button(actor, flt, name, head[1])


def _row_picked(table_key: str, ids: list[int]) -> None:
    rows = st.session_state[table_key].selection.rows
    if rows and rows[0] < len(ids):
        st.session_state[keys.R_OPEN] = ids[rows[0]]


def _row_opener(rows: list[ResponseRow]) -> None:
    """The same as clicking a row, for keyboards: pick a response of this page and open it."""
    labels = {row.id: f"{when(row.responded_at)} · {row.customer_name}" for row in rows}
    cols = st.columns([4, 1], vertical_alignment="bottom")
    cols[0].selectbox(
        t("satisfaction.page.pick"), list(labels), format_func=labels.get, key=keys.R_PICK, label_visibility="collapsed"
    )
    cols[1].button(
        t("satisfaction.page.open"),
        key=f"{keys.R_PICK}_open",
        icon=":material/open_in_new:",
        on_click=lambda: open_response(st.session_state[keys.R_PICK]),
        width="stretch",
    )


def _csv_rows(actor: Actor, flt: ResponseFilters, language: str) -> Iterator[list[Any]]:
    """Every matching response (at most CSV_MAX_ROWS), page by page in SQL, as CSV rows in the language."""
    sessions = get_sessions()
    names = {key: translate(f"satisfaction.page.col.{key}", language) for key in _columns()}
    yield list(names.values())
    page, written = 0, 0
    while written < CSV_MAX_ROWS:
        rows, total = list_responses(sessions, actor=actor, filters=flt, page=page, page_size=CSV_CHUNK)
        for row in rows:
            yield [
                row.responded_at.isoformat(timespec="minutes"),
                row.customer_name,
                translate(f"satisfaction.channel.{row.channel}", language),
                "" if row.overall is None else row.overall,
                "" if row.nps is None else row.nps,
                (
                    translate(
                        "satisfaction.page.alert_open" if row.alert_open else "satisfaction.page.alert_closed", language
                    )
                    if row.alert
                    else ""
                ),
                row.owner_name or "",
                row.template_name or "",
                row.complaint_code or "",
                row.comment or "",
            ]
        written += len(rows)
        page += 1
        if len(rows) < CSV_CHUNK or written >= total:
            return


def _deferred_csv(actor: Actor, flt: ResponseFilters, language: str) -> Callable[[], bytes]:
    def build() -> bytes:
        # Runs when the button is clicked, on its own thread: no Streamlit calls in here.
        try:
            out = io.StringIO()
            writer = csv.writer(out)
            for values in _csv_rows(actor, flt, language):
                writer.writerow([defuse_formula(v) if isinstance(v, str) else v for v in values])
            return out.getvalue().encode("utf-8-sig")
        except Exception:  # noqa: BLE001 - a download must never show a traceback
            log.exception("responses CSV failed")
            return translate("satisfaction.page.download_failed", language).encode("utf-8-sig")

    return build


def _csv_button(actor: Actor, flt: ResponseFilters, name: str, container: Any) -> None:
    container.download_button(
        t("satisfaction.page.download_csv"),
        data=_deferred_csv(actor, flt, lang()),
        file_name=file_name(name, "csv"),
        mime=MIME["csv"],
        on_click="ignore",
        icon=":material/download:",
        key=keys.download(name, "csv"),
        help=t("satisfaction.page.csv_help", n=number(CSV_MAX_ROWS)),
    )


# --- the detail -------------------------------------------------------------------------------------------


def detail_panel(sessions: Sessions, actor: Actor, response_id: int, *, archive: bool = True) -> None:
    """One response: who, when, how, the score per dimension, the comment, its links, the alert and its task."""
    detail = response_detail(sessions, actor=actor, response_id=response_id)
    with st.container(border=True):
        st.markdown(
            f"**{inert_t('satisfaction.page.detail', customer=detail.customer_name, date=when(detail.responded_at))}**"
        )
        if detail.archived:
            st.warning(t("satisfaction.page.archived_note_short"), icon=":material/archive:")
        facts = st.columns(4)
        facts[0].metric(t("satisfaction.page.col.overall"), int_or_dash(detail.overall))
        facts[1].metric(t("satisfaction.page.col.nps"), int_or_dash(detail.nps))
        facts[2].metric(t("satisfaction.page.col.channel"), channel_label(detail.channel))
        facts[3].metric(t("satisfaction.page.col.alert"), alert_text(detail) or "—")
        st.markdown(_facts_line(detail))
        links = st.container(horizontal=True)
        links.page_link(
            "pages/customers.py",
            label=t("satisfaction.page.open_customer"),
            icon=":material/person:",
            query_params={"customer": str(detail.customer_id)},
        )
        if detail.complaint_id is not None and actor.can("complaints.view"):
            if links.button(
                t("satisfaction.page.open_complaint", code=detail.complaint_code or ""),
                key=f"satisfaction_complaint_{detail.id}",
                icon=":material/support_agent:",
                type="tertiary",
            ):
                open_on_detail(detail.complaint_id)  # the complaints page opens on this complaint's detail
                st.switch_page("pages/complaints.py")
        if detail.scores:
            st.markdown(f"**{t('satisfaction.page.scores')}**")
            scores = pd.DataFrame(
                [
                    {
                        t("satisfaction.figures.dimension"): s.label(lang()),
                        t("satisfaction.page.score"): t("satisfaction.unanswered") if s.score is None else s.score,
                    }
                    for s in detail.scores
                ]
            ).astype(str)
            data_table(scores, hide_index=True, width="stretch")
            csv_download(f"response-{detail.id}", scores)
        st.markdown(f"**{t('satisfaction.page.col.comment')}**")
        if detail.comment:
            long_text(detail.comment, key=f"satisfaction_comment_{detail.id}")
        else:
            st.caption(t("satisfaction.page.no_comment"))
        if detail.alert:
            _alert_lines(detail)
        if archive and actor.can("satisfaction.manage") and not detail.archived:
            _archive(sessions, actor, detail)


def _fact(label_key: str, value: str) -> str:
    return t("satisfaction.page.fact", label=t(label_key), value=inert(value))


def template_text(name: str | None, revision: int | None) -> str:
    """A template's name, with its revision after the first."""
    if not name:
        return ""
    if not revision or revision <= 1:
        return name
    return t(
        "satisfaction.page.name_revision", name=name, revision=t("satisfaction.template.revision", revision=revision)
    )


def _facts_line(detail: ResponseDetail) -> str:
    parts = [_fact("satisfaction.page.col.owner", detail.owner_name or "—")]
    if detail.contact_name:
        parts.append(_fact("satisfaction.page.col.contact", detail.contact_name))
    if detail.template_name:
        revision = t("satisfaction.template.revision", revision=detail.template_revision or 1)
        name = t("satisfaction.page.name_revision", name=detail.template_name, revision=revision)
        parts.append(_fact("satisfaction.page.col.template", name))
    if detail.campaign_name:
        parts.append(_fact("satisfaction.page.col.campaign", detail.campaign_name))
    if detail.complaint_code:
        parts.append(_fact("satisfaction.page.col.complaint", detail.complaint_code))
    parts.append(_fact("satisfaction.page.col.recorded_by", detail.recorded_by_name or "—"))
    return "  \n".join(parts)


def _alert_lines(detail: ResponseDetail) -> None:
    lines = []
    if detail.alert_closed_at is not None:
        lines.append(
            t(
                "satisfaction.page.alert_closed_by",
                who=inert(detail.alert_closed_by_name or "—"),
                when=when(detail.alert_closed_at),
            )
        )
    elif detail.contacted_at is not None:
        lines.append(t("satisfaction.page.alert_contacted", when=when(detail.contacted_at)))
    if detail.task is not None:
        lines.append(task_text(detail.task))
    else:
        lines.append(t("satisfaction.page.alert.no_task"))
    st.markdown("  \n".join(lines))


def task_text(task: Any) -> str:
    """The callback task: its purpose, owner, status and due date (Markdown, names escaped)."""
    return t(
        "satisfaction.page.task_line",
        purpose=t(f"purpose.{task.purpose}"),
        owner=inert(task.owner_name or "—"),
        status=t(f"task_status.{task.status}"),
        due=when(task.due_at),
    )


def _archive(sessions: Sessions, actor: Actor, detail: ResponseDetail) -> None:
    key = f"{keys.R_ARCHIVE}_{detail.id}"
    action_errors(key)
    with st.popover(t("satisfaction.page.archive"), icon=":material/archive:"):
        st.caption(t("satisfaction.page.archive_help"))
        if st.button(t("satisfaction.page.archive_confirm"), key=key, type="primary"):
            done = run_write(
                key,
                lambda: (
                    archive_response(
                        sessions, actor=actor, response_id=detail.id, version=detail.version, token=form_token(key)
                    )
                    or True
                ),
            )
            if done:
                clear_after("satisfaction")
                st.session_state.pop(keys.R_OPEN, None)
                flash(t("satisfaction.page.archived"))
                st.rerun()
