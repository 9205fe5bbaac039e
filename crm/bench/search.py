"""Benchmark of the customer list's search: generate N customers (Chinese and English names, one or two contacts
with phone and email), build the search index, then time the list's first page and total for typical terms."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from crm.customers.search_index import rebuild
from crm.customers.service import CustomerFilter, list_customers
from crm.platform.permissions import Actor
from db.engine import Sessions, move_sequences_past_ids, refresh_statistics
from db.models import Customer
from db.search_grams import SEARCH_TABLES, bulk_insert

BENCH_CODE_PREFIX = "B"
WARM_RUNS = 5
BATCH = 50_000
_CITIES = ("北京", "上海", "深圳", "广州", "杭州", "成都", "武汉", "南京", "苏州", "西安", "天津", "重庆")
_WORDS = ("华为", "星河", "鑫源", "恒通", "金石", "天成", "宏远", "中科", "博达", "瑞丰", "东方", "新世纪", "长城",
          "蓝海", "华信", "九州", "海纳", "万达", "远景", "同创", "锦程", "汇丰", "嘉禾", "永泰", "德胜", "盛世",
          "凯瑞", "明珠", "飞扬", "卓越", "腾飞", "佳和", "安泰", "福星", "众合", "利达", "信达", "鼎盛", "正大",
          "天启")
_TRADES = ("科技有限公司", "贸易有限公司", "电子有限公司", "软件股份有限公司", "物流有限公司", "医疗器械有限公司",
           "餐饮管理有限公司", "建设工程有限公司")
_EN_WORDS = ("Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne",
             "Soylent", "Hooli", "Vandelay", "Pied", "Wonka", "Oscorp", "Aperture", "Gringotts", "Monarch", "Dunder",
             "Bluth", "Sterling", "Prestige", "Vortex", "Zenith", "Summit", "Pioneer", "Harbor", "Atlas", "Orion")
_EN_TRADES = ("Robotics Inc.", "Trading Ltd", "Foods Ltd", "Clinics", "Logistics LLC", "Software GmbH", "Partners",
              "Holdings plc")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_PINYIN_SURNAMES = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou")
_EN_FIRST = ("john", "mary", "james", "linda", "robert", "susan", "david", "karen", "olivia", "peter")
_EN_LAST = ("smith", "jones", "brown", "taylor", "wilson", "davies", "evans", "thomas", "johnson", "walker")
_DOMAINS = ("example.com", "qq.com", "163.com", "corp.example.cn", "mail.example.org")

# (label, search text): the kinds of search the issue names, at 1,000 and at 1,000,000 customers.
TERMS = (
    ("2-char Chinese name (华为)", "华为"),
    ("2-char Chinese contact (张伟)", "张伟"),
    ("full-width English (ＡＣＭＥ)", "ＡＣＭＥ"),
    ("3+ char English (robotics)", "robotics"),
    ("English two words (wonka trading)", "wonka trading"),
    ("code prefix (B00001)", "B00001"),
    ("phone fragment (1381234)", "1381234"),
    ("email fragment (zhang.wei)", "zhang.wei"),
    ("email fragment, rare (li.4711@)", "li.4711@"),
    ("1 Chinese character (华)", "华"),
    ("1 Chinese character, a surname (王)", "王"),
    ("1 ASCII character (q)", "q"),
    ("no match (zzqx)", "zzqx"),
)
MANAGER = Actor(id=0, username="bench", display_name="bench", role="manager")
VIEWER = Actor(id=0, username="bench-viewer", display_name="bench viewer", role="viewer")


@dataclass(frozen=True)
class Timing:
    label: str
    total: int
    cold_ms: float
    warm_ms: float


def generate(sessions: Sessions, *, customers: int, seed: int = 11,
             progress: Callable[[str], None] = lambda _: None) -> None:
    """Insert customers B0000001.. with one or two contacts each, then build the search index."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    stamp: object = now.isoformat(" ") + ".000000" if sessions.dialect == "sqlite" else now
    false: object = False if sessions.dialect == "postgresql" else 0
    true: object = True if sessions.dialect == "postgresql" else 1
    contact_id = 0
    with sessions.begin() as session:
        connection = session.connection()
        if sessions.dialect == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size = -1000000")
        for start in range(1, customers + 1, BATCH):
            rows, contacts = [], []
            for i in range(start, min(customers, start + BATCH - 1) + 1):
                zh = rng.random() < 0.6
                if zh:
                    name = rng.choice(_CITIES) + rng.choice(_WORDS) + rng.choice(_WORDS) + rng.choice(_TRADES)
                else:
                    name = f"{rng.choice(_EN_WORDS)} {rng.choice(_EN_WORDS)} {rng.choice(_EN_TRADES)}"
                rows.append((i, f"{BENCH_CODE_PREFIX}{i:07d}", name, name.lower()[:200], "company", "signed",
                             false, 1, stamp, stamp))
                for k in range(1 if rng.random() < 0.5 else 2):
                    contact_id += 1
                    if zh:
                        person = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.5
                                                                               else "")
                        local = f"{rng.choice(_PINYIN_SURNAMES)}.{rng.choice(('wei', 'fang', 'na', 'min', 'jing'))}"
                    else:
                        first, last = rng.choice(_EN_FIRST), rng.choice(_EN_LAST)
                        person, local = f"{first.title()} {last.title()}", f"{first}.{last}"
                    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
                    if rng.random() < 0.3:
                        phone = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
                    email = f"{local}.{rng.randrange(10_000)}@{rng.choice(_DOMAINS)}"
                    contacts.append((contact_id, i, person, phone, email, true if k == 0 else false, 1, stamp, stamp))
            bulk_insert(connection, "customers", ("id", "code", "name", "name_key", "customer_type",
                                                  "lifecycle_stage", "share_consent", "version", "created_at",
                                                  "updated_at"), rows)
            bulk_insert(connection, "contacts", ("id", "customer_id", "name", "phone", "email", "is_primary",
                                                 "version", "created_at", "updated_at"), contacts)
            progress(f"customers {min(customers, start + BATCH - 1):,}")
        started = time.perf_counter()
        done = rebuild(connection, progress=progress, batch=100_000)
        progress(f"search index for {done:,} customers in {time.perf_counter() - started:.1f} s")
    if sessions.dialect == "postgresql":
        with sessions.engine.begin() as connection:
            move_sequences_past_ids(connection, ("customers", "contacts"))
    refresh_statistics(sessions.engine, ("customers", "contacts", *SEARCH_TABLES), vacuum=True)


