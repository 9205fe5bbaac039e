"""Import (managers): upload a CSV or Excel file of responses, map its columns, dry-run, import; the report lists
every bad row with its reason (the customer import's panel, for survey responses)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd
import streamlit as st

from crm.exchange import FilePreview
from crm.platform.errors import CrmError
from crm.platform.permissions import Actor
from crm.satisfaction import (
    ImportReport,
    import_fields,
    import_responses,
    preview_file,
    report_csv,
    report_rows,
)
from db.engine import Sessions
from ui.customers.import_panel import IGNORE, SHOWN_ISSUES
from ui.i18n import lang, t
from ui.reads import clear_after
from ui.satisfaction import keys
from ui.widgets import data_table, describe, form_token, run_action


def import_section(sessions: Sessions, actor: Actor) -> None:
    """Upload, map the columns, dry-run, import, and the report of what was (or would be) done."""
    if not actor.can("satisfaction.manage"):
        st.info(t("satisfaction.page.import_not_allowed"), icon=":material/visibility:")
        return
    st.caption(t("satisfaction.page.import_intro"))
    uploaded = st.file_uploader(t("satisfaction.page.import.file"), type=["csv", "xlsx"], key=keys.IMPORT_FILE)
    if uploaded is None:
        st.session_state.pop(keys.IMPORT_REPORT, None)
        return
    data, filename = uploaded.getvalue(), uploaded.name
    try:
        preview = preview_file(sessions, actor=actor, filename=filename, data=data)
        fields = import_fields(sessions, actor=actor)
    except CrmError as error:
        st.error(describe(error), icon=":material/error:")
        return
    if preview.encoding:
        st.caption(t("imports.panel.read_as", rows=f"{preview.total_rows:,}", encoding=preview.encoding))
    else:
        st.caption(t("imports.panel.read_xlsx", rows=f"{preview.total_rows:,}"))
    language = lang()
    labels = {f.name: f.label(language) for f in fields}
    required = {f.name for f in fields if f.required}

    def label(name: str) -> str:
        if name == IGNORE:
            return t("imports.panel.ignore")
        text = labels.get(name, name)
        return t("imports.panel.required", field=text) if name in required else text

    # Widget keys carry the file's fingerprint: another file starts from its own suggested mapping.
    fingerprint = hashlib.sha1(data).hexdigest()[:10]
    options = [IGNORE, *labels]
    with st.form(keys.IMPORT_FORM):
        st.markdown(f"**{t('imports.panel.mapping')}**")
        st.caption(t("imports.panel.mapping_help"))
        mapping: dict[str, str | None] = {}
        grid = st.columns(3)
        for index, header in enumerate(preview.headers):
            suggested = preview.mapping.get(header) or IGNORE
            chosen = grid[index % 3].selectbox(
                header,
                options,
                index=options.index(suggested) if suggested in options else 0,
                format_func=label,
                key=keys.import_mapping(fingerprint, index),
            )
            mapping[header] = None if chosen == IGNORE else chosen
        st.markdown(f"**{t('imports.panel.preview')}**")
        data_table(_preview_table(preview, mapping, label), width="stretch")
        all_or_nothing = st.checkbox(t("imports.panel.all_or_nothing"), key=keys.IMPORT_ALL_OR_NOTHING)
        left, right = st.columns(2)
        dry_run = left.form_submit_button(
            t("imports.panel.dry_run"), icon=":material/science:", key=keys.IMPORT_DRY_RUN
        )
        run = right.form_submit_button(
            t("imports.panel.run"), type="primary", icon=":material/upload:", key=keys.IMPORT_RUN
        )
    if dry_run or run:
        token = None if dry_run else form_token(keys.IMPORT_FORM)
        report = run_action(
            keys.IMPORT_FORM,
            lambda: import_responses(
                sessions,
                actor=actor,
                filename=filename,
                data=data,
                mapping=mapping,
                dry_run=bool(dry_run),
                all_or_nothing=bool(all_or_nothing),
                token=token,
            ),
        )
        if report is not None:
            st.session_state[keys.IMPORT_REPORT] = (fingerprint, report)
            if report.written:
                clear_after("satisfaction")
    stored = st.session_state.get(keys.IMPORT_REPORT)
    if stored is not None and stored[0] == fingerprint:
        render_report(stored[1])


def _preview_table(preview: FilePreview, mapping: dict[str, str | None], label: object) -> pd.DataFrame:
    headers = [f"{header} → {label(mapping.get(header) or IGNORE)}" for header in preview.headers]  # type: ignore[operator]
    rows = [[cells[i] if i < len(cells) else "" for i in range(len(headers))] for _line, cells in preview.rows]
    frame = pd.DataFrame(rows, columns=headers)
    frame.index = [line for line, _cells in preview.rows]
    return frame


def render_report(report: ImportReport) -> None:
    """What an import did or would do: the outcome, the counts, every problem, the report download."""
    if report.dry_run:
        st.info(t("imports.panel.dry_run_done"), icon=":material/science:")
    elif report.written:
        st.success(t("imports.panel.done"), icon=":material/check_circle:")
    else:
        st.error(t("imports.panel.nothing_written"), icon=":material/block:")
    columns = st.columns(4)
    columns[0].metric(t("imports.count.rows"), f"{report.total_rows:,}")
    columns[1].metric(t("satisfaction.page.import.added"), f"{report.added:,}")
    columns[2].metric(t("satisfaction.page.import.already"), f"{report.already_imported:,}")
    columns[3].metric(t("imports.count.bad"), f"{report.bad_rows:,}")
    if not report.issues:
        st.caption(t("imports.panel.no_problems"))
        return
    st.markdown(t("imports.panel.problems", errors=f"{len(report.errors):,}", warnings=f"{len(report.warnings):,}"))
    shown = replace(report, issues=report.issues[:SHOWN_ISSUES])
    data_table(pd.DataFrame(report_rows(shown, lang())), hide_index=True, width="stretch")
    if len(report.issues) > SHOWN_ISSUES:
        st.caption(t("imports.panel.shown_first", shown=f"{SHOWN_ISSUES:,}", total=f"{len(report.issues):,}"))
    st.download_button(
        t("imports.panel.download_report"),
        data=report_csv(report, lang()),
        file_name="import-report-survey-responses.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=keys.IMPORT_REPORT_DOWNLOAD,
    )
