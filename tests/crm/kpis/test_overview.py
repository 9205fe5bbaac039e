"""The overview's headline figures, on every database: counts by stage and value tier, revenue, work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import update

from crm.customers.records import OrderInput, add_order
from crm.kpis.overview import list_scope, overview
from crm.platform.settings import update_settings
from db.engine import Sessions
from db.models import Customer
from tests.crm.customers.customer_fixtures import COMPANY_TODAY, MakeCustomer, Team


def test_the_overview_counts_live_customers_by_stage_and_value_tier_and_sums_a_years_orders(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    high = make_customer("华为技术有限公司", lifecycle_stage="signed", owner_id=team.staff.id)
    medium = make_customer("Contoso Ltd", lifecycle_stage="signed")
    make_customer("Northwind Traders", lifecycle_stage="intent", owner_id=team.staff.id)
    make_customer("Globex", lifecycle_stage="potential")
    gone = make_customer("Initech", lifecycle_stage="signed")
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.id == high.id).values(value_tier="high"))
        session.execute(update(Customer).where(Customer.id == medium.id).values(value_tier="medium"))
        session.execute(
            update(Customer)
            .where(Customer.id == gone.id)
            .values(value_tier="high", archived_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        )
    add_order(
        sessions,
        actor=team.manager,
        customer_id=high.id,
        data=OrderInput(order_date=COMPANY_TODAY - dt.timedelta(days=30), amount=Decimal("1200.50")),
    )
    add_order(
        sessions,
        actor=team.manager,
        customer_id=medium.id,
        data=OrderInput(order_date=COMPANY_TODAY - dt.timedelta(days=400), amount=Decimal("999.00")),
    )

    company = overview(sessions, actor=team.manager, today=COMPANY_TODAY)
    assert company.customers == 4 and company.signed == 2
    assert company.by_stage == {"potential": 1, "intent": 1, "signed": 2, "churned": 0}
    assert company.by_tier == {"high": 1, "medium": 1, "low": 0, "none": 2}
    assert company.revenue_12m == Decimal("1200.50")

    assert company.scope == "all"

    own = overview(sessions, actor=team.staff, today=COMPANY_TODAY)  # staff: their own customers only
    assert own.customers == 2 and own.scope == "own"
    assert own.by_tier == {"high": 1, "medium": 0, "low": 0, "none": 1}


def test_the_list_counts_everyone_for_staff_only_while_the_setting_lets_them_read_everyone(
    sessions: Sessions, team: Team
) -> None:
    assert list_scope(sessions, actor=team.manager) == "all"
    assert list_scope(sessions, actor=team.staff) == "all"  # staff_can_read_all is on by default
    update_settings(sessions, actor=team.admin, changes={"staff_can_read_all": False})
    assert list_scope(sessions, actor=team.staff) == "own"
    assert list_scope(sessions, actor=team.viewer) == "all"
