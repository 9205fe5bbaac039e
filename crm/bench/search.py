"""Benchmark section `search`: the customer list's searches on the data set (the first page of 50 by name and the
capped total), as a manager, for each kind of term the list meets."""

from __future__ import annotations

from crm.bench.runner import Context, Measurement, time_call
from crm.customers.service import CustomerFilter, list_customers
from crm.platform.permissions import Actor

# (label, search text): the kinds of search the list meets, with words the demo's names, contacts and codes hold.
TERMS = (
    ("2-char Chinese name (科技)", "科技"),
    ("2-char Chinese contact (张伟)", "张伟"),
    ("full-width English (ＭＩＣＲＯ)", "ＭＩＣＲＯ"),
    ("3+ char English (systems)", "systems"),
    ("English two words (austin micro)", "austin micro"),
    ("code prefix (C00001)", "C00001"),
    ("phone fragment (1381234)", "1381234"),
    ("email fragment (zhang)", "zhang"),
    ("email fragment, rare (yang8075@)", "yang8075@"),
    ("1 Chinese character (华)", "华"),
    ("1 Chinese character, a surname (王)", "王"),
    ("1 ASCII character (q)", "q"),
    ("no match (zzqx)", "zzqx"),
)
MANAGER = Actor(id=0, username="bench", display_name="bench", role="manager")
VIEWER = Actor(id=0, username="bench-viewer", display_name="bench viewer", role="viewer")


def measure(ctx: Context) -> list[Measurement]:
    """Time the list (first page of 50 and the capped total) for each term; a few other sorts and a viewer."""
    cases: list[tuple[str, Actor, str, str]] = [(label, MANAGER, term, "name") for label, term in TERMS]
    cases += [
        ("viewer: phone fragment (finds none)", VIEWER, "1381234", "name"),
        ("2-char Chinese, sorted by created_at", MANAGER, "科技", "created_at"),
        ("code prefix, sorted by code", MANAGER, "C00001", "code"),
    ]
    rows = []
    for label, actor, term, sort in cases:
        flt = CustomerFilter(search=term, sort=sort)
        rows.append(
            time_call(
                "search",
                label,
                lambda flt=flt, actor=actor: (
                    list_customers(  # type: ignore[misc]
                        ctx.sessions, actor=actor, flt=flt, page_size=50
                    ).total
                ),
                warm_runs=ctx.warm_runs,
                note=lambda total: f"total {total:,}",
            )
        )
    return rows
