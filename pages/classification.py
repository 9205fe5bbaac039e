"""Classification: customers by dimension, RFM grid, cadence exceptions, stages, thresholds, overrides, policies."""

import datetime as dt

import pandas as pd
import streamlit as st

from crm.classification.admin import (
    OVERRIDE_STATUSES,
    list_credit_events,
    list_overrides,
    list_policies,
    policy_changes,
    record_credit_event,
    remove_credit_event,
    remove_override,
    save_policies,
    set_override,
)
from crm.classification.credit import CREDIT_EVENT_KINDS
from crm.classification.judged import set_judged
from crm.classification.reads import DISTRIBUTION_DIMENSIONS, visible_customers
from crm.classification.rfm import COMPUTED_DIMENSIONS, Thresholds
from crm.classification.service import apply_thresholds, preview_thresholds, read_last_run, recompute
from crm.platform.vocab import CHURN_REASONS, IMPORTANCE, NEED_TYPES, STAGES
from ui.auth import page_actor
from ui.classification.sections import (
    DRILL_DIMENSION_KEY,
    DRILL_VALUE_KEY,
    SECTION_KEY,
    cached_class_page,
    cached_distribution,
    cached_exception_owners,
    cached_exceptions,
    cached_grid,
    cached_stage_statistics,
    class_label,
    current_thresholds,
    customers_frame,
    distribution_chart,
    rfm_heatmap,
    transition_matrix,
)
from ui.i18n import date, money, number, t, when
from ui.reads import clear_read_caches
from ui.state import company_today, get_sessions
from ui.widgets import data_editor, data_table, error_boundary, field_error, form_token, pager, run_action

PAGE_SIZE = 50
CLASS_OPTIONS = {"value_tier": ("high", "medium", "low"), "size_class": ("key", "small"),
                 "relationship": ("new", "established"), "credit_risk": ("high", "medium", "low")}

actor = page_actor("customers.view")
sessions = get_sessions()
manage = actor.can("classification.manage")
can_edit = actor.can("customers.edit_own")
st.title(t("classification.page.title"))

with error_boundary("classification last run"):
    run_facts = read_last_run(sessions, actor=actor)
    if run_facts:
        st.caption(t("classification.page.last_run", as_of=date(dt.date.fromisoformat(run_facts["as_of"])),
                     at=when(dt.datetime.fromisoformat(run_facts["at"])),
                     mode=t(f"classification.page.mode.{run_facts.get('mode', 'bands')}")))
    else:
        st.caption(t("classification.page.never_run"))

# One section at a time (not st.tabs, which runs every tab's queries on every rerun).
section_keys = ["distribution", "rfm", "cadence", "stages", "policies"]
if manage:
    section_keys += ["thresholds", "overrides", "credit"]
if st.session_state.get(SECTION_KEY) not in section_keys:
    st.session_state[SECTION_KEY] = "distribution"
section = st.radio(t("classification.page.section"), section_keys, horizontal=True, key=SECTION_KEY,
                   format_func=lambda k: t(f"classification.page.tab.{k}"), label_visibility="collapsed")


def _customer_picker(prefix: str) -> int | None:
    """A search box and a pick list of the customers the actor may see; returns the chosen id."""
    search = st.text_input(t("classification.page.search_customer"), key=f"{prefix}_search")
    found = visible_customers(sessions, actor=actor, search=search, limit=50)
    labels = {row["id"]: f"{row['code']} · {row['name']}" for row in found}
    if not labels:
        st.info(t("common.no_rows"))
        return None
    return st.selectbox(t("classification.page.customer"), list(labels), format_func=labels.get,  # type: ignore[arg-type]
                        key=f"{prefix}_customer")