def _time(label: str, call: Callable[[], int]) -> Timing:
    started = time.perf_counter()
    total = call()
    cold = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return Timing(label, total, round(cold, 1), round(statistics.median(runs), 1))


def measure(sessions: Sessions, progress: Callable[[str], None] = print) -> list[Timing]:
    """Time the list (first page of 50 by name, and the capped total) for each term, as a manager."""
    progress(f"{'search (first page of 50 + total, manager)':<46} {'total':>8} {'cold ms':>9} {'warm ms':>9}")
    timings = []
    cases: list[tuple[str, Actor, str, str]] = [(label, MANAGER, term, "name") for label, term in TERMS]
    cases += [("viewer: phone fragment (finds none)", VIEWER, "1381234", "name"),
              ("2-char Chinese, sorted by created_at", MANAGER, "华为", "created_at"),
              ("code prefix, sorted by code", MANAGER, "B00001", "code")]
    for label, actor, term, sort in cases:
        flt = CustomerFilter(search=term, sort=sort)
        timing = _time(label, lambda flt=flt, actor=actor: list_customers(  # type: ignore[misc]
            sessions, actor=actor, flt=flt, page_size=50).total)
        progress(f"{timing.label:<46} {timing.total:>8,} {timing.cold_ms:>9.1f} {timing.warm_ms:>9.1f}")
        timings.append(timing)
    return timings


def run(sessions: Sessions, *, customers: int, progress: Callable[[str], None] = print) -> list[Timing]:
    """Generate the data into an empty database (or reuse earlier bench data), then time the searches."""
    with sessions.read() as session:
        existing = int(session.scalar(select(func.count()).select_from(Customer)) or 0)
        foreign = session.scalar(select(Customer.id).where(~Customer.code.like(f"{BENCH_CODE_PREFIX}%")).limit(1))
    if existing and foreign is not None:
        raise SystemExit("refusing to benchmark on a database with real customers: give an empty one (--url)")
    if not existing:
        started = time.perf_counter()
        generate(sessions, customers=customers, progress=progress)
        progress(f"generated in {time.perf_counter() - started:.0f} s")
    with sessions.read() as session:
        progress(f"{sessions.dialect}: {int(session.scalar(select(func.count()).select_from(Customer)) or 0):,} "
                 "customers")
    return measure(sessions, progress=progress)
