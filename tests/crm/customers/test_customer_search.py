"""Customer search through the n-gram index: every write path keeps it in step, on every backend."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, delete, func, insert, select

from crm.cli import main
from crm.customers import search_index
from crm.customers.duplicates import merge_customers
from crm.customers.records import ContactInput, add_contact, set_contact_archived, update_contact
from crm.customers.service import CustomerFilter, get_customer, list_customers, pick_customers, update_customer
from crm.demo.service import load_demo
from crm.exchange.imports import import_file
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.settings import update_settings
from db.engine import Sessions, alembic_config, upgrade_database
from db.models import Contact, Customer, CustomerSearchGram, CustomerSearchGramCount, CustomerSearchText, utcnow
from db.search_grams import texts_from_database
from tests.crm.customers.customer_fixtures import MakeCustomer, Team, count_statements


def found(sessions: Sessions, actor: Actor, term: str) -> list[str]:
    page = list_customers(sessions, actor=actor, flt=CustomerFilter(search=term, archived="all"))
    assert page.total == len(page.rows)
    return [r.name for r in page.rows]


def assert_index_in_step(sessions: Sessions) -> None:
    """The stored texts and grams are exactly what a rebuild from the customers and contacts would write."""
    with sessions.read() as session:
        connection = session.connection()
        ids = list(connection.scalars(select(Customer.id)))
        expected = texts_from_database(connection, ids) if ids else {}
        texts = {
            r.customer_id: search_index.SearchText(r.visible, r.emails, r.phones, r.name)
            for r in connection.execute(select(CustomerSearchText))
        }
        grams = connection.execute(
            select(
                CustomerSearchGram.gram,
                CustomerSearchGram.customer_name,
                CustomerSearchGram.customer_id,
                CustomerSearchGram.kinds,
            )
        ).all()
    assert texts == expected
    assert sorted(tuple(g) for g in grams) == sorted(row for i, text in expected.items() for row in text.rows(i))


@pytest.fixture(params=["rare_grams", "common_grams", "stale_counts"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, sessions: Sessions) -> str:
    """Run a test each way a search can go: few candidates by rare grams, or common grams (RARE = 0); and with
    gram counts stored before any of the test's customers existed (each of their grams is then counted live)."""
    if request.param == "common_grams":
        monkeypatch.setattr(search_index, "RARE", 0)
    if request.param == "stale_counts":
        with sessions.begin() as session:
            session.add(CustomerSearchGramCount(gram="zzz", holders=1))
    return str(request.param)


def test_grams_are_two_characters_around_chinese_and_three_for_ascii() -> None:
    assert search_index.grams_of("华为技术") == {"华", "为", "技", "术", "华为", "为技", "技术"}
    assert search_index.grams_of("王 ab华") == {"王", "华", "ab华", "b华"}
    assert search_index.grams_of("acme co") == {"acm", "cme"}
    assert search_index.grams_of("ab") == set()  # too common to pick anything: checked row by row
    assert search_index.normalise("ＡＣＭＥ（深圳）") == "acme(深圳)"