# --- distribution and drill-down -----------------------------------------------------------------
drill_rows: list[dict] = []
drill_selected: list[int] = []
if section == "distribution":
    with error_boundary("classification distribution"):
        counts = cached_distribution(actor)
        if sum(counts["lifecycle_stage"].values()) == 0:
            st.info(t("home.empty"))
        else:
            st.caption(t("classification.page.click_hint"))
            columns = st.columns(2)
            for index, dimension in enumerate(DISTRIBUTION_DIMENSIONS):
                with columns[index % 2]:
                    distribution_chart(dimension, counts[dimension])
            st.subheader(t("classification.page.drill_title"))
            left, right = st.columns(2)
            dimensions = [*DISTRIBUTION_DIMENSIONS, "rfm_cell"]
            if st.session_state.get(DRILL_DIMENSION_KEY) not in dimensions:
                st.session_state[DRILL_DIMENSION_KEY] = "value_tier"
            dimension = left.selectbox(t("classification.page.drill_dimension"), dimensions, key=DRILL_DIMENSION_KEY,
                                       format_func=lambda d: t("classification.page.rfm_grid") if d == "rfm_cell"
                                       else t(f"classification.dimension.{d}"))
            if dimension == "rfm_cell":
                options = [f"{c['r']}-{c['f']}" for c in cached_grid(actor)]
            else:
                options = list(counts[dimension])
            if options:
                if st.session_state.get(DRILL_VALUE_KEY) not in options:
                    st.session_state[DRILL_VALUE_KEY] = options[0]
                value = right.selectbox(t("classification.page.drill_value"), options, key=DRILL_VALUE_KEY,
                                        format_func=lambda v, d=dimension: class_label(d, v))
                page = st.session_state.get("classification_drill_page", 1) - 1
                drill_rows, total = cached_class_page(actor, dimension, value, page, PAGE_SIZE)
                if drill_rows:
                    event = data_table(customers_frame(drill_rows), hide_index=True, width="stretch",
                                         on_select="rerun", selection_mode="multi-row",
                                         key="classification_drill_table")
                    drill_selected = [drill_rows[i]["id"] for i in event.selection.rows if i < len(drill_rows)]
                    if can_edit:
                        st.caption(t("classification.page.selected_for_bulk", n=len(drill_selected)))
                else:
                    st.info(t("common.no_rows"))
                pager("classification_drill_page", total, PAGE_SIZE)

# --- RFM grid ----------------------------------------------------------------------------------------
if section == "rfm":
    with error_boundary("classification rfm grid"):
        cells = cached_grid(actor)
        if not cells:
            st.info(t("classification.page.no_rfm"))
        else:
            st.caption(t("classification.page.rfm_help"))
            rfm_heatmap(cells)

# --- cadence exceptions ---------------------------------------------------------------------------
if section == "cadence":
    with error_boundary("classification cadence"):
        st.caption(t("classification.page.cadence_help"))
        owners = cached_exception_owners(actor)
        owner_names = {o["owner_id"]: f"{o['owner'] or t('classification.page.unassigned')} ({o['customers']:,})"
                       for o in owners if o["owner_id"] is not None}
        owner_options: list[int | None] = [None, *owner_names]
        owner_filter = st.selectbox(t("classification.page.col.owner"), owner_options,
                                    format_func=lambda o: t("common.all") if o is None else owner_names[o],
                                    key="classification_cadence_owner")
        page = st.session_state.get("classification_cadence_page", 1) - 1
        rows, total = cached_exceptions(actor, owner_filter, page, PAGE_SIZE)
        st.metric(t("classification.page.out_of_cadence"), number(total))
        if rows:
            data_table(pd.DataFrame([{
                t("classification.page.col.code"): r["code"], t("classification.page.col.name"): r["name"],
                t("classification.page.col.owner"): r["owner"] or t("classification.page.unassigned"),
                t("classification.dimension.value_tier"): class_label("value_tier", r["value_tier"]),
                t("classification.dimension.importance"): class_label("importance", r["importance"]),
                t("classification.page.col.cadence"): r["cadence_days"],
                t("classification.page.col.last_contact"): when(r["last_contact_at"]) if r["last_contact_at"]
                else t("classification.page.never"),
                t("classification.page.col.days_since"): r["days_since_contact"],
            } for r in rows]), hide_index=True, width="stretch")
        pager("classification_cadence_page", total, PAGE_SIZE)

