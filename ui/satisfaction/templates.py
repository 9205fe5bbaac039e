"""Templates (managers): the list, a new template, editing one (a template in use gets a new revision), retiring."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from crm.satisfaction import (
    DEFAULT_DIMENSIONS,
    TemplateInput,
    TemplateRow,
    create_template,
    dimension_label,
    edit_template,
    reactivate_template,
    retire_template,
)
from db.engine import Sessions
from ui.i18n import lang, t, when
from ui.inert import inert, inert_t
from ui.reads import clear_after
from ui.satisfaction import keys
from ui.satisfaction.downloads import csv_download
from ui.satisfaction.reads import cached_templates
from ui.satisfaction.widgets import flash, run_write, show_flash
from ui.widgets import data_table, field_error, field_errors, form_errors, form_token

LABEL_SEPARATOR = "|"


# --- own dimensions as lines of text ----------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:32].strip("_")


def parse_own_dimensions(text: str, known: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Read "English | 中文" lines into {code: (English, Chinese)}, in order.

    A line whose English name is one the template already has keeps that dimension's code (its scores stay
    one dimension); a new one gets a code made of its English name (or "custom_N").
    """
    by_english = {pair[0].strip().casefold(): code for code, pair in known.items()}
    found: dict[str, tuple[str, str]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        english, _, chinese = line.partition(LABEL_SEPARATOR)
        english, chinese = english.strip(), chinese.strip()
        code = by_english.get(english.casefold()) or _slug(english)
        if not code or not code[0].isalpha() or code in DEFAULT_DIMENSIONS:
            code = f"custom_{number}"
        while code in found:
            code = f"{code[:28]}_{number}"
        found[code] = (english, chinese)
    return found


def own_dimensions_text(template: TemplateRow) -> str:
    """The template's own dimensions as the lines the form edits."""
    return "\n".join(
        f"{english} {LABEL_SEPARATOR} {chinese}"
        for code, (english, chinese) in template.labels.items()
        if code in template.dimension_codes
    )


def _label(code: str, labels: dict[str, tuple[str, str]]) -> str:
    return dimension_label(code, labels, lang())


# --- the section ------------------------------------------------------------------------------------------


def templates_section(sessions: Sessions, actor: Actor) -> None:
    """The templates, a form for a new one, and the chosen one's edit form and retire / reactivate."""
    show_flash()
    st.caption(t("satisfaction.page.templates_intro"))
    show_retired = st.toggle(t("satisfaction.page.template.show_retired"), key=keys.T_SHOW_RETIRED)
    templates = cached_templates(actor, include_retired=bool(show_retired))
    if templates:
        frame = _frame(templates)
        data_table(frame, hide_index=True, width="stretch")
        csv_download("templates", frame)
    else:
        st.info(t("satisfaction.page.template.none"), icon=":material/info:")
    if not actor.can("satisfaction.manage"):
        return
    with st.expander(t("satisfaction.page.template.new"), icon=":material/add:", expanded=not templates):
        _template_form(sessions, actor, None)
    if not templates:
        return
    if keys.T_PICK_NEXT in st.session_state:  # a save chose the revision to show: set before the picker is drawn
        st.session_state[keys.T_PICK] = st.session_state.pop(keys.T_PICK_NEXT)
    labels = {tpl.id: f"{tpl.name} · {t('satisfaction.page.template.revision')} {tpl.revision}" for tpl in templates}
    if st.session_state.get(keys.T_PICK) not in labels:
        st.session_state.pop(keys.T_PICK, None)
    picked = st.selectbox(t("satisfaction.page.template.pick"), list(labels), format_func=labels.get, key=keys.T_PICK)
    template = next((tpl for tpl in templates if tpl.id == picked), None)
    if template is None:
        return
    if template.is_active:
        with st.container(border=True):
            st.markdown(f"**{inert_t('satisfaction.page.template.edit', name=template.name)}**")
            _template_form(sessions, actor, template)
            _retire_button(sessions, actor, template)
    else:
        _reactivate_button(sessions, actor, template)


def _frame(templates: list[TemplateRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                t("satisfaction.page.template.name"): tpl.name,
                t("satisfaction.page.template.revision"): tpl.revision,
                t("satisfaction.page.template.status"): t(
                    "satisfaction.page.template.active" if tpl.is_active else "satisfaction.page.template.retired"
                ),
                t("satisfaction.page.template.in_use"): tpl.responses,
                t("satisfaction.page.template.dimensions"): " · ".join(d.label(lang()) for d in tpl.dimensions),
                t("satisfaction.page.col.date"): when(tpl.created_at),
            }
            for tpl in templates
        ]
    )