def test_a_new_customer_is_found_by_a_two_character_chinese_term_and_by_full_width_input(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    make_customer(
        "北京华为技术有限公司", contact={"name": "张伟", "phone": "138-1234-5678", "email": "zhang.wei@huawei.example"}
    )
    make_customer("ＡＢＣ Trading Ltd")
    make_customer("Beta Foods", contact={"name": "Olivia Brown"})
    assert found(sessions, team.manager, "华为") == ["北京华为技术有限公司"]
    assert found(sessions, team.manager, "张伟") == ["北京华为技术有限公司"]
    assert found(sessions, team.manager, "abc trad") == ["ＡＢＣ Trading Ltd"]
    assert found(sessions, team.manager, "ＴＲＡＤＩＮＧ") == ["ＡＢＣ Trading Ltd"]
    assert found(sessions, team.manager, "１２３４５６７８") == ["北京华为技术有限公司"]
    assert found(sessions, team.manager, "华") == ["北京华为技术有限公司"]  # one character: a gram of its own
    assert found(sessions, team.manager, "伟") == ["北京华为技术有限公司"]  # the last character of a word too
    assert found(sessions, team.manager, "t") == ["Beta Foods", "ＡＢＣ Trading Ltd"]  # one ASCII one: no gram
    assert found(sessions, team.manager, "为华") == []
    assert [c.label.split(" · ")[1] for c in pick_customers(sessions, actor=team.manager, search="foods")] == [
        "Beta Foods"
    ]
    assert_index_in_step(sessions)


def test_renaming_a_customer_or_changing_its_code_moves_its_grams(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    customer = make_customer("上海星河软件有限公司")
    update_customer(
        sessions,
        actor=team.manager,
        customer_id=customer.id,
        version=customer.version,
        changes={"name": "上海银河数据有限公司", "code": "SH-0099"},
    )
    assert found(sessions, team.manager, "星河") == []
    assert found(sessions, team.manager, "银河") == ["上海银河数据有限公司"]
    assert found(sessions, team.manager, "sh-009") == ["上海银河数据有限公司"]
    assert found(sessions, team.manager, customer.code) == []
    assert_index_in_step(sessions)


def test_contacts_are_searched_as_they_are_now_added_edited_archived_or_restored(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    customer = make_customer("Delta Clinics")
    contact = add_contact(
        sessions,
        actor=team.manager,
        customer_id=customer.id,
        data=ContactInput(name="李娜", phone="139 1111 2222", email="li.na@delta.example"),
    )
    assert found(sessions, team.manager, "李娜") == ["Delta Clinics"]
    assert found(sessions, team.manager, "li.na@") == ["Delta Clinics"]
    assert found(sessions, team.manager, "13911112222") == ["Delta Clinics"]
    contact = update_contact(
        sessions,
        actor=team.manager,
        contact_id=contact.id,
        version=contact.version,
        data=ContactInput(name="王芳", phone="13933334444", email="wang.fang@delta.example"),
    )
    assert found(sessions, team.manager, "李娜") == []
    assert found(sessions, team.manager, "li.na@") == []
    assert found(sessions, team.manager, "王芳") == ["Delta Clinics"]
    assert found(sessions, team.manager, "3333444") == ["Delta Clinics"]
    assert_index_in_step(sessions)
    contact = set_contact_archived(
        sessions, actor=team.manager, contact_id=contact.id, version=contact.version, archived=True
    )
    assert found(sessions, team.manager, "王芳") == []
    assert_index_in_step(sessions)
    set_contact_archived(sessions, actor=team.manager, contact_id=contact.id, version=contact.version, archived=False)
    assert found(sessions, team.manager, "王芳") == ["Delta Clinics"]
    assert_index_in_step(sessions)


def test_a_merge_moves_the_duplicates_contacts_into_the_survivors_search(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    survivor = make_customer("Acme Robotics Inc.")
    duplicate = make_customer("ACME Robotics", contact={"name": "John Smith", "email": "john@acme.example"})
    merge_customers(sessions, actor=team.manager, survivor_id=survivor.id, duplicate_id=duplicate.id)
    assert found(sessions, team.manager, "john smith") == ["Acme Robotics Inc."]
    assert found(sessions, team.manager, "john@acme") == ["Acme Robotics Inc."]
    # The archived duplicate stays findable by its own name when archived customers are listed.
    assert found(sessions, team.manager, "acme robotics") == ["ACME Robotics", "Acme Robotics Inc."]
    active = list_customers(sessions, actor=team.manager, flt=CustomerFilter(search="acme robotics"))
    assert [r.name for r in active.rows] == ["Acme Robotics Inc."]
    assert_index_in_step(sessions)


def test_an_import_indexes_new_customers_renames_and_contacts(sessions: Sessions, team: Team, strategy: str) -> None:
    first = (
        "code,name,contact_name,phone,email\n"
        "C101,北京星辰科技有限公司,张三,13812345678,zhang.san@xingchen.example\n"
        "C102,Northwind Trading,Mary Jones,,mary@northwind.example\n"
    )
    import_file(sessions, actor=team.manager, kind="customers", filename="c.csv", data=first.encode())
    assert found(sessions, team.manager, "星辰") == ["北京星辰科技有限公司"]
    assert found(sessions, team.manager, "mary jo") == ["Northwind Trading"]
    assert found(sessions, team.manager, "12345678") == ["北京星辰科技有限公司"]
    second = (
        "code,name,contact_name,phone,email\n"
        "C101,北京辰光科技有限公司,张三,13800001111,\n"
        "C102,Northwind Trading,Peter Walker,,\n"
    )
    import_file(sessions, actor=team.manager, kind="customers", filename="c2.csv", data=second.encode())
    assert found(sessions, team.manager, "星辰") == []
    assert found(sessions, team.manager, "辰光") == ["北京辰光科技有限公司"]
    assert found(sessions, team.manager, "00001111") == ["北京辰光科技有限公司"]
    assert found(sessions, team.manager, "peter") == ["Northwind Trading"]
    orders = "customer_code,customer_name,order_date,amount\nC201,Globex Holdings,2024-01-05,10\n"
    import_file(
        sessions, actor=team.manager, kind="orders", filename="o.csv", data=orders.encode(), create_missing=True
    )
    assert found(sessions, team.manager, "globex") == ["Globex Holdings"]
    assert_index_in_step(sessions)


def test_a_viewer_cannot_find_customers_by_phone_or_email_fragments(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    make_customer(
        "Acme Robotics Inc.", contact={"name": "John Smith", "phone": "13812345678", "email": "john@acme.example"}
    )
    for term in ("12345678", "138-1234", "john@acme", "acme.example"):
        assert found(sessions, team.viewer, term) == [], term
        assert found(sessions, team.manager, term) == ["Acme Robotics Inc."], term
    assert found(sessions, team.viewer, "john smi") == ["Acme Robotics Inc."]
    assert found(sessions, team.viewer, "acme") == ["Acme Robotics Inc."]


def test_search_filters_sort_and_paging_compose(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    for n in range(7):
        make_customer(f"杭州华为分销{n}号有限公司", industry="software" if n % 2 else "retail")
    make_customer("华南物流")
    flt = CustomerFilter(search="华为", industries=("software",), sort="name", descending=True)
    first = list_customers(sessions, actor=team.manager, flt=flt, page_size=2)
    second = list_customers(sessions, actor=team.manager, flt=flt, page=1, page_size=2)
    assert (first.total, first.pages) == (3, 2)
    assert [r.name for r in first.rows + second.rows] == [f"杭州华为分销{n}号有限公司" for n in (5, 3, 1)]


@pytest.mark.parametrize("full", [False, True], ids=["in_step", "full"])
def test_the_reindex_command_rebuilds_an_emptied_index(
    engine: Engine,
    sessions: Sessions,
    team: Team,
    make_customer: MakeCustomer,
    monkeypatch: pytest.MonkeyPatch,
    full: bool,
) -> None:
    make_customer("北京华为技术有限公司", contact={"name": "张伟", "email": "zw@huawei.example"})
    make_customer("Northwind Trading")
    with sessions.begin() as session:
        session.execute(delete(CustomerSearchGram))
        session.execute(delete(CustomerSearchText))
    assert found(sessions, team.manager, "华为") == []
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["search", "reindex", *(["--full"] if full else [])]) == 0
    assert found(sessions, team.manager, "华为") == ["北京华为技术有限公司"]
    assert found(sessions, team.manager, "northw") == ["Northwind Trading"]
    assert_index_in_step(sessions)


def test_reindex_brings_edits_made_outside_the_app_into_the_index_chunk_by_chunk(
    engine: Engine,
    sessions: Sessions,
    team: Team,
    make_customer: MakeCustomer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    renamed = make_customer("Contoso Trading", contact={"name": "Linda Evans", "email": "le@contoso.example"})
    make_customer("北京华为技术有限公司", contact={"name": "张伟", "email": "zw@huawei.example"})
    for n in range(5):
        make_customer(f"Unchanged Partner {n}")
    now = utcnow()
    with sessions.begin() as session:  # what a script or a DBA does to the tables, past every write path
        session.execute(Customer.__table__.update().where(Customer.id == renamed.id).values(name="Fabrikam Foods"))
        session.execute(
            Contact.__table__.update().where(Contact.name == "Linda Evans").values(email="linda@fabrikam.example")
        )
        session.execute(Contact.__table__.update().where(Contact.name == "张伟").values(archived_at=now))
        new_id = session.scalar(select(func.max(Customer.id))) + 1
        session.execute(
            insert(Customer.__table__).values(
                id=new_id,
                code="X000001",
                name="深圳腾讯科技",
                name_key="深圳腾讯科技",
                customer_type="company",
                lifecycle_stage="signed",
                share_consent=False,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
    assert found(sessions, team.manager, "fabrikam") == []
    assert found(sessions, team.manager, "腾讯") == []

    assert search_index.reindex_all(sessions, chunk=2) == (8, 3)  # four transactions of two customers
    assert found(sessions, team.manager, "fabrikam") == ["Fabrikam Foods"]
    assert found(sessions, team.manager, "contoso") == []
    assert found(sessions, team.manager, "linda@fab") == ["Fabrikam Foods"]
    assert found(sessions, team.manager, "zw@huawei") == []  # the archived contact is out of the search
    assert found(sessions, team.manager, "腾讯") == ["深圳腾讯科技"]
    assert_index_in_step(sessions)
    with sessions.read() as session:  # the gram counts were refreshed: the new customer's grams are counted
        assert (
            session.scalar(select(CustomerSearchGramCount.holders).where(CustomerSearchGramCount.gram == "腾讯")) == 1
        )

    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["search", "reindex"]) == 0
    assert "checked for 8 customers, 0 brought in step" in capsys.readouterr().out  # nothing left to do
    assert_index_in_step(sessions)


def test_the_migration_fills_the_index_for_existing_customers(engine: Engine, sessions: Sessions, team: Team) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003_follow_ups")
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            insert(Customer.__table__),
            [
                {
                    "id": 1,
                    "code": "C000001",
                    "name": "深圳华为技术有限公司",
                    "name_key": "深圳华为技术",
                    "customer_type": "company",
                    "lifecycle_stage": "signed",
                    "share_consent": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
                {
                    "id": 2,
                    "code": "C000002",
                    "name": "Contoso Ltd",
                    "name_key": "contoso",
                    "customer_type": "company",
                    "lifecycle_stage": "signed",
                    "share_consent": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            ],
        )
        contact = {
            "customer_id": 2,
            "phone": None,
            "email": None,
            "is_primary": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "archived_at": None,
        }
        connection.execute(
            insert(Contact.__table__),
            [
                {**contact, "id": 1, "name": "Linda Evans", "phone": "+1 212 555 0199", "email": "le@contoso.example"},
                {**contact, "id": 2, "name": "Gone Person", "archived_at": now},
            ],
        )
    upgrade_database(engine)
    assert found(sessions, team.manager, "华为") == ["深圳华为技术有限公司"]
    assert found(sessions, team.manager, "linda ev") == ["Contoso Ltd"]
    assert found(sessions, team.manager, "2125550199") == ["Contoso Ltd"]
    assert found(sessions, team.manager, "gone person") == []
    assert_index_in_step(sessions)
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(CustomerSearchText)) == 2
    assert get_customer(sessions, actor=team.manager, customer_id=1).name == "深圳华为技术有限公司"


def test_a_rebuild_in_many_batches_stages_the_grams_and_writes_the_same_index(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    for n in range(5):
        make_customer(f"广州华为代理{n}号", contact={"name": f"Agent {n}", "email": f"agent{n}@gz.example"})
    with sessions.begin() as session:
        assert search_index.rebuild(session.connection(), batch=2) == 5  # three batches: staged
    assert_index_in_step(sessions)
    assert len(found(sessions, team.manager, "华为代理")) == 5
    assert found(sessions, team.manager, "agent3@") == ["广州华为代理3号"]


def test_an_index_rebuild_on_mariadb_locks_one_row_per_customer_not_one_per_gram(sessions: Sessions) -> None:
    # Under REPEATABLE READ the rebuild's DELETE locks the empty index's gap, and every row inserted there
    # inherits a lock: 60 million for a million customers, more than InnoDB's lock table holds with its
    # default buffer pool (error 1206). The engine runs READ COMMITTED, where only the foreign-key checks of
    # the customers' texts lock (their customer rows).
    if sessions.dialect != "mysql":
        pytest.skip("MariaDB only")
    now = utcnow()
    with sessions.begin() as session:  # customers not indexed yet, as a bulk load leaves them
        session.execute(
            insert(Customer.__table__),
            [
                {
                    "id": n,
                    "code": f"L{n:06d}",
                    "name": f"Lockless Trading {n}",
                    "name_key": f"lockless {n}",
                    "customer_type": "company",
                    "lifecycle_stage": "signed",
                    "share_consent": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, 7)
            ],
        )
    with sessions.begin() as session:
        connection = session.connection()
        assert search_index.rebuild(connection, batch=2) == 6  # staged: the copy is one INSERT ... SELECT
        grams = connection.scalar(select(func.count()).select_from(CustomerSearchGram))
        locked = connection.exec_driver_sql(
            "SELECT trx_rows_locked FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = CONNECTION_ID()"
        ).scalar()
    assert grams > 60
    assert locked <= 6
    assert_index_in_step(sessions)


def test_demo_data_is_indexed_as_a_rebuild_would_index_it(sessions: Sessions) -> None:
    """The demo loader's one-shot bulk load (bucketed by gram) writes exactly the rebuild's index."""
    load_demo(sessions, customers=60, seed=5)
    assert_index_in_step(sessions)
    with sessions.read() as session:
        name = session.scalar(select(Customer.name).where(Customer.name.like("%公司%")).limit(1))
    assert name is not None
    assert name in found(sessions, SYSTEM, name[2:4])


def test_a_one_gram_term_finds_exactly_the_customers_whose_text_holds_it(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    # One-gram terms (two characters around Chinese, three ASCII) are answered from the grams alone, unverified:
    # they must find what a substring search of the same normalised texts finds.
    texts = {
        "华为科技有限公司": "",
        "深圳华为": "",
        "为华贸易": "",
        "ＡＣＭＥ华为 Ltd": "",
        "Acmex Foods": "",
        "Partners": "李华为 acm.5@example.com",
        "华 为": "",
    }
    for name, contact in texts.items():
        make_customer(name, contact={"name": "李华为", "email": "acm.5@example.com"} if contact else None)
    for term in ("华为", "为华", "acm", "ＡＣＭ", "cme", "ltd", "xyz"):
        key = search_index.normalise(term)
        with sessions.read() as session:
            plan = search_index.plan_search(session, term, contact_details=True)
        assert plan is not None and plan.exact, term
        expected = sorted(n for n, c in texts.items() if key in search_index.normalise(f"{n} {c}"))
        assert sorted(found(sessions, team.manager, term)) == expected, term
    # A viewer may not search contact details: the email's "acm" finds nothing for them.
    assert sorted(found(sessions, team.viewer, "acm")) == ["Acmex Foods", "ＡＣＭＥ华为 Ltd"]


def _all_pages(sessions: Sessions, actor: Actor, flt: CustomerFilter, page_size: int) -> tuple[int, list[int]]:
    first = list_customers(sessions, actor=actor, flt=flt, page_size=page_size)
    ids = [r.id for r in first.rows]
    for page in range(1, first.pages):
        ids += [r.id for r in list_customers(sessions, actor=actor, flt=flt, page=page, page_size=page_size).rows]
    return first.total, ids


def test_a_search_by_name_pages_through_its_matches_in_the_lists_own_order(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    """The walk over a gram's holders gives the page the database's own ORDER BY name, id would give."""
    names = [
        "北京华为科技有限公司",
        "Acme Robotics",
        "acme robotics",
        "ACME Trading",
        "华为",
        "Zeta 华为 Ltd",
        "北京华为科技有限公司",
        "Beta Acme",
        "上海华为",
        "acme",
        "Ａｃｍｅ Foods",
        "华为 Acme 联合",
    ]
    for n, name in enumerate(names):
        make_customer(
            name,
            actor=team.staff if n % 3 == 0 else team.manager,
            industry="software" if n % 2 else None,
            contact={"name": f"王{n}", "email": f"acme{n}@example.com"} if n % 4 == 0 else None,
        )
    with sessions.begin() as session:  # one archived match: left out of the active list, found in "all"
        session.execute(Customer.__table__.update().where(Customer.name == "上海华为").values(archived_at=utcnow()))
    update_settings(sessions, actor=team.admin, changes={"staff_can_read_all": False})  # staff: their own only
    with sessions.read() as session:
        texts = {
            i: t
            for i, t in texts_from_database(session.connection(), list(session.scalars(select(Customer.id)))).items()
        }
        rows = {
            c.id: c
            for c in session.execute(select(Customer.id, Customer.archived_at, Customer.industry, Customer.owner_id))
        }

    def expected(term: str, actor: Actor, flt: CustomerFilter) -> list[int]:
        key = search_index.normalise(term)
        details = actor is not team.viewer
        ids = [i for i, t in texts.items() if key in t.visible or (details and key in t.emails)]
        ids = [
            i
            for i in ids
            if (flt.archived == "all" or rows[i].archived_at is None)
            and (not flt.industries or rows[i].industry in flt.industries)
            and (actor is not team.staff or rows[i].owner_id == team.staff.id)
        ]
        if not ids:
            return []
        order = (Customer.name.desc(), Customer.id.desc()) if flt.descending else (Customer.name, Customer.id)
        with sessions.read() as session:  # the database's collation decides, as it does for the list
            return list(session.scalars(select(Customer.id).where(Customer.id.in_(ids)).order_by(*order)))

    for term in ("华为", "acme", "ａｃｍｅ", "acme robotics", "王", "acme1", "nothing"):
        for actor in (team.manager, team.staff, team.viewer):
            for flt in (
                CustomerFilter(search=term),
                CustomerFilter(search=term, descending=True),
                CustomerFilter(search=term, archived="all", industries=("software",)),
            ):
                with sessions.read() as session:
                    plan = search_index.plan_search(session, term, contact_details=actor is not team.viewer)
                assert plan is not None
                # Walked in name order when one gram or only common grams; rare grams' candidates are sorted.
                assert search_index.walkable(plan) == (plan.exact or strategy == "common_grams"), term
                want = expected(term, actor, flt)
                assert _all_pages(sessions, actor, flt, page_size=2) == (len(want), want), (term, actor.role, flt)
    picked = pick_customers(sessions, actor=team.manager, search="acme", limit=3)
    assert [c.id for c in picked] == expected("acme", team.manager, CustomerFilter(search="acme"))[:3]


def test_the_downgrade_to_one_row_per_kind_keeps_every_gram(
    engine: Engine, sessions: Sessions, make_customer: MakeCustomer
) -> None:
    make_customer("Contoso Ltd", contact={"name": "Linda Evans", "email": "linda@contoso.example"})
    make_customer("深圳华为", contact={"name": "张伟", "phone": "13812345678"})
    with sessions.read() as session:
        new = set(
            session.execute(
                select(CustomerSearchGram.gram, CustomerSearchGram.customer_id, CustomerSearchGram.kinds)
            ).all()
        )
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008_search_single_characters")
    with engine.connect() as connection:
        old = set(connection.exec_driver_sql("SELECT gram, kind, customer_id FROM customer_search_grams").all())
    assert any(k == 3 for _g, _c, k in new)  # "lin" is in a name and in an email: both bits, one row
    assert old == {(g, 0, c) for g, c, k in new if k & 1} | {(g, 1, c) for g, c, k in new if k & 2}
    upgrade_database(engine)
    assert_index_in_step(sessions)


def test_a_search_counts_up_to_its_own_cap_and_pages_through_that_many(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("crm.customers.service.SEARCH_COUNT_CAP", 4)
    for n in range(6):
        make_customer(f"杭州华为分销{n}号")
    for term in ("华为", "华为分销"):  # one gram (walked) and a longer term
        page = list_customers(sessions, actor=team.manager, flt=CustomerFilter(search=term), page=9, page_size=2)
        assert (page.total, page.cap, page.total_capped, page.pages, page.page) == (5, 4, True, 2, 1), term
        assert [r.name for r in page.rows] == ["杭州华为分销2号", "杭州华为分销3号"], term  # the last page
    unfiltered = list_customers(sessions, actor=team.manager, page_size=2)
    assert (unfiltered.total, unfiltered.total_capped, unfiltered.pages) == (6, False, 3)


def test_a_rare_search_that_matches_nothing_reads_its_candidates_once(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    make_customer("Contoso Trading", contact={"name": "Li Na", "email": "li.na.4712@example.com"})
    with count_statements(sessions) as statements:
        page = list_customers(sessions, actor=team.manager, flt=CustomerFilter(search="li.4711@"))
    assert (page.total, page.rows, page.page) == (0, [], 0)
    assert len([s for s in statements if "total_matches" in s]) == 1  # no second read "for the first page"


def test_searches_choose_their_gram_by_the_stored_counts_and_count_new_grams_live(
    engine: Engine,
    sessions: Sessions,
    team: Team,
    make_customer: MakeCustomer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(4):
        make_customer(f"Wonka Trading {n}")
    make_customer("Wonka Foods")
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["search", "analyze"]) == 0
    assert "search grams counted" in capsys.readouterr().out
    with sessions.read() as session:
        stored = dict(session.execute(select(CustomerSearchGramCount.gram, CustomerSearchGramCount.holders)).all())
    assert stored["won"] == 5 and stored["tra"] == 4 and "xyl" not in stored

    def plan(term: str) -> search_index.SearchPlan:
        with sessions.read() as session:
            found_plan = search_index.plan_search(session, term, contact_details=True)
        assert found_plan is not None
        return found_plan

    # The rarest (adi: 4 holders), then the rarest of the other word (nka: 5), then the next rarest (din: 4).
    assert plan("wonka trading").candidate_grams == ((("adi", "nka", "din"), (1, 2)),)
    make_customer("Xylo Wonka")  # after the count: "xyl" is new, counted live (1 holder), the rarest
    assert plan("xylo wonka").candidate_grams is not None
    assert plan("xylo wonka").candidate_grams[0][0][0] in ("xyl", "ylo")
    assert found(sessions, team.manager, "xylo wonka") == ["Xylo Wonka"]
    # Counts only steer the choice: with every gram stored as common, the search walks and finds the same.
    with sessions.begin() as session:
        session.execute(CustomerSearchGramCount.__table__.update().values(holders=10**6))
    assert plan("wonka trading").common and search_index.walkable(plan("wonka trading"))
    assert found(sessions, team.manager, "wonka trading") == [f"Wonka Trading {n}" for n in range(4)]


@pytest.mark.parametrize("cap", [1_000, 2])  # all matches sorted, or more than the cap: the sort's index walked
def test_a_search_sorted_by_another_column_pages_in_that_columns_order(
    sessions: Sessions,
    team: Team,
    make_customer: MakeCustomer,
    strategy: str,
    cap: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("crm.customers.service.SEARCH_COUNT_CAP", cap)
    regions = ["north", "south", None, "north", "east", "south", "north"]
    for n, region in enumerate(regions):
        make_customer(f"杭州华为{'Acme' if n % 2 else ''}分销{n}号", region=region, industry="software")
    make_customer("Acme Robotics", region="north")
    with sessions.read() as session:
        texts = texts_from_database(session.connection(), list(session.scalars(select(Customer.id))))
    for term in ("华为", "acme", "华为acme"):
        key = search_index.normalise(term)
        ids = [i for i, t in texts.items() if key in t.visible]
        for sort, column in (("region", Customer.region), ("code", Customer.code), ("created_at", Customer.created_at)):
            for descending in (False, True):
                order = (column.desc(), Customer.id.desc()) if descending else (column, Customer.id)
                if sort == "code":
                    order = order[:1]
                with sessions.read() as session:
                    want = list(session.scalars(select(Customer.id).where(Customer.id.in_(ids)).order_by(*order)))
                flt = CustomerFilter(search=term, sort=sort, descending=descending)
                total, got = _all_pages(sessions, team.manager, flt, page_size=2)
                shown = min(len(want), cap)
                assert total == min(len(want), cap + 1), (term, sort)
                assert got[:shown] == want[:shown], (term, sort, descending)


def test_a_term_is_found_in_whichever_part_of_the_text_holds_all_of_it(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, strategy: str
) -> None:
    # Candidates must hold the term's grams in one part (visible, or contact details): a match lies in one value.
    make_customer("Mixed Parts", code="B00777", contact={"name": "P1", "phone": "13900123456"})  # b00 + 001 apart
    make_customer("Order b00001 Ltd", code="K1")  # visible
    make_customer("Mail Holder", code="K2", contact={"name": "P2", "email": "b00001@example.com"})  # details
    assert sorted(found(sessions, team.manager, "b00001")) == ["Mail Holder", "Order b00001 Ltd"]
    assert found(sessions, team.viewer, "b00001") == ["Order b00001 Ltd"]