# --- stages ------------------------------------------------------------------------------------------
if section == "stages":
    with error_boundary("classification stages"):
        stats = cached_stage_statistics(actor)
        cols = st.columns(3)
        cols[0].metric(t("classification.page.ever_potential"), number(stats.ever_potential))
        cols[1].metric(t("classification.page.signed_from_potential"), number(stats.ever_signed_from_potential))
        cols[2].metric(t("classification.page.conversion"),
                       "—" if stats.conversion is None else f"{stats.conversion:.1%}")
        data_table(pd.DataFrame([{
            t("classification.dimension.lifecycle_stage"): t(f"stage.{s.stage}"),
            t("classification.page.col.stays_done"): s.completed,
            t("classification.page.col.avg_days_done"): s.avg_days_completed,
            t("classification.page.col.current"): s.current,
            t("classification.page.col.avg_days_current"): s.avg_days_current,
        } for s in stats.times]), hide_index=True, width="stretch")

# --- service policies ---------------------------------------------------------------------------
if section == "policies":
    with error_boundary("classification policies"):
        st.caption(t("classification.page.policies_help"))
        policies = list_policies(sessions, actor=actor)
        frame = pd.DataFrame([{
            "dimension": t(f"classification.dimension.{p.dimension}"), "class": class_label(p.dimension, p.class_value),
            "cadence_days": p.cadence_days, "description_en": p.description_en, "description_zh": p.description_zh,
        } for p in policies])
        config = {
            "dimension": st.column_config.TextColumn(t("classification.page.col.dimension"), disabled=True),
            "class": st.column_config.TextColumn(t("classification.page.col.class"), disabled=True),
            "cadence_days": st.column_config.NumberColumn(t("classification.page.col.cadence"), min_value=1,
                                                          max_value=3650, step=1),
            "description_en": st.column_config.TextColumn(t("classification.page.col.description_en"), max_chars=1000),
            "description_zh": st.column_config.TextColumn(t("classification.page.col.description_zh"), max_chars=1000),
        }
        if manage:
            data_editor(frame, column_config=config, hide_index=True, width="stretch", num_rows="fixed",
                           key="classification_policies_editor")
            field_error("classification_policies", "value_tier.high")
            if st.button(t("common.save"), key="classification_policies_save", type="primary"):
                edits = st.session_state.get("classification_policies_editor", {}).get("edited_rows", {})
                saved = run_action("classification_policies", lambda: save_policies(
                    sessions, actor=actor, changes=policy_changes(policies, edits),
                    token=form_token("classification_policies")), success=t("common.saved"))
                if saved is not None:
                    clear_read_caches()
                    st.rerun()
                for field, message in st.session_state.get("classification_policies__errors", {}).items():
                    st.error(f"{field}: {message}")
        else:
            data_table(frame, column_config=config, hide_index=True, width="stretch")

