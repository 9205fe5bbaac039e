"""Translations: every message exists in English and Chinese, and every key the code uses exists."""

from __future__ import annotations

import datetime as dt
import re
import string
from decimal import Decimal
from pathlib import Path

from crm.platform.i18n import CATALOG, format_date, format_datetime, format_figure, format_money, t

ROOT = Path(__file__).resolve().parents[3]
LITERAL_KEY = re.compile(r"""\bt\(\s*f?["']([a-z_]+\.[a-z0-9_.\-+]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_english_and_chinese_with_the_same_placeholders() -> None:
    for key, (english, chinese) in CATALOG.items():
        assert english.strip() and chinese.strip(), key
        assert _placeholders(english) == _placeholders(chinese), key


def test_chinese_texts_are_actually_chinese() -> None:
    untranslated = [k for k, (en, zh) in CATALOG.items() if en == zh and re.search(r"[A-Za-z]{4,}", en)]
    allowed = {"common.none"}
    assert [k for k in untranslated if k not in allowed and not k.startswith("language.")] == []


def test_every_literal_key_used_in_the_code_is_in_the_catalog() -> None:
    missing = {}
    for folder in ("app.py", "pages", "ui", "crm"):
        paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
        for path in paths:
            for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
                if "{" not in key and key not in CATALOG and not key.endswith("."):
                    missing.setdefault(str(path.relative_to(ROOT)), []).append(key)
    assert missing == {}


def test_money_dates_and_times_follow_the_locale() -> None:
    assert format_money(Decimal("1234.5"), "en") == "CN¥1,234.50"
    assert format_money(Decimal("1234.5"), "zh") == "¥1,234.50"
    assert format_date(dt.date(2026, 3, 5), "zh") == "2026年3月5日"
    assert format_date(dt.date(2026, 3, 5), "en") == "5 Mar 2026"
    late_utc = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)
    assert format_datetime(late_utc, "zh") == "2026年11月24日 00:30"  # the next day in Shanghai


def test_a_figures_sum_of_money_keeps_its_cents_and_a_count_stays_whole() -> None:
    assert format_figure(Decimal("288637128.5"), "en") == "288,637,128.50"
    assert format_figure(Decimal("288637128.5"), "zh") == "288,637,128.50"
    assert format_figure(12, "en") == "12" and format_figure(40.0, "en") == "40"
    assert format_figure(2.345678, "en") == "2.35"
    assert format_figure(None, "zh") == t("common.none", "zh")


def test_english_dates_are_unambiguous_and_times_24_hour() -> None:
    last_minute = dt.datetime(2026, 12, 5, 15, 59, tzinfo=dt.UTC)  # 23:59 in Shanghai
    assert format_datetime(last_minute, "en") == "5 Dec 2026, 23:59"
    assert format_datetime(last_minute, "zh") == "2026年12月5日 23:59"
    assert format_date(dt.date(2026, 12, 5), "en") == "5 Dec 2026"
    assert format_date(dt.date(2026, 12, 5), "zh") == "2026年12月5日"


def test_times_are_shown_in_the_zone_asked_for() -> None:
    instant = dt.datetime(2026, 12, 5, 15, 59, tzinfo=dt.UTC)
    assert format_datetime(instant, "en", "America/New_York") == "5 Dec 2026, 10:59"
    assert format_datetime(instant.replace(tzinfo=None), "en", "UTC") == "5 Dec 2026, 15:59"  # naive is UTC


def test_missing_keys_fall_back_to_the_key_and_parameters_fill_in() -> None:
    assert t("no.such.key", "zh") == "no.such.key"
    assert t("admin.user_created", "zh", username="王伟") == "用户 王伟 已创建。"
