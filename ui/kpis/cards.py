"""The headline cards: each KPI with its change against the previous period, its target mark and a drill button."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from crm.kpis import KPI_BY_CODE, KPIS, KpiDefinition, KpiValue
from crm.kpis.report import CARD_GROUPS, STATUS_COLOURS, format_delta, format_value, value_detail
from ui.i18n import lang, t
from ui.inert import inert
from ui.kpis import keys
from ui.kpis.drill import open_drill
from ui.kpis.filters import DashboardView

PER_ROW = 4
CARD_HEIGHT = 172  # pixels: label, figure, change, then the mark and the List button


def cards_section(
    view: DashboardView,
    values: Mapping[str, KpiValue],
    previous: Mapping[str, KpiValue],
    statuses: Mapping[str, str | None],
    targets: Mapping[str, object],
) -> None:
    """Every KPI as a card, grouped (customers, revenue and follow-ups, complaints, satisfaction)."""
    for group_key, codes in _groups():
        shown = [code for code in codes if code in values]
        if not shown:
            continue
        st.markdown(f"**{inert(t(group_key))}**")
        for start in range(0, len(shown), PER_ROW):
            row = st.columns(PER_ROW)
            for column, code in zip(row, shown[start : start + PER_ROW], strict=False):
                with column:
                    definition = KPI_BY_CODE[code]
                    _card(definition, values[code], previous.get(code), statuses.get(code), targets.get(code), view)


def _groups() -> Sequence[tuple[str, Sequence[str]]]:
    """The card groups, every KPI of the definitions in one of them (one added later lands in "more")."""
    placed = {code for _, codes in CARD_GROUPS for code in codes}
    rest = tuple(k.code for k in KPIS if k.code not in placed)
    return (*CARD_GROUPS, *((("dashboard.group.more", rest),) if rest else ()))


def _card(
    definition: KpiDefinition,
    value: KpiValue,
    previous: KpiValue | None,
    status: str | None,
    target: object,
    view: DashboardView,
) -> None:
    language = lang()
    # One height for every card, whether it has a change, a mark or a List button, so the rows line up.
    with st.container(border=True, height=CARD_HEIGHT):
        st.metric(
            t(definition.label_key),
            format_value(definition, value.value, language),
            delta=format_delta(definition, value, previous, language),
            delta_color="normal" if definition.higher_is_better else "inverse",
            help=_help(definition, value, previous, target),
        )
        mark, drill = st.columns([1, 1], vertical_alignment="center")
        if status is not None:
            mark.markdown(
                f":{STATUS_COLOURS[status]}-badge[{inert(t(f'kpis.status.{status}'))}]",
                help=t("dashboard.card.target", target=format_value(definition, target, language)),
            )
        elif target is not None:
            mark.caption(t("dashboard.card.target", target=format_value(definition, target, language)))
        if definition.drill is not None and not value.no_data:
            drill.button(
                t("dashboard.card.drill"),
                key=keys.card_drill(definition.code),
                type="tertiary",
                icon=":material/list:",
                help=t(f"dashboard.drill.what.{definition.drill}"),
                on_click=open_drill,
                args=(definition.code, None, t(definition.label_key), view),
            )


def _help(definition: KpiDefinition, value: KpiValue, previous: KpiValue | None, target: object) -> str:
    """The tooltip: the formula, then what this figure was computed from and the previous period's figure."""
    language = lang()
    lines = [t(definition.formula_key)]
    detail = value_detail(definition, value, language)
    if detail:
        lines.append(detail)
    if previous is not None:
        lines.append(t("dashboard.card.previous", value=format_value(definition, previous.value, language)))
    if target is not None:
        lines.append(t("dashboard.card.target", target=format_value(definition, target, language)))
    return "\n\n".join(lines)