# --- bulk setting of judged dimensions -----------------------------------------------------------
if can_edit and section == "distribution":
    with error_boundary("classification bulk"):
        st.subheader(t("classification.page.tab.bulk"))
        st.caption(t("classification.page.bulk_help", n=len(drill_selected)))
        search = st.text_input(t("classification.page.search_customer"), key="classification_bulk_search")
        found = visible_customers(sessions, actor=actor, search=search, limit=50) if search.strip() else []
        labels = {row["id"]: f"{row['code']} · {row['name']}" for row in found}
        labels.update({r["id"]: f"{r['code']} · {r['name']}" for r in drill_rows})
        with st.form("classification_bulk"):
            extra = st.multiselect(t("classification.page.bulk_more"), list(labels), format_func=labels.get,
                                   key="classification_bulk_more")
            field_error("classification_bulk", "customer_ids")
            keep = t("classification.page.unchanged")
            need = st.selectbox(t("classification.dimension.need_type"), [None, *NEED_TYPES],
                                format_func=lambda v: keep if v is None else t(f"need_type.{v}"),
                                key="classification_bulk_need")
            field_error("classification_bulk", "need_type")
            importance = None
            if manage:
                importance = st.selectbox(t("classification.dimension.importance"), [None, *IMPORTANCE],
                                          format_func=lambda v: keep if v is None else t(f"importance.{v}"),
                                          key="classification_bulk_importance")
            stage = st.selectbox(t("classification.dimension.lifecycle_stage"), [None, *STAGES],
                                 format_func=lambda v: keep if v is None else t(f"stage.{v}"),
                                 key="classification_bulk_stage")
            field_error("classification_bulk", "lifecycle_stage")
            churn = st.selectbox(t("classification.page.churn_reason"), [None, *CHURN_REASONS],
                                 format_func=lambda v: keep if v is None else t(f"churn_reason.{v}"),
                                 key="classification_bulk_churn")
            field_error("classification_bulk", "churn_reason")
            set_close = st.checkbox(t("classification.page.set_close_date"), key="classification_bulk_set_close")
            close = st.date_input(t("classification.page.close_date"), value=company_today() + dt.timedelta(days=30),
                                  key="classification_bulk_close")
            bulk_clicked = st.form_submit_button(t("classification.page.bulk_apply"), type="primary")
        if bulk_clicked:
            chosen = list(dict.fromkeys([*drill_selected, *extra]))
            result = run_action("classification_bulk", lambda: set_judged(
                sessions, actor=actor, customer_ids=chosen, need_type=need, importance=importance, stage=stage,
                churn_reason=churn, expected_close_date=close if set_close else None,
                token=form_token("classification_bulk")))
            if result is not None:
                clear_read_caches()
                st.success(t("classification.page.bulk_done", changed=result.changed, customers=result.customers,
                             moved=result.stage_changes))