def _prefixed_errors(form: str, prefix: str) -> None:
    """Show every error of the last submission whose field starts with the prefix (one per dimension)."""
    for field, message in field_errors(form).items():
        if field.startswith(prefix):
            st.error(message, icon=":material/error:")


def _template_form(sessions: Sessions, actor: Actor, template: TemplateRow | None) -> None:
    revision_key = f"{keys.template_form(template.id if template else None)}__rev"
    form = keys.template_form(template.id if template else None, int(st.session_state.get(revision_key, 0)))
    known = dict(template.labels) if template else {}
    with st.form(form):
        name = st.text_input(
            t("satisfaction.page.template.name"),
            value=template.name if template else "",
            max_chars=120,
            key=f"{form}_name",
        )
        field_error(form, "name")
        chosen = st.multiselect(
            t("satisfaction.page.template.dimensions"),
            list(DEFAULT_DIMENSIONS),
            default=[c for c in template.dimension_codes if c in DEFAULT_DIMENSIONS]
            if template
            else list(DEFAULT_DIMENSIONS),
            format_func=lambda code: _label(code, {}),
            key=f"{form}_dimensions",
        )
        field_error(form, "dimensions")
        own_text = st.text_area(
            t("satisfaction.page.template.own"),
            value=own_dimensions_text(template) if template else "",
            height=90,
            help=t("satisfaction.page.template.own_help"),
            placeholder="Delivery on time | 准时交付",
            key=f"{form}_own",
        )
        _prefixed_errors(form, "dimensions.")
        _prefixed_errors(form, "labels.")
        if template is not None and template.responses:
            st.caption(
                t("satisfaction.page.template.in_use_note", n=template.responses, revision=template.revision + 1)
            )
        form_errors(form)
        submitted = st.form_submit_button(
            t("satisfaction.page.template.save" if template else "satisfaction.page.template.create"),
            type="primary",
            icon=":material/save:",
            key=f"{form}_submit",
        )
    if not submitted:
        return
    own = parse_own_dimensions(own_text or "", known)
    data = TemplateInput(name=name or "", dimensions=(*chosen, *own), labels=own)
    token = form_token(form)
    if template is None:
        created = run_write(form, lambda: create_template(sessions, actor=actor, data=data, token=token))
        if created is None:
            return
        flash(t("satisfaction.page.template.created", name=inert(data.name.strip())))
        st.session_state[keys.T_PICK_NEXT] = created
    else:
        saved = run_write(
            form,
            lambda: edit_template(
                sessions, actor=actor, template_id=template.id, version=template.version, data=data, token=token
            ),
        )
        if saved is None:
            return
        if saved != template.id:
            flash(
                t(
                    "satisfaction.page.template.revised",
                    name=inert(data.name.strip()),
                    revision=template.revision + 1,
                    old=template.revision,
                )
            )
        else:
            flash(t("satisfaction.page.template.saved", name=inert(data.name.strip())))
        st.session_state[keys.T_PICK_NEXT] = saved
    st.session_state[revision_key] = int(st.session_state.get(revision_key, 0)) + 1
    clear_after("satisfaction_settings")
    st.rerun()


def _retire_button(sessions: Sessions, actor: Actor, template: TemplateRow) -> None:
    key = keys.template_action(template.id, "retire")
    if st.button(t("satisfaction.page.template.retire"), key=key, icon=":material/archive:"):
        done = run_write(
            key,
            lambda: (
                retire_template(
                    sessions, actor=actor, template_id=template.id, version=template.version, token=form_token(key)
                )
                or True
            ),
        )
        if done is None:
            return
        flash(t("satisfaction.page.template.retired_done", name=inert(template.name)))
        clear_after("satisfaction_settings")
        st.rerun()


def _reactivate_button(sessions: Sessions, actor: Actor, template: TemplateRow) -> None:
    key = keys.template_action(template.id, "reactivate")
    if st.button(t("satisfaction.page.template.reactivate"), key=key, icon=":material/unarchive:"):
        revived = run_write(
            key,
            lambda: reactivate_template(
                sessions, actor=actor, template_id=template.id, version=template.version, token=form_token(key)
            ),
        )
        if revived is None:
            return
        flash(t("satisfaction.page.template.reactivated", name=inert(template.name)))
        st.session_state[keys.T_PICK_NEXT] = revived
        clear_after("satisfaction_settings")
        st.rerun()
