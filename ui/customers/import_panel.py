"""The customers page's import panel (upload, column mapping, preview, dry run, import, report) and export buttons."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from crm.exchange.exports import EXPORT_KINDS, FORMATS, MIME_TYPES, export_bytes, export_file_name
from crm.exchange.imports import (
    KINDS,
    ON_DUPLICATE,
    FilePreview,
    ImportReport,
    field_names,
    import_file,
    preview_file,
    report_csv,
    report_rows,
    required_fields,
)
from crm.exchange.tabular import MAX_FILE_BYTES
from crm.platform.errors import CrmError
from crm.platform.i18n import t as translate
from crm.platform.permissions import Actor
from ui.customers import keys
from ui.i18n import lang, t
from ui.reads import clear_after
from ui.state import company_today, get_sessions
from ui.widgets import data_table, describe, form_token, run_action

log = logging.getLogger("crm.ui")

SHOWN_ISSUES = 1000
SHOWN_DUPLICATES = 200  # rows of a code-less file with a choice of their own; the rest follow the file's choice
IGNORE = "ignore"  # the mapping choice for a column left out (a string: widgets round-trip strings best)


def _field_label(kind: str, language: str) -> Callable[[str | None], str]:
    # The language is bound now: a format_func may be called outside this script run (tests, reruns).
    required = set(required_fields(kind))

    def label(name: str | None) -> str:
        if name is None or name == IGNORE:
            return translate("imports.panel.ignore", language)
        text = translate(f"imports.field.{name}", language)
        return translate("imports.panel.required", language, field=text) if name in required else text

    return label


def render_import_report(report: ImportReport) -> None:
    """Show what an import did or would do: the outcome, the counts, every problem, the report download."""
    if report.dry_run:
        st.info(t("imports.panel.dry_run_done"), icon=":material/science:")
    elif report.written:
        st.success(t("imports.panel.done"), icon=":material/check_circle:")
    else:
        st.error(t("imports.panel.nothing_written"), icon=":material/block:")
    columns = st.columns(5)
    columns[0].metric(t("imports.count.rows"), f"{report.total_rows:,}")
    columns[1].metric(t("imports.count.created"), f"{report.created:,}")
    columns[2].metric(t("imports.count.updated"), f"{report.updated:,}")
    columns[3].metric(t("imports.count.unchanged"), f"{report.unchanged:,}")
    columns[4].metric(t("imports.count.bad"), f"{report.bad_rows:,}")
    if report.kind != "contacts" and (report.counts.get("contacts.created") or report.counts.get("contacts.updated")):
        st.caption(
            t(
                "imports.count.contacts",
                created=report.counts.get("contacts.created", 0),
                updated=report.counts.get("contacts.updated", 0),
            )
        )
    if report.kind != "customers" and report.counts.get("customers.created"):
        st.caption(t("imports.count.customers", created=report.counts["customers.created"]))
    if report.skipped:
        st.caption(t("imports.count.skipped", count=f"{report.skipped:,}"))
    if report.identical_rows:
        st.caption(t("imports.count.identical_rows", count=f"{report.identical_rows:,}"))
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
        file_name=f"import-report-{report.kind}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=keys.IMPORT_REPORT_DOWNLOAD,
    )


def _preview_table(preview: FilePreview, mapping: dict[str, str | None], kind: str) -> pd.DataFrame:
    label = _field_label(kind, lang())
    headers = [f"{header} → {label(mapping.get(header))}" for header in preview.headers]
    rows = [[cells[i] if i < len(cells) else "" for i in range(len(headers))] for _line, cells in preview.rows]
    frame = pd.DataFrame(rows, columns=headers)
    frame.index = [line for line, _cells in preview.rows]
    return frame


def render_import_panel(actor: Actor) -> None:
    """Render the import panel: pick the record type, upload, map the columns, dry-run, import."""
    if not actor.can("customers.import"):
        st.info(t("imports.panel.not_allowed"))
        return
    sessions = get_sessions()
    language = lang()
    st.caption(t("imports.panel.intro"))
    kind = st.selectbox(
        t("imports.panel.kind"),
        KINDS,
        format_func=lambda k: translate(f"imports.kind.{k}", language),
        key=keys.IMPORT_KIND,
    )
    uploaded = st.file_uploader(
        t("imports.panel.file"),
        type=["csv", "xlsx"],
        max_upload_size=MAX_FILE_BYTES // (1024 * 1024),
        key=keys.IMPORT_FILE,
    )
    if uploaded is None:
        st.session_state.pop(keys.IMPORT_REPORT, None)
        return
    data = uploaded.getvalue()
    filename = uploaded.name
    try:
        preview = preview_file(kind, filename, data)
    except CrmError as error:
        st.error(describe(error))
        return
    if preview.encoding:
        st.caption(t("imports.panel.read_as", rows=f"{preview.total_rows:,}", encoding=preview.encoding))
    else:
        st.caption(t("imports.panel.read_xlsx", rows=f"{preview.total_rows:,}"))
    # Widget keys carry the file's fingerprint: another file starts from its own suggested mapping.
    fingerprint = hashlib.sha1(data + kind.encode()).hexdigest()[:10]
    options = [IGNORE, *field_names(kind)]
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
                index=options.index(suggested),
                format_func=_field_label(kind, language),
                key=keys.import_mapping(fingerprint, index),
            )
            mapping[header] = None if chosen == IGNORE else chosen
        st.markdown(f"**{t('imports.panel.preview')}**")
        data_table(_preview_table(preview, mapping, kind), width="stretch")
        all_or_nothing = st.checkbox(t("imports.panel.all_or_nothing"), key=keys.IMPORT_ALL_OR_NOTHING)
        create_missing = False
        if kind != "customers":
            create_missing = st.checkbox(t("imports.panel.create_missing"), key=keys.IMPORT_CREATE_MISSING)
        on_duplicate, row_choices = "skip", {}
        if kind == "customers" and "code" not in mapping.values():
            on_duplicate = st.radio(
                t("imports.panel.on_duplicate"),
                ON_DUPLICATE,
                horizontal=True,
                format_func=lambda c: translate(f"imports.choice.{c}", language),
                help=t("imports.panel.on_duplicate_help"),
                key=keys.IMPORT_ON_DUPLICATE,
            )
            stored = st.session_state.get(keys.IMPORT_REPORT)
            if stored is not None and stored[0] == fingerprint and stored[1].dry_run and stored[1].duplicates:
                row_choices = _duplicate_choices(stored[1], fingerprint, on_duplicate, language)
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
            lambda: import_file(
                sessions,
                actor=actor,
                kind=kind,
                filename=filename,
                data=data,
                mapping=mapping,
                dry_run=dry_run,
                all_or_nothing=all_or_nothing,
                create_missing=create_missing,
                token=token,
                on_duplicate=on_duplicate,
                row_choices=row_choices,
            ),
        )
        if report is not None:
            st.session_state[keys.IMPORT_REPORT] = (fingerprint, report)
            if report.written:
                clear_after("customer")
            if report.dry_run and {d.line for d in report.duplicates[:SHOWN_DUPLICATES]} != set(row_choices):
                st.rerun()  # the form above was drawn before this dry run: draw its choice per duplicate now
    stored = st.session_state.get(keys.IMPORT_REPORT)
    if stored is not None and stored[0] == fingerprint:
        render_import_report(stored[1])


def _duplicate_choices(report: ImportReport, fingerprint: str, on_duplicate: str, language: str) -> dict[int, str]:
    """Render a choice per likely duplicate of the last dry run (inside the form); return {file line: choice}."""
    st.markdown(f"**{t('imports.panel.duplicates', count=f'{len(report.duplicates):,}')}**")
    st.caption(t("imports.panel.duplicates_help"))
    choices: dict[int, str] = {}
    for match in report.duplicates[:SHOWN_DUPLICATES]:
        label = t(
            "imports.panel.duplicate_row",
            line=match.line,
            name=match.name,
            code=match.candidate.code,
            candidate=match.candidate.name,
            matched=translate("imports.matched_on.separator", language).join(
                translate(f"imports.matched_on.{m}", language) for m in match.candidate.matched_on
            ),
        )
        # The file's choice is in the key: choosing again for the whole file starts every row from it.
        choices[match.line] = st.selectbox(
            label,
            ON_DUPLICATE,
            index=ON_DUPLICATE.index(on_duplicate),
            format_func=lambda c: translate(f"imports.choice.{c}", language),
            key=keys.import_duplicate(fingerprint, on_duplicate, match.line),
        )
    if len(report.duplicates) > SHOWN_DUPLICATES:
        st.caption(t("imports.panel.duplicates_more", more=f"{len(report.duplicates) - SHOWN_DUPLICATES:,}"))
    return choices


def _deferred_export(actor: Actor, kind: str, fmt: str, customer_filter: Any, language: str) -> Callable[[], bytes]:
    sessions = get_sessions()

    def build() -> bytes:
        # Runs on its own thread when the button is clicked: no Streamlit calls in here.
        try:
            return export_bytes(
                sessions,
                actor=actor,
                kind=kind,
                fmt=fmt,
                customer_filter=customer_filter,
                lang=language,
                header_style="labels",
            )
        except Exception:  # noqa: BLE001 - a download must never show a traceback
            log.exception("export of %s as %s failed", kind, fmt)
            return translate("app.unexpected_error", language).encode("utf-8-sig")

    return build


def render_export_buttons(actor: Actor, customer_filter: Any = None) -> None:
    """Render the export choices and the CSV / Excel download buttons (built only when clicked)."""
    if not actor.can("customers.export"):
        return
    language = lang()
    left, right = st.columns(2)
    kind = left.selectbox(
        t("exports.kind"),
        EXPORT_KINDS,
        format_func=lambda k: translate(f"imports.kind.{k}", language),
        key=keys.EXPORT_KIND,
    )
    chosen_filter = customer_filter
    if customer_filter is not None:
        scope = right.radio(
            t("exports.scope"),
            ("filtered", "all"),
            horizontal=True,
            format_func=lambda s: translate(f"exports.scope_{s}", language),
            key=keys.EXPORT_SCOPE,
        )
        chosen_filter = customer_filter if scope == "filtered" else None
    if not actor.can("contacts.unmasked"):
        st.caption(t("exports.masked_note"))
    buttons = st.columns(len(FORMATS))
    for column, fmt in zip(buttons, FORMATS, strict=True):
        column.download_button(
            t(f"exports.{fmt}"),
            data=_deferred_export(actor, kind, fmt, chosen_filter, language),
            file_name=export_file_name(kind, fmt, company_today()),
            mime=MIME_TYPES[fmt],
            on_click="ignore",
            icon=":material/download:",
            key=keys.export(fmt),
        )