# --- thresholds: editor, preview, apply -------------------------------------------------------------
if manage and section == "thresholds":
    with error_boundary("classification thresholds"):
        current = current_thresholds(actor)
        with st.form("classification_thresholds"):
            mode = st.radio(t("classification.page.mode"), ["bands", "quantile"], horizontal=True,
                            index=1 if current.mode == "quantile" else 0,
                            format_func=lambda m: t(f"classification.page.mode.{m}"), key="classification_thr_mode")
            st.caption(t("classification.page.bands_help"))

            def band_inputs(name: str, values: tuple, step: int) -> tuple:  # type: ignore[type-arg]
                columns = st.columns(4)
                return tuple(int(columns[i].number_input(f"{t(f'classification.page.thr.{name}')} → {5 - i}",
                                                         min_value=0, value=int(values[i]), step=step,
                                                         key=f"classification_thr_{name}_{i}")) for i in range(4))

            recency = band_inputs("recency_days", current.recency_days, 1)
            field_error("classification_thresholds", "recency_days")
            frequency = band_inputs("frequency", current.frequency, 1)
            field_error("classification_thresholds", "frequency")
            monetary = band_inputs("monetary", current.monetary, 1000)
            field_error("classification_thresholds", "monetary")
            c1, c2, c3 = st.columns(3)
            tier_high = c1.number_input(t("classification.page.thr.tier_high"), 3, 15, current.tier_high,
                                        key="classification_thr_tier_high")
            tier_medium = c2.number_input(t("classification.page.thr.tier_medium"), 3, 15, current.tier_medium,
                                          key="classification_thr_tier_medium")
            share = c3.number_input(t("classification.page.thr.key_share"), 1.0, 99.0, float(current.key_share_percent),
                                    step=5.0, key="classification_thr_share")
            field_error("classification_thresholds", "tier_medium")
            c1, c2, c3 = st.columns(3)
            new_days = c1.number_input(t("classification.page.thr.new_days"), 0, 3650, current.new_within_days,
                                       key="classification_thr_new_days")
            new_orders = c2.number_input(t("classification.page.thr.new_orders"), 1, 100, current.new_below_orders,
                                         key="classification_thr_new_orders")
            window = c3.number_input(t("classification.page.thr.credit_window"), 1, 3650, current.credit_window_days,
                                     key="classification_thr_window")
            c1, c2 = st.columns(2)
            credit_high = c1.number_input(t("classification.page.thr.credit_high"), 0.5, 100.0,
                                          float(current.credit_high), step=0.5, key="classification_thr_credit_high")
            credit_medium = c2.number_input(t("classification.page.thr.credit_medium"), 0.5, 100.0,
                                            float(current.credit_medium), step=0.5,
                                            key="classification_thr_credit_medium")
            field_error("classification_thresholds", "credit_medium")
            complaint_columns = st.columns(4)
            complaint_points = tuple(float(complaint_columns[i].number_input(
                t("classification.page.thr.complaint", severity=t(f"severity.{s}")), 0.0, 100.0,
                float(current.complaint_points[i]), step=0.5, key=f"classification_thr_complaint_{s}"))
                for i, s in enumerate(("low", "medium", "high", "critical")))
            as_of = st.date_input(t("classification.page.as_of"), value=company_today(), key="classification_thr_as_of")
            preview_clicked = st.form_submit_button(t("classification.page.preview"), type="primary")
        if preview_clicked:
            proposal = Thresholds(mode=mode, recency_days=recency, frequency=frequency, monetary=monetary,
                                  tier_high=int(tier_high), tier_medium=int(tier_medium),
                                  key_share_percent=float(share),
                                  new_within_days=int(new_days), new_below_orders=int(new_orders),
                                  credit_high=float(credit_high), credit_medium=float(credit_medium),
                                  credit_window_days=int(window), complaint_points=complaint_points)  # type: ignore[arg-type]
            preview = run_action("classification_thresholds", lambda: preview_thresholds(
                sessions, actor=actor, thresholds=proposal, as_of=as_of))
            if preview is not None:
                st.session_state["classification_preview"] = preview
                st.session_state["classification_preview_base"] = current
        # What the last Apply or Recompute did, told after the rerun that redrew the page with its result.
        done_message = st.session_state.pop("classification_thr_done", None)
        if done_message:
            st.success(done_message)
        preview = st.session_state.get("classification_preview")
        if preview is not None:
            st.subheader(t("classification.page.preview_title", n=number(preview.movers_total),
                           customers=number(preview.customers), as_of=date(preview.as_of)))
            st.caption(t("classification.page.preview_counts", n=number(preview.movers_total),
                         changes=number(preview.class_changes)))
            st.caption(t("classification.page.bands_used", r=", ".join(f"{v:g}" for v in preview.bands.recency),
                         f=", ".join(f"{v:g}" for v in preview.bands.frequency),
                         m=", ".join(money(v / 100) for v in preview.bands.monetary_cents)))
            st.caption(t("classification.page.matrix_help"))
            matrix_columns = st.columns(2)
            for index, moved_dimension in enumerate(COMPUTED_DIMENSIONS):
                with matrix_columns[index % 2]:
                    st.markdown(f"**{t(f'classification.dimension.{moved_dimension}')}**")
                    if not preview.transitions[moved_dimension]:
                        st.info(t("common.no_rows"))
                        continue
                    data_table(transition_matrix(moved_dimension, preview.transitions[moved_dimension]),
                                 hide_index=True, width="stretch")
            if preview.movers:
                st.markdown(f"**{t('classification.page.movers')}**")
                data_table(pd.DataFrame([{
                    t("classification.page.col.code"): m["code"], t("classification.page.col.name"): m["name"],
                    t("classification.page.col.owner"): m["owner"] or "",
                    **{t(f"classification.dimension.{d}"): (
                        f"{class_label(d, m[f'{d}_from'])} → {class_label(d, m[f'{d}_to'])}"
                        if m[f"{d}_from"] != m[f"{d}_to"] else class_label(d, m[f"{d}_to"]))
                       for d in COMPUTED_DIMENSIONS},
                } for m in preview.movers]), hide_index=True, width="stretch")
            if st.button(t("classification.page.apply"), key="classification_apply", type="primary"):
                applied = run_action("classification_apply", lambda: apply_thresholds(
                    sessions, actor=actor, thresholds=preview.thresholds, as_of=preview.as_of,
                    base=st.session_state.get("classification_preview_base"),
                    token=form_token("classification_apply")))
                if applied is not None:
                    # Rerun so that the whole page (the last-run caption at its top included) shows the new
                    # classes, and the preview and its Apply button are gone.
                    st.session_state.pop("classification_preview", None)
                    st.session_state["classification_thr_done"] = t(
                        "classification.page.applied", customers=number(applied.reclassified),
                        changes=number(applied.class_changes), seconds=f"{applied.seconds:.1f}")
                    clear_read_caches()
                    st.rerun()
        st.divider()
        if st.button(t("classification.page.recompute"), key="classification_recompute"):
            done = run_action("classification_recompute", lambda: recompute(
                sessions, actor=actor, token=form_token("classification_recompute")))
            if done is not None:
                # A preview made before the run compared against the classes it replaced: drop it.
                st.session_state.pop("classification_preview", None)
                st.session_state["classification_thr_done"] = t(
                    "classification.page.recomputed", customers=number(done.customers), moved=number(done.reclassified),
                    changes=number(done.class_changes), seconds=f"{done.seconds:.1f}")
                clear_read_caches()
                st.rerun()

# --- overrides --------------------------------------------------------------------------------------
if manage and section == "overrides":
    with error_boundary("classification overrides"):
        status = st.selectbox(t("classification.page.override_status"), [*OVERRIDE_STATUSES, None],
                              format_func=lambda s: t("common.all") if s is None
                              else t(f"classification.override_status.{s}"), key="classification_ovr_status")
        page = st.session_state.get("classification_ovr_page", 1) - 1
        overrides, total = list_overrides(sessions, actor=actor, status=status, page=page, page_size=PAGE_SIZE)
        if overrides:
            data_table(pd.DataFrame([{
                t("classification.page.col.code"): o.customer_code, t("classification.page.col.name"): o.customer_name,
                t("classification.page.col.dimension"): t(f"classification.dimension.{o.dimension}"),
                t("classification.page.col.class"): class_label(o.dimension, o.value),
                t("classification.page.col.reason"): o.reason,
                t("classification.page.col.expires"): date(o.expires_on) if o.expires_on else "",
                t("classification.page.col.by"): o.created_by or "",
                t("classification.page.col.at"): when(o.created_at),
                t("classification.page.col.status"): t(f"classification.override_status.{o.status}"),
            } for o in overrides]), hide_index=True, width="stretch")
        else:
            st.info(t("common.no_rows"))
        pager("classification_ovr_page", total, PAGE_SIZE)
        removable = {o.id: o for o in overrides if o.status != "removed"}
        if removable:
            left, right = st.columns([3, 1])
            to_remove = left.selectbox(t("classification.page.remove_override"), list(removable),
                                       format_func=lambda i: f"{removable[i].customer_code} · "
                                       f"{t(f'classification.dimension.{removable[i].dimension}')} · "
                                       f"{class_label(removable[i].dimension, removable[i].value)}",
                                       key="classification_ovr_remove_pick")
            if right.button(t("classification.page.remove"), key="classification_ovr_remove"):
                if run_action("classification_ovr_remove", lambda: remove_override(
                        sessions, actor=actor, override_id=to_remove, version=removable[to_remove].version,
                        token=form_token("classification_ovr_remove")), success=t("common.saved")) is not None:
                    clear_read_caches()
                    st.rerun()
        st.subheader(t("classification.page.new_override"))
        customer_id = _customer_picker("classification_ovr")
        pairs = {f"{d}:{v}": f"{t(f'classification.dimension.{d}')}: {class_label(d, v)}"
                 for d in COMPUTED_DIMENSIONS for v in CLASS_OPTIONS[d]}
        with st.form("classification_override"):
            pair = st.selectbox(t("classification.page.col.class"), list(pairs), key="classification_ovr_pair",
                                format_func=pairs.get)
            field_error("classification_override", "value")
            reason = st.text_input(t("classification.page.col.reason"), max_chars=300, key="classification_ovr_reason")
            field_error("classification_override", "reason")
            expires_set = st.checkbox(t("classification.page.with_expiry"), key="classification_ovr_expires_set")
            expires = st.date_input(t("classification.page.col.expires"), value=company_today() + dt.timedelta(days=90),
                                    key="classification_ovr_expires")
            field_error("classification_override", "expires_on")
            override_clicked = st.form_submit_button(t("classification.page.save_override"), type="primary",
                                                     disabled=customer_id is None)
        if override_clicked and customer_id is not None:
            override_dimension, override_value = pair.split(":")
            if run_action("classification_override", lambda: set_override(
                    sessions, actor=actor, customer_id=customer_id, dimension=override_dimension,
                    value=override_value, reason=reason,
                    expires_on=expires if expires_set else None, token=form_token("classification_override")),
                    success=t("common.saved")) is not None:
                clear_read_caches()
                st.rerun()

# --- credit evidence ledger ------------------------------------------------------------------------
if manage and section == "credit":
    with error_boundary("classification credit"):
        st.caption(t("classification.page.credit_help"))
        credit_customer = _customer_picker("classification_credit")
        if credit_customer is not None:
            events = list_credit_events(sessions, actor=actor, customer_id=credit_customer)
            if events:
                data_table(pd.DataFrame([{
                    t("classification.page.col.date"): date(e.event_date),
                    t("classification.page.col.kind"): t(f"classification.credit_kind.{e.kind}"),
                    t("classification.page.col.weight"): float(e.weight),
                    t("classification.page.col.amount"): money(e.amount) if e.amount is not None else "",
                    t("classification.page.col.days_late"): e.days_late,
                    t("classification.page.col.note"): e.note or "",
                } for e in events]), hide_index=True, width="stretch")
                by_id = {e.id: e for e in events}
                left, right = st.columns([3, 1])
                strike = left.selectbox(t("classification.page.remove_event"), list(by_id),
                                        format_func=lambda i: f"{date(by_id[i].event_date)} · "
                                        f"{t(f'classification.credit_kind.{by_id[i].kind}')}",
                                        key="classification_credit_remove_pick")
                if right.button(t("classification.page.remove"), key="classification_credit_remove"):
                    if run_action("classification_credit_remove", lambda: remove_credit_event(
                            sessions, actor=actor, event_id=strike, version=by_id[strike].version,
                            token=form_token("classification_credit_remove")), success=t("common.saved")) is not None:
                        clear_read_caches()
                        st.rerun()
            else:
                st.info(t("common.no_rows"))
            with st.form("classification_credit_event"):
                kind = st.selectbox(t("classification.page.col.kind"), CREDIT_EVENT_KINDS,
                                    format_func=lambda k: t(f"classification.credit_kind.{k}"),
                                    key="classification_credit_kind")
                event_date = st.date_input(t("classification.page.col.date"), value=company_today(),
                                           key="classification_credit_date")
                field_error("classification_credit_event", "event_date")
                c1, c2, c3 = st.columns(3)
                days_late = c1.number_input(t("classification.page.col.days_late"), 0, 3650, 0,
                                            key="classification_credit_days")
                amount = c2.text_input(t("classification.page.col.amount"), key="classification_credit_amount")
                weight = c3.text_input(t("classification.page.weight_optional"), key="classification_credit_weight")
                with c2:
                    field_error("classification_credit_event", "amount")
                with c3:
                    field_error("classification_credit_event", "weight")
                note = st.text_input(t("classification.page.col.note"), max_chars=300, key="classification_credit_note")
                event_clicked = st.form_submit_button(t("classification.page.record_event"), type="primary")
            if event_clicked:
                if run_action("classification_credit_event", lambda: record_credit_event(
                        sessions, actor=actor, customer_id=credit_customer, kind=kind, event_date=event_date,
                        weight=weight or None, amount=amount or None, days_late=int(days_late) or None, note=note,
                        token=form_token("classification_credit_event")), success=t("common.saved")) is not None:
                    clear_read_caches()
                    st.rerun()
